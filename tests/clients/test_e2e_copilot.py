"""End to end: the GitHub Copilot CLI with its own model provider (BYOK), set up exactly as the README tells
users, works through the gateway's chat API without any GitHub sign-in."""

from __future__ import annotations

import pytest

from gateway.compat.clients import client
from tests.clients import bedrock_calls, clean_env, exports, metered, node_command, pinned, run, tool_results

pytestmark = pytest.mark.e2e


@pytest.fixture(params=pinned("copilot"))
def copilot(request, gateway, issue, tmp_path):
    """copilot(*arguments, model=...) -> its output, with the README's variables for `model` exported."""
    program = node_command(f"copilot-{request.param}", "npm-loader.js")
    home, project = tmp_path / "home", tmp_path / "project"
    project.mkdir()
    identity = f"copilot-{request.node.callspec.id}@test"
    key = issue(identity)

    def _run(*arguments: str, model: str = "claude-4-sonnet") -> str:
        variables = exports(client("copilot-cli").text(root=gateway.url, key=key, model=model))
        done = run([*program, *arguments], cwd=project, env=clean_env(home, **variables))
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    _run.identity = identity
    return _run


@pytest.mark.parametrize("model", ["claude-4-sonnet", "gpt-4o"])
def test_copilot_answers_a_first_turn(copilot, emulator_log, records, model):
    assert "synthetic answer" in copilot("-p", "say hello", model=model)
    calls = bedrock_calls(emulator_log)
    metered(records, copilot.identity, model, len(calls))


def test_copilot_runs_its_bash_tool_and_carries_the_session_on(copilot, emulator_log, records):
    out = copilot("-p", 'Use bash command="echo sbc-copilot-ok" description=echo', "--allow-all-tools")
    assert "The tool returned: sbc-copilot-ok" in out
    assert "synthetic answer" in copilot("--continue", "-p", "And now?", "--allow-all-tools")
    calls = bedrock_calls(emulator_log)
    assert any("sbc-copilot-ok" in result for result in tool_results(calls))
    last = calls[-1]["body"]["messages"]
    assert "sbc-copilot-ok" in str(last[:-1]), "the second turn carried the first one's tool round trip"
    metered(records, copilot.identity, "claude-4-sonnet", len(calls))
