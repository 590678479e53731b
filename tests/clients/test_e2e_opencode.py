"""End to end: opencode, set up exactly as the README tells users, works through the gateway's chat API."""

from __future__ import annotations

import pytest

from gateway.compat.clients import client
from tests.clients import bedrock_calls, clean_env, metered, pinned, platform_binary, run, tool_results

pytestmark = pytest.mark.e2e


@pytest.fixture(params=pinned("opencode"))
def opencode(request, gateway, issue, tmp_path):
    """opencode(prompt, *options, model=...) -> its output, run as `opencode run` with the prompt on stdin."""
    binary = platform_binary(f"opencode-{request.param}", "opencode-linux-{arch}", "bin/opencode")
    home, project = tmp_path / "home", tmp_path / "project"
    project.mkdir()
    identity = f"opencode-{request.node.callspec.id}@test"
    key = issue(identity)

    def _run(prompt: str, *options: str, model: str = "claude-4-sonnet") -> str:
        config = home / ".config" / "opencode" / "opencode.json"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(client("opencode").text(root=gateway.url, key=key, model=model))
        # On stdin: `opencode run` quotes a prompt given as arguments when it has spaces.
        done = run([*binary, "run", *options], cwd=project, env=clean_env(home), stdin=prompt)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    _run.identity = identity
    return _run


@pytest.mark.parametrize("model", ["claude-4-sonnet", "gpt-4o"])
def test_opencode_answers_a_first_turn(opencode, emulator_log, records, model):
    assert "synthetic answer" in opencode("say hello", model=model)
    calls = bedrock_calls(emulator_log)
    metered(records, opencode.identity, model, len(calls))


def test_opencode_runs_its_bash_tool_and_carries_the_session_on(opencode, emulator_log, records):
    out = opencode('Use bash command="echo sbc-opencode-ok"')
    assert "The tool returned: sbc-opencode-ok" in out
    assert "synthetic answer" in opencode("And now?", "--continue")
    calls = bedrock_calls(emulator_log)
    assert any("sbc-opencode-ok" in result for result in tool_results(calls))
    last = calls[-1]["body"]["messages"]
    assert "sbc-opencode-ok" in str(last[:-1]), "the second turn carried the first one's tool round trip"
    metered(records, opencode.identity, "claude-4-sonnet", len(calls))
