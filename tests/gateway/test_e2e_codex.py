"""End to end: the real Codex CLI completes non-interactive turns against /v1/responses (skipped without it).

Point CODEX_BIN at a `codex` binary (`npm install --prefix <dir> @openai/codex`, then `<dir>/node_modules/.bin/codex`),
or have `codex` on PATH. Codex reaches the gateway as a custom model provider with `wire_api = "responses"`.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.e2e

CODEX = os.environ.get("CODEX_BIN") or shutil.which("codex")
CONFIG = """\
model = "claude-4-sonnet"
model_provider = "sbc"
web_search = "disabled"
check_for_update_on_startup = false

[model_providers.sbc]
name = "Simple Bedrock Connector"
base_url = "{base_url}"
wire_api = "responses"
env_key = "SBC_API_KEY"
"""


def codex_exec(gateway, token, tmp_path, prompt: str, *options: str) -> subprocess.CompletedProcess:
    home = tmp_path / "codex-home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(CONFIG.format(base_url=f"{gateway.url}/v1"))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "CODEX_HOME": str(home), "SBC_API_KEY": token}
    try:
        return subprocess.run([CODEX, "exec", "--skip-git-repo-check", "--sandbox", "danger-full-access", *options, prompt],
                              cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=180)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"the Codex CLI could not run here: {exc!r}")


@pytest.mark.skipif(not CODEX, reason="the Codex CLI is not installed (set CODEX_BIN)")
def test_codex_completes_a_turn_through_the_gateway(gateway, token, emulator_log, tmp_path):
    done = codex_exec(gateway, token, tmp_path, "say hello")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "synthetic answer" in done.stdout, done.stdout + done.stderr
    turns = [entry for entry in emulator_log() if entry["operation"].startswith("converse")]
    assert turns and all(entry["status"] == 200 for entry in turns)
    assert any(entry["operation"] == "converse-stream" for entry in turns)


@pytest.mark.skipif(not CODEX, reason="the Codex CLI is not installed (set CODEX_BIN)")
def test_codex_runs_a_tool_the_model_calls_and_sends_its_output_back(gateway, token, emulator_log, tmp_path):
    done = codex_exec(gateway, token, tmp_path, 'Use exec_command cmd="echo sbc-codex-ok"')
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The tool returned" in done.stdout, done.stdout + done.stderr
    results = [block["toolResult"] for entry in emulator_log() for message in entry["body"].get("messages", [])
               for block in message["content"] if "toolResult" in block]
    assert any("sbc-codex-ok" in str(result["content"]) for result in results)


@pytest.mark.skipif(not CODEX, reason="the Codex CLI is not installed (set CODEX_BIN)")
def test_codex_keeps_claude_thinking_through_a_tool_loop(gateway, token, emulator_log, tmp_path):
    done = codex_exec(gateway, token, tmp_path, 'Use exec_command cmd="echo thought-through"',
                      "-c", 'model_reasoning_effort="low"')
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The tool returned" in done.stdout, done.stdout + done.stderr
    last = [entry for entry in emulator_log() if entry["operation"].startswith("converse")][-1]["body"]
    assert last["additionalModelRequestFields"]["thinking"]["type"] in ("enabled", "adaptive")
    calling_turn = next(message for message in last["messages"]
                        if any("toolUse" in block for block in message["content"]))
    assert "reasoningContent" in calling_turn["content"][0], "the signed thinking went back to Claude"
