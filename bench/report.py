"""The benchmark's one table: each gateway figure beside the direct-to-emulator figure and the target."""

from __future__ import annotations

from bench.stats import added

TARGETS = {"lat_p50": 2.0, "lat_p99": 6.0, "rps16": 600, "ttfc_p50": 5.0, "streams": 500, "rss": 150}


def _f(value, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _ok(passed: bool | None) -> str:
    return "-" if passed is None else ("yes" if passed else "NO")


def rows(run: dict) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    lat = run["latency_c1"]
    for p, key in (("p50", "lat_p50"), ("p99", "lat_p99")):
        extra = added(lat["gateway"][p], lat["direct"][p])
        out.append(
            (
                f"latency c=1 {p} (ms)",
                _f(lat["gateway"][p]),
                _f(lat["direct"][p]),
                _f(extra, unit=" added"),
                f"<= {TARGETS[key]:g} added",
                _ok(extra is not None and extra <= TARGETS[key]),
            )
        )
    for conc in (16, 64):
        data = run[f"rps_c{conc}"]
        g, d = data["gateway"], data["direct"]
        target = f">= {TARGETS['rps16']}" if conc == 16 else ""
        out.append(
            (
                f"requests/s c={conc} (errors)",
                f"{g['rps']:.0f} ({g['errors']})",
                f"{d['rps']:.0f} ({d['errors']})",
                f"{100 * g['rps'] / d['rps']:.0f}% of direct" if d["rps"] else "-",
                target,
                _ok(g["rps"] >= TARGETS["rps16"] and g["errors"] == 0) if conc == 16 else "-",
            )
        )
        out.append(
            (
                f"  latency c={conc} p50/p99 (ms)",
                f"{_f(g['p50'], 1)}/{_f(g['p99'], 1)}",
                f"{_f(d['p50'], 1)}/{_f(d['p99'], 1)}",
                "",
                "",
                "",
            )
        )
    first = run["first_chunk"]
    for p, key in (("p50", "ttfc_p50"), ("p99", None)):
        g, d = first["gateway"]["first_content_ms"][p], first["direct"]["first_content_ms"][p]
        extra = added(g, d)
        out.append(
            (
                f"stream first content {p} (ms)",
                _f(g),
                _f(d),
                _f(extra, unit=" added"),
                f"<= {TARGETS[key]:g} added" if key else "",
                _ok(extra is not None and extra <= TARGETS[key]) if key else "-",
            )
        )
    g, d = first["gateway"], first["direct"]
    out.append(
        (
            "stream deltas 1:1, own chunk",
            f"{g['complete']}/{g['streams']} whole, {g['shared_chunks']} merged",
            f"{d['complete']}/{d['streams']} whole",
            "",
            "every delta its own chunk",
            _ok(g["complete"] == g["streams"] and g["shared_chunks"] == 0),
        )
    )
    streams = run["streams"]
    g, d = streams["gateway"], streams["direct"]
    last = g["levels"][-1] if g["levels"] else {}
    out.append(
        (
            "streams held, 64x20 ms, no stall >200 ms",
            str(g["sustained"]),
            str(d["sustained"]),
            f"max gap {_f(last.get('max_gap_ms'), 0)} ms at {last.get('level', '-')}",
            f">= {TARGETS['streams']}",
            _ok(g["sustained"] >= TARGETS["streams"]),
        )
    )
    c16 = run["rps_c16"]
    out.append(
        (
            "CPU ms/request c=16 (server)",
            _f(c16["gateway"]["server_cpu_ms_per_request"]),
            _f(c16["direct"]["server_cpu_ms_per_request"]),
            "",
            "",
            "-",
        )
    )
    workers = run["memory"]["workers"]
    peak = max((w["vm_hwm_mb"] for w in workers), default=None)
    out.append(
        (
            "peak RSS per worker (MB)",
            _f(peak, 0),
            _f(run["memory"]["emulator_hwm_mb"], 0),
            f"PSS now {', '.join(_f(w['pss_mb'], 0) for w in workers)}",
            f"<= {TARGETS['rss']}",
            _ok(peak is not None and peak <= TARGETS["rss"]),
        )
    )
    out.append(
        (
            "load generator CPU at c=64",
            f"{c16['gateway']['client_cpu_percent']:.0f}% (c16) "
            f"{run['rps_c64']['gateway']['client_cpu_percent']:.0f}% (c64)",
            f"{run['rps_c64']['direct']['client_cpu_percent']:.0f}% (c64)",
            "of one core",
            "",
            "-",
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
    header = ("metric", "gateway", "direct (emulator)", "difference", "target", "met")
    for run in report["runs"]:
        g = run["gunicorn"]
        lines.append("")
        lines.append(
            f"Database {run['database']}; gunicorn {g['workers']} workers, class {g['worker_class']}, "
            f"threads {g['threads']}"
        )
        table = [header, *rows(run)]
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        for index, row in enumerate(table):
            lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
            if index == 0:
                lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _load(load) -> str:
    return "/".join(f"{x:.2f}" for x in load) if load else "?"
