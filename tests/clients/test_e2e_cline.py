"""End to end: the Cline CLI, set up exactly as the README tells users, works through the gateway's chat API.

`cline "task"` runs headless; carrying a session on (`cline --id <session>`) only exists in its terminal UI,
so that turn is typed into the UI on a pseudo-terminal, as a user would.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import time

import pytest

from gateway.compat.clients import client
from tests.clients import (
    RUN_TIMEOUT,
    bedrock_calls,
    clean_env,
    commands,
    metered,
    node_command,
    pinned,
    plain,
    run,
    stop_left_behind,
    tool_results,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(params=pinned("cline"))
def cline(request, gateway, issue, tmp_path):
    """cline(*arguments, model=...) -> its output, after running the README's setup commands for `model`."""
    program = node_command(f"cline-{request.param}", "bin/cline")
    home, project = tmp_path / "home", tmp_path / "project"
    project.mkdir()
    identity = f"cline-{request.node.callspec.id}@test"
    key = issue(identity)

    def _run(*arguments: str, model: str = "claude-4-sonnet") -> str:
        for setup in commands(client("cline-cli").text(root=gateway.url, key=key, model=model), "cline"):
            done = run([*program, *setup], cwd=project, env=clean_env(home))
            assert done.returncode == 0, done.stdout + done.stderr
        done = run([*program, *arguments], cwd=project, env=clean_env(home))
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    _run.program, _run.home, _run.project, _run.identity = program, home, project, identity
    yield _run
    stop_left_behind(f"--cwd {project}")


def type_into_ui(argv: list[str], *, cwd, env: dict[str, str], text: str, until: str) -> str:
    """Open a terminal UI, type `text` once it is ready, and return what it showed once `until` appears."""
    pid, terminal = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve(argv[0], argv, {**env, "TERM": "xterm-256color"})
    shown, typed, deadline = b"", False, time.monotonic() + RUN_TIMEOUT
    try:
        while until.encode() not in plain(shown.decode(errors="replace")).replace(" ", "").encode():
            assert time.monotonic() < deadline, plain(shown.decode(errors="replace"))[-3000:]
            if select.select([terminal], [], [], 0.5)[0]:
                shown += os.read(terminal, 65536)
            if not typed and b"Ask anything" in shown:
                typed = True
                time.sleep(1)  # the UI takes keys once it has drawn its prompt
                os.write(terminal, text.encode())
                time.sleep(0.5)
                os.write(terminal, b"\r")
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(terminal)
    return plain(shown.decode(errors="replace"))


@pytest.mark.parametrize("model", ["claude-4-sonnet", "gpt-4o"])
def test_cline_answers_a_first_turn(cline, emulator_log, records, model):
    assert "synthetic answer" in cline("say hello", model=model)
    calls = bedrock_calls(emulator_log)
    metered(records, cline.identity, model, len(calls))


def test_cline_runs_its_editor_tool_and_carries_the_session_on(cline, emulator_log, records):
    note = cline.project / "note.txt"
    out = cline(f"Use editor path={note} new_text=sbc-cline-ok")
    assert "The tool returned" in out
    assert note.read_text() == "sbc-cline-ok", "the model's tool call ran"
    [session] = json.loads(cline("history", "--json"))
    type_into_ui(
        [*cline.program, "--id", session["sessionId"]],
        cwd=cline.project,
        env=clean_env(cline.home),
        text="And now?",
        until="syntheticanswer",
    )
    calls = bedrock_calls(emulator_log)
    assert any("File created" in result for result in tool_results(calls))
    last = calls[-1]["body"]["messages"]
    assert last[-1]["content"][0]["text"].endswith("And now?") and "sbc-cline-ok" in str(last[:-1]), (
        "the second turn carried the first one's tool round trip"
    )
    metered(records, cline.identity, "claude-4-sonnet", len(calls))
