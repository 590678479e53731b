"""End to end: the real Claude Code CLI completes a non-interactive turn against the gateway (skipped without it).

Point CLAUDE_CODE_BIN at a `claude` binary (`npm install @anthropic-ai/claude-code`), or have `claude` on PATH.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.e2e

CLAUDE = os.environ.get("CLAUDE_CODE_BIN") or shutil.which("claude")


@pytest.mark.skipif(not CLAUDE, reason="the Claude Code CLI is not installed (set CLAUDE_CODE_BIN)")
def test_claude_code_completes_a_turn_through_the_gateway(gateway, token, emulator_log, tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "ANTHROPIC_BASE_URL": gateway.url,
           "ANTHROPIC_AUTH_TOKEN": token, "ANTHROPIC_MODEL": "claude-sonnet-4-5-20250929",
           "ANTHROPIC_SMALL_FAST_MODEL": "claude-haiku-4-5-20251001", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
           "DISABLE_AUTOUPDATER": "1"}
    try:
        done = subprocess.run([CLAUDE, "-p", "hello", "--max-turns", "3"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"the Claude Code CLI could not run here: {exc!r}")
    assert done.returncode == 0, done.stdout + done.stderr
    # The emulator's model answers in text, or first calls a tool that Claude Code's prompt names and then
    # reports its result: either way the words come from "Bedrock" through the gateway.
    assert "synthetic answer" in done.stdout or "The tool returned" in done.stdout, done.stdout
    turns = [entry for entry in emulator_log() if entry["operation"].startswith("invoke")]
    assert turns and all(entry["status"] == 200 for entry in turns)
    assert any(entry["operation"] == "invoke-with-response-stream" for entry in turns)
    print(sorted({key for entry in turns for key in entry["body"]}), [e["body"].get("anthropic_beta") for e in turns])
