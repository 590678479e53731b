"""Server-side SVG charts for the usage dashboard: no JavaScript, no CDN, readable by screen readers.

Each chart is an <svg role="img"> with a <title> and <desc>; every bar carries its own <title>
(shown as a tooltip), and the page shows the same numbers in tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 64, 28, 12


def _ticks(peak: float, *, whole: bool = False) -> list[float]:
    """Round steps (1, 2 or 5 times a power of ten, at least 1 for `whole` counts) from 0 to at least `peak`;
    only 0 when there is nothing."""
    if peak <= 0:
        return [0.0]
    rough = peak / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(step, 1) if whole else step
    return [step * n for n in range(math.ceil(peak / step - 1e-9) + 1)]


def column_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    fmt: Callable[[float], str],
    chart_id: str,
    unit: str = "day",
    whole: bool = False,
) -> SafeString:
    """Vertical bars over time, one per bucket (`unit`: day, week or month), labelled as given."""
    ticks = _ticks(max((value for _, value in points), default=0), whole=whole)
    peak = ticks[-1] or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(len(points), 1)
    bar_w = max(1.0, step * 0.7)
    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>',
        (
            (PAD_LEFT, WIDTH - 8, y, y, PAD_LEFT - 6, y + 4, fmt(v))
            for v in ticks
            for y in [round(PAD_TOP + plot_h - v / peak * plot_h, 1)]
        ),
    )
    label_every = max(1, len(points) // 8)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}: {}</title></rect>{}',
        (
            (
                round(PAD_LEFT + i * step + (step - bar_w) / 2, 1),
                round(PAD_TOP + plot_h - h, 1),
                round(bar_w, 1),
                round(h, 1),
                label,
                fmt(value),
                format_html(
                    '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                    round(PAD_LEFT + i * step + step / 2, 1),
                    HEIGHT - 8,
                    label,
                )
                if i % label_every == 0
                else "",
            )
            for i, (label, value) in enumerate(points)
            for h in [value / peak * plot_h]
        ),
    )
    total = fmt(sum(value for _, value in points))
    return format_html(
        '<svg id="{}" class="usage-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-t">{}</title><desc id="{}-d">{} over {} {}s, '
        "total {}. The table below has every value.</desc>{}{}</svg>",
        chart_id,
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        title,
        len(points),
        unit,
        total,
        grid,
        bars,
    )


def bar_chart(
    points: Sequence[tuple[str, float]], *, title: str, fmt: Callable[[float], str], chart_id: str
) -> SafeString:
    """Horizontal bars (top identities)."""
    if not points:
        return mark_safe("")
    peak = max(value for _, value in points) or 1
    row, label_w = 26, 200
    height = row * len(points) + 8
    rows = format_html_join(
        "",
        '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" class="axis">{}</text>',
        (
            (
                label_w - 8,
                i * row + 18,
                label[:28],
                label_w,
                i * row + 5,
                round(max(1, w), 1),
                row - 8,
                label,
                fmt(value),
                round(label_w + max(1, w) + 6, 1),
                i * row + 18,
                fmt(value),
            )
            for i, (label, value) in enumerate(points)
            for w in [value / peak * (WIDTH - label_w - 110)]
        ),
    )
    return format_html(
        '<svg id="{}" class="usage-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t">'
        '<title id="{}-t">{}</title>{}</svg>',
        chart_id,
        WIDTH,
        height,
        chart_id,
        chart_id,
        title,
        rows,
    )


def fmt_tokens(value: float) -> str:
    value = float(value)
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}"


def fmt_usd(value: float) -> str:
    return f"${float(value):,.2f}" if float(value) >= 1 or float(value) == 0 else f"${float(value):.4f}"
