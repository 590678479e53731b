"""The benchmark's table: each side's column, our figures as multiples of LiteLLM's, and the targets' verdicts.

Figures here are made up; nothing is timed.
"""

from __future__ import annotations

from bench.report import ratio, render, table


def _side(rps: float, p50: float, p99: float, errors: int = 0) -> dict:
    return {
        "rps": rps,
        "errors": errors,
        "p50": p50,
        "p99": p99,
        "server_cpu_ms_per_request": 2.0,
        "client_cpu_percent": 5.0,
    }


def _run(
    name: str,
    kind: str,
    *,
    added_p50: float,
    rps16: float,
    stream_rps16: float,
    p99_16: float,
    sustained: int,
    rss: float,
) -> dict:
    levels = [
        {
            "level": 100,
            "passed": True,
            "errors": 0,
            "complete": 100,
            "max_gap_ms": 40.0,
            "max_delta_gap_ms": 30.0,
            "first_content_ms": {"max": 40.0},
        }
    ]
    if sustained < 1000:
        levels.append(
            {
                "level": 250,
                "passed": False,
                "errors": 0,
                "complete": 250,
                "max_gap_ms": 900.0,
                "max_delta_gap_ms": 900.0,
                "first_content_ms": {"max": 50.0},
            }
        )
    first = {
        "first_content_ms": {"p50": 1.0 + added_p50, "p99": 2.0 + added_p50},
        "complete": 10,
        "streams": 10,
        "shared_chunks": 0,
    }
    return {
        "name": name,
        "kind": kind,
        "label": {"sqlite": "SQLite", "postgres": "PostgreSQL + Redis"}.get(name, "LiteLLM 1.108.7"),
        "server": {"workers": 2, "worker_class": "gthread", "threads": 128},
        "latency_c1": {
            "gateway": {"p50": 0.25 + added_p50, "p99": 0.5 + 2 * added_p50},
            "direct": {"p50": 0.25, "p99": 0.5},
        },
        "rps_c16": {"gateway": _side(rps16, 30.0, p99_16), "direct": _side(5000.0, 3.0, 9.0)},
        "rps_c64": {"gateway": _side(rps16, 120.0, 400.0), "direct": _side(5000.0, 12.0, 20.0)},
        "stream_rps_c16": {"gateway": _side(stream_rps16, 50.0, 90.0), "direct": _side(4000.0, 4.0, 10.0)},
        "first_chunk": {"gateway": first, "direct": {**first, "first_content_ms": {"p50": 1.0, "p99": 2.0}}},
        "streams": {"gateway": {"sustained": sustained, "levels": levels}, "direct": {"sustained": 1000, "levels": []}},
        "memory": {"workers": [{"vm_hwm_mb": rss, "pss_mb": rss - 20}], "emulator_hwm_mb": 45.0},
    }


def _report(*runs: dict) -> dict:
    machine = {
        "cpu": "Test CPU",
        "cores": 2,
        "kernel": "6.1",
        "python": "3.11.7",
        "load_average_at_start": (1.0, 1.0, 1.0),
        "load_average_at_end": (2.0, 1.5, 1.0),
    }
    return {"quick": False, "machine": machine, "runs": list(runs)}


SQLITE = _run(
    "sqlite", "gateway", added_p50=2.0, rps16=450.0, stream_rps16=360.0, p99_16=540.0, sustained=100, rss=107.0
)
POSTGRES = _run(
    "postgres", "gateway", added_p50=3.5, rps16=420.0, stream_rps16=330.0, p99_16=60.0, sustained=100, rss=160.0
)
LITELLM = _run("litellm", "peer", added_p50=8.0, rps16=150.0, stream_rps16=60.0, p99_16=170.0, sustained=100, rss=290.0)


def _row(rows: list[tuple[str, ...]], label: str) -> dict[str, str]:
    header = rows[0]
    found = next(row for row in rows if row[0].strip().startswith(label))
    return dict(zip(header, found))


def test_ratio_is_ours_over_theirs_and_absent_without_both():
    assert ratio(450.0, 150.0) == 3.0
    assert ratio(None, 150.0) is None
    assert ratio(450.0, 0) is None
    assert ratio(-0.5, 8.0) is None


def test_each_side_has_its_column_and_our_figures_are_multiples_of_litellms():
    rows = table([SQLITE, POSTGRES, LITELLM])
    assert rows[0][:4] == ("metric", "floor (emulator)", "gateway, SQLite", "gateway, PostgreSQL + Redis")
    rps = _row(rows, "requests/s at 16 clients")
    assert rps["floor (emulator)"] == "5000 (0)"
    assert (rps["gateway, SQLite"], rps["LiteLLM 1.108.7"]) == ("450 (0)", "150 (0)")
    assert rps["us / LiteLLM"] == "3.00x / 2.80x"
    assert rps["met"] == "yes / NO"
    streamed = _row(rows, "streamed requests/s at 16 clients")
    assert streamed["us / LiteLLM"] == "6.00x / 5.50x"
    assert streamed["met"] == "yes / NO"
    latency = _row(rows, "latency at 1 client, p50 added")
    assert (latency["gateway, SQLite"], latency["LiteLLM 1.108.7"]) == ("+2.00", "+8.00")
    assert latency["us / LiteLLM"] == "0.25x / 0.44x"
    assert latency["met"] == "NO / NO"
    memory = _row(rows, "peak memory per worker")
    assert memory["met"] == "yes / NO"


def test_sqlite_p99_is_read_against_postgresqls():
    p99 = _row(table([SQLITE, POSTGRES, LITELLM]), "latency at 16 clients")
    assert p99["target"] == "SQLite p99 <= 3x PG's (now 9.00x)"
    assert p99["met"] == "NO"


def test_held_open_streams_say_why_the_next_level_failed():
    held = _row(table([SQLITE, LITELLM]), "streams held open")
    assert held["gateway, SQLite"] == "100 (900 ms between deltas at 250)"
    assert held["met"] == "NO"


def test_a_missing_litellm_prints_its_column_as_not_installed_with_the_reason():
    missing = {"name": "litellm", "kind": "peer", "label": "LiteLLM", "missing": "installation failed: no network"}
    text = render(_report(SQLITE, missing))
    assert "LiteLLM: not installed or not started (installation failed: no network)" in text
    rps = _row(table([SQLITE, missing]), "requests/s at 16 clients")
    assert (rps["LiteLLM"], rps["us / LiteLLM"], rps["met"]) == ("not installed", "-", "-")
    assert "Machine: Test CPU, 2 cores" in text
