"""The benchmark's one table: the floor (the emulator alone), the gateway on each database, LiteLLM's proxy,
our figures as a multiple of LiteLLM's, and the targets.

"Added" figures are the front's minus the floor measured in the same run, against the same emulator
process, with the two measured in turn; the floor column shows the first run's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from bench.stats import added

# The targets the figures are read against (printed beside them, not enforced).
TARGETS = {
    "lat_p50_added": 1.0,  # ms at one client
    "lat_p99_added": 3.0,
    "rps16_vs_peer": 3.0,  # requests/s at 16 clients, times LiteLLM's
    "stream_rps16_vs_peer": 6.0,  # streamed requests/s at 16 clients, times LiteLLM's
    "rss": 150,  # MB per worker
    "streams": 1500,  # held open without a gap over 200 ms (so 1,000 hold with room on a slower machine)
    "cpu_ms": 1.0,  # server CPU per request at 16 clients
    "sqlite_p99_vs_pg": 3.0,  # SQLite's p99 at 16 clients, times PostgreSQL's
}

Value = Callable[[dict], float | None]


def _f(value, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _ok(passed: bool | None) -> str:
    return "-" if passed is None else ("yes" if passed else "NO")


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """Our figure as a multiple of LiteLLM's; None when either is missing, or is not above zero (an added
    latency within the noise can come out negative, and a multiple of it means nothing)."""
    if ours is None or theirs is None or ours < 0 or theirs <= 0:
        return None
    return ours / theirs


def _x(value: float | None) -> str:
    return "-" if value is None else (f"{value:.2f}x" if value < 10 else f"{value:.1f}x")


def _get(run: dict, *path: str):
    value = run
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


class Row:
    """One metric: how to read it from a run (the front's figure and the floor's), how to print it, and
    the target, read per gateway run (`check`) or across runs (`check_all`)."""

    def __init__(
        self,
        label: str,
        front: Callable[[dict], str],
        floor: Callable[[dict], str],
        value: Value | None = None,
        target: str = "",
        check: Callable[[dict, dict | None], bool | None] | None = None,
        check_all: Callable[[list[dict]], bool | None] | None = None,
    ) -> None:
        self.label, self.front, self.floor, self.value = label, front, floor, value
        self.target, self.check, self.check_all = target, check, check_all


def _added(section: str, p: str) -> Value:
    def value(run: dict) -> float | None:
        data = run.get(section) or {}
        if section == "first_chunk":
            return added(_get(data, "gateway", "first_content_ms", p), _get(data, "direct", "first_content_ms", p))
        return added(_get(data, "gateway", p), _get(data, "direct", p))

    return value


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def _rps_cell(section: str, side: str) -> Callable[[dict], str]:
    def cell(run: dict) -> str:
        data = _get(run, section, side)
        return "-" if not data else f"{data['rps']:.0f} ({data['errors']})"

    return cell


def _pcts(section: str, side: str) -> Callable[[dict], str]:
    def cell(run: dict) -> str:
        data = _get(run, section, side) or {}
        return f"{_f(data.get('p50'), 1)} / {_f(data.get('p99'), 1)}"

    return cell


def _peak_rss(run: dict) -> float | None:
    workers = _get(run, "memory", "workers") or []
    return max((w["vm_hwm_mb"] for w in workers), default=None)


def _peer_multiple(key: str, section: str) -> Callable[[dict, dict | None], bool | None]:
    def check(run: dict, peer: dict | None) -> bool | None:
        theirs = _get(peer or {}, section, "gateway", "rps")
        multiple = ratio(_get(run, section, "gateway", "rps"), theirs)
        if multiple is None:
            return None
        return multiple >= TARGETS[key] and _get(run, section, "gateway", "errors") == 0

    return check


def sqlite_p99_multiple(runs: list[dict]) -> float | None:
    """SQLite's p99 at 16 clients as a multiple of PostgreSQL's, when both ran."""
    by_name = {run["name"]: run for run in runs}
    if "sqlite" not in by_name or "postgres" not in by_name:
        return None
    return ratio(
        _get(by_name["sqlite"], "rps_c16", "gateway", "p99"), _get(by_name["postgres"], "rps_c16", "gateway", "p99")
    )


def _sqlite_vs_pg(runs: list[dict]) -> bool | None:
    multiple = sqlite_p99_multiple(runs)
    return None if multiple is None else multiple <= TARGETS["sqlite_p99_vs_pg"]


def _sqlite_vs_pg_text(runs: list[dict]) -> str:
    multiple = sqlite_p99_multiple(runs)
    return f" (now {_x(multiple)})" if multiple is not None else ""


def _streams_cell(run: dict) -> str:
    """The largest level held, and why the next one failed: the wait for the first delta (streams opening
    faster than the front starts them), a gap between deltas, or errors."""
    streams = run.get("streams")
    if not streams:
        return "-"
    sustained = streams["gateway"]["sustained"]
    failed = next((level for level in streams["gateway"]["levels"] if not level["passed"]), None)
    if failed is None:
        return str(sustained)
    between = failed.get("max_delta_gap_ms")
    first = _get(failed, "first_content_ms", "max")
    if failed["errors"] or failed["complete"] < failed["level"]:
        why = f"{failed['errors']} errors, {failed['complete']} whole"
    elif between is not None and between > 200:
        why = f"{between:.0f} ms between deltas"
    elif first is not None:
        why = f"first delta after {first:.0f} ms"
    else:
        why = f"gap {failed.get('max_gap_ms') or 0:.0f} ms"
    return f"{sustained} ({why} at {failed['level']})"


def _first_chunk_whole(run: dict) -> str:
    g = _get(run, "first_chunk", "gateway")
    return "-" if not g else f"{g['complete']}/{g['streams']}, {g['shared_chunks']} merged"


def _first_chunk_floor(run: dict) -> str:
    d = _get(run, "first_chunk", "direct")
    return "-" if not d else f"{d['complete']}/{d['streams']}"


def _streams_met(run: dict, peer: dict | None) -> bool | None:
    sustained = _get(run, "streams", "gateway", "sustained")
    return None if sustained is None else sustained >= TARGETS["streams"]


def _client_cpu(run: dict) -> str:
    c16 = _get(run, "rps_c16", "gateway", "client_cpu_percent")
    c64 = _get(run, "rps_c64", "gateway", "client_cpu_percent")
    return f"{_f(c16, 0)}% / {_f(c64, 0)}%"


ROWS = [
    Row(
        "latency at 1 client, p50 added (ms)",
        lambda run: _signed(_added("latency_c1", "p50")(run)),
        lambda run: _f(_get(run, "latency_c1", "direct", "p50")),
        _added("latency_c1", "p50"),
        f"<= {TARGETS['lat_p50_added']:g} added",
        lambda run, peer: (lambda v: None if v is None else v <= TARGETS["lat_p50_added"])(
            _added("latency_c1", "p50")(run)
        ),
    ),
    Row(
        "latency at 1 client, p99 added (ms)",
        lambda run: _signed(_added("latency_c1", "p99")(run)),
        lambda run: _f(_get(run, "latency_c1", "direct", "p99")),
        _added("latency_c1", "p99"),
        f"<= {TARGETS['lat_p99_added']:g} added",
        lambda run, peer: (lambda v: None if v is None else v <= TARGETS["lat_p99_added"])(
            _added("latency_c1", "p99")(run)
        ),
    ),
    Row(
        "requests/s at 16 clients (errors)",
        _rps_cell("rps_c16", "gateway"),
        _rps_cell("rps_c16", "direct"),
        lambda run: _get(run, "rps_c16", "gateway", "rps"),
        f">= {TARGETS['rps16_vs_peer']:g}x LiteLLM",
        _peer_multiple("rps16_vs_peer", "rps_c16"),
    ),
    Row(
        "  latency at 16 clients, p50 / p99 (ms)",
        _pcts("rps_c16", "gateway"),
        _pcts("rps_c16", "direct"),
        lambda run: _get(run, "rps_c16", "gateway", "p99"),
        f"SQLite p99 <= {TARGETS['sqlite_p99_vs_pg']:g}x PG's",
        check_all=_sqlite_vs_pg,
    ),
    Row(
        "requests/s at 64 clients (errors)",
        _rps_cell("rps_c64", "gateway"),
        _rps_cell("rps_c64", "direct"),
        lambda run: _get(run, "rps_c64", "gateway", "rps"),
    ),
    Row(
        "  latency at 64 clients, p50 / p99 (ms)",
        _pcts("rps_c64", "gateway"),
        _pcts("rps_c64", "direct"),
        lambda run: _get(run, "rps_c64", "gateway", "p99"),
    ),
    Row(
        "streamed requests/s at 16 clients (errors)",
        _rps_cell("stream_rps_c16", "gateway"),
        _rps_cell("stream_rps_c16", "direct"),
        lambda run: _get(run, "stream_rps_c16", "gateway", "rps"),
        f">= {TARGETS['stream_rps16_vs_peer']:g}x LiteLLM",
        _peer_multiple("stream_rps16_vs_peer", "stream_rps_c16"),
    ),
    Row(
        "stream first content, p50 added (ms)",
        lambda run: _signed(_added("first_chunk", "p50")(run)),
        lambda run: _f(_get(run, "first_chunk", "direct", "first_content_ms", "p50")),
        _added("first_chunk", "p50"),
    ),
    Row(
        "stream first content, p99 added (ms)",
        lambda run: _signed(_added("first_chunk", "p99")(run)),
        lambda run: _f(_get(run, "first_chunk", "direct", "first_content_ms", "p99")),
        _added("first_chunk", "p99"),
    ),
    Row(
        "streamed deltas whole, each its own chunk",
        _first_chunk_whole,
        _first_chunk_floor,
    ),
    Row(
        "streams held open at once, no gap > 200 ms (pace above)",
        _streams_cell,
        lambda run: str(_get(run, "streams", "direct", "sustained") or "-"),
        lambda run: _get(run, "streams", "gateway", "sustained"),
        f">= {TARGETS['streams']}",
        _streams_met,
    ),
    Row(
        "server CPU per request at 16 clients (ms)",
        lambda run: _f(_get(run, "rps_c16", "gateway", "server_cpu_ms_per_request")),
        lambda run: _f(_get(run, "rps_c16", "direct", "server_cpu_ms_per_request")),
        lambda run: _get(run, "rps_c16", "gateway", "server_cpu_ms_per_request"),
        f"<= {TARGETS['cpu_ms']:g}",
        lambda run, peer: (lambda v: None if v is None else v <= TARGETS["cpu_ms"])(
            _get(run, "rps_c16", "gateway", "server_cpu_ms_per_request")
        ),
    ),
    Row(
        "peak memory per worker (MB RSS)",
        lambda run: _f(_peak_rss(run), 0),
        lambda run: _f(_get(run, "memory", "emulator_hwm_mb"), 0),
        _peak_rss,
        f"<= {TARGETS['rss']}",
        lambda run, peer: (lambda v: None if v is None else v <= TARGETS["rss"])(_peak_rss(run)),
    ),
    Row(
        "load generator CPU, 16 / 64 clients",
        _client_cpu,
        lambda run: f"{_f(_get(run, 'rps_c64', 'direct', 'client_cpu_percent'), 0)}% (64)",
    ),
]


def table(runs: list[dict]) -> list[tuple[str, ...]]:
    """Header and rows: metric, floor, one column per gateway run, LiteLLM, our figures as a multiple of
    LiteLLM's (one per gateway run), target, met (one per gateway run)."""
    ours = [run for run in runs if run.get("kind", "gateway") == "gateway" and not run.get("missing")]
    peer = next((run for run in runs if run.get("kind") == "peer"), None)
    peer_measured = peer if peer is not None and not peer.get("missing") else None
    floor_run = ours[0] if ours else peer_measured
    header = (
        "metric",
        "floor (emulator)",
        *(f"gateway, {run.get('label', run['name'])}" for run in ours),
        (peer.get("label") or "LiteLLM") if peer is not None else "LiteLLM",
        "us / LiteLLM",
        "target",
        "met",
    )
    out = [header]
    for row in ROWS:
        if peer is None:
            peer_cell, multiple = "not measured", "-"
        elif peer_measured is None:
            did_not_run = str(peer.get("missing", "")).startswith("did not run")
            peer_cell, multiple = ("did not run" if did_not_run else "not installed"), "-"
        else:
            peer_cell = row.front(peer_measured)
            theirs = row.value(peer_measured) if row.value else None
            multiples = [ratio(row.value(run), theirs) for run in ours] if row.value else []
            multiple = " / ".join(_x(m) for m in multiples) if any(m is not None for m in multiples) else "-"
        if row.check_all is not None:
            met = _ok(row.check_all(ours))
        elif row.check is not None:
            met = " / ".join(_ok(row.check(run, peer_measured)) for run in ours) or "-"
        else:
            met = ""
        target = row.target + (_sqlite_vs_pg_text(ours) if row.check_all is _sqlite_vs_pg else "")
        out.append(
            (
                row.label,
                row.floor(floor_run) if floor_run else "-",
                *(row.front(run) for run in ours),
                peer_cell,
                multiple,
                target,
                met,
            )
        )
    return out


def render(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, Python {m['python']}; "
        f"load average {_load(m.get('load_average_at_start'))} at start, {_load(m.get('load_average_at_end'))} "
        f"at end{' (BENCH_QUICK)' if report.get('quick') else ''}"
    ]
    runs = report["runs"]
    for run in runs:
        server = run.get("server") or {}
        if run.get("missing"):
            lines.append(f"{run.get('label') or run['name']}: not installed or not started ({run['missing']})")
        elif run.get("kind") == "peer":
            lines.append(
                f"{run['label']}: its proxy CLI, {server.get('workers')} {server.get('worker_class')} workers, "
                "no database, master key"
            )
        else:
            lines.append(
                f"gateway, {run.get('label', run['name'])}: gunicorn {server.get('workers')} workers, "
                f"class {server.get('worker_class')}, threads {server.get('threads')}"
            )
    if report.get("hold"):
        deltas, every_ms, rate = report["hold"]
        lines.append(
            f"Held-open streams: {deltas} deltas {every_ms} ms apart each, opened at {rate} a second (all open at once)"
        )
    lines.append(
        "Added = figure minus the floor measured in the same run; us / LiteLLM = our figure divided by "
        "LiteLLM's, one per gateway column; met: one per gateway column."
    )
    lines.append("")
    rows = table(runs)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _load(load) -> str:
    return "/".join(f"{x:.2f}" for x in load) if load else "?"


def main(argv: list[str]) -> int:
    """`python -m bench.report [results.json]`: the table again from a saved run (default: the latest)."""
    import orjson

    from bench.run import RESULTS

    path = Path(argv[0]) if argv else RESULTS / "latest.json"
    print(render(orjson.loads(path.read_bytes())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
