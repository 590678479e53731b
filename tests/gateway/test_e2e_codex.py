"""End to end: the Codex CLI, set up exactly as the portal tells users, works through the gateway.

Each pinned Codex version (tests/clients/package.json) runs `codex exec` headless with a fresh HOME and
CODEX_HOME holding only the rendered `client("codex")` config.toml, and the key in the environment variable
the snippet names. Nothing else is configured: Codex sends its default request, `web_search` tool included.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from gateway.compat.clients import client
from tests.clients import clean_env, node_command, pinned
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

VERSIONS = pinned("codex")
NEWEST = VERSIONS[0]
EXPORT_RE = re.compile(r'^# export (\w+)="([^"]*)"$', re.MULTILINE)


class Codex:
    """One user's Codex: a home configured from the rendered snippet, and `codex exec` in it."""

    def __init__(self, version: str, home: Path, *, root: str, key: str, model: str, extra: str = "") -> None:
        self.command = node_command(f"codex-{version}", "bin/codex.js")
        self.home = home
        text = client("codex").text(root=root, key=key, model=model)
        (home / "codex-home").mkdir(parents=True, exist_ok=True)
        (home / "codex-home" / "config.toml").write_text(text.replace("wire_api", extra + "wire_api", 1))
        self.env = clean_env(home, CODEX_HOME=str(home / "codex-home"), **dict(EXPORT_RE.findall(text)))

    def exec(self, *args: str) -> list[dict]:
        """`codex exec --json ...`: its events; fails the test when Codex fails."""
        try:
            done = subprocess.run(
                [*self.command, "exec", "--skip-git-repo-check", "--json", *args],
                cwd=self.home,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=180,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"Codex did not finish: {exc!r}")
        assert done.returncode == 0, done.stdout + done.stderr
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def said(events: list[dict]) -> str:
    return "\n".join(
        e["item"]["text"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == "agent_message"
    )


@pytest.fixture
def identity() -> str:
    return f"codex-{uuid.uuid4().hex[:10]}@test"


@pytest.fixture
def codex(gateway, issue, identity, tmp_path):
    """codex(version, model, extra) -> a user with their own token, set up from the rendered snippet."""
    key = issue(identity)

    def _codex(version: str = NEWEST, model: str = "claude-4-sonnet", extra: str = "") -> Codex:
        return Codex(version, tmp_path / f"user-{version}", root=gateway.url, key=key, model=model, extra=extra)

    return _codex


@pytest.fixture
def gateway_events():
    """gateway_events() -> the gateway's JSON events logged since the test began."""
    log = ARTIFACTS / "gateway.log"
    start = log.stat().st_size if log.exists() else 0

    def _events() -> list[dict]:
        with open(log, "rb") as handle:
            handle.seek(start)
            lines = handle.read().decode(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith('{"event"')]

    return _events


def converse_calls(emulator_log) -> list[dict]:
    return [entry for entry in emulator_log() if entry["operation"].startswith("converse")]


@pytest.mark.parametrize("version", VERSIONS)
def test_codex_answers_and_carries_the_first_turn_into_the_second(
    version, codex, identity, emulator_log, records, gateway_events
):
    user = codex(version)
    first = user.exec("say hello, first-turn-marker")
    assert "synthetic answer" in said(first)
    second = user.exec("resume", "--last", "and the second turn?")
    assert "synthetic answer" in said(second)
    calls = converse_calls(emulator_log)
    assert len(calls) == 2 and all(entry["status"] == 200 for entry in calls)
    carried = json.dumps(calls[-1]["body"]["messages"])
    assert "first-turn-marker" in carried and "synthetic answer" in carried and "the second turn?" in carried
    rows = records(identity)
    assert len(rows) == 2 and all("tool:web_search" in row["adapted"].split(", ") for row in rows)
    assert {row["endpoint"] for row in rows} == {"responses"}
    # The default setup never tries a WebSocket: the first token waits for nothing but the POST.
    assert not [event for event in gateway_events() if event["event"] == "websocket_refused"]


@pytest.mark.parametrize("version", VERSIONS)
def test_codex_runs_a_tool_the_model_calls_and_sends_its_output_back(version, codex, emulator_log):
    events = codex(version).exec('Use exec_command cmd="echo sbc-codex-ok"')
    assert "The tool returned" in said(events)
    calls = converse_calls(emulator_log)
    assert len(calls) == 2 and all(entry["status"] == 200 for entry in calls)
    results = [
        block["toolResult"]
        for message in calls[-1]["body"]["messages"]
        for block in message["content"]
        if "toolResult" in block
    ]
    assert any("sbc-codex-ok" in json.dumps(result["content"]) for result in results)


def test_codex_answers_with_an_openai_model_name(codex, identity, emulator_log, records):
    events = codex(model="gpt-4o").exec("say hello")
    assert "synthetic answer" in said(events)
    assert [entry["status"] for entry in converse_calls(emulator_log)] == [200]
    assert "tool:web_search" in records(identity)[-1]["adapted"]


def test_codex_keeps_claude_thinking_through_a_tool_loop(codex, emulator_log):
    events = codex().exec("-c", 'model_reasoning_effort="low"', 'Use exec_command cmd="echo thought-through"')
    assert "The tool returned" in said(events)
    last = converse_calls(emulator_log)[-1]["body"]
    assert last["additionalModelRequestFields"]["thinking"]["type"] in ("enabled", "adaptive")
    calling_turn = next(
        message for message in last["messages"] if any("toolUse" in block for block in message["content"])
    )
    assert "reasoningContent" in calling_turn["content"][0], "the signed thinking went back to Claude"


def test_codex_told_the_gateway_speaks_websocket_falls_back_to_http_after_one_try(codex, emulator_log, gateway_events):
    # `supports_websockets = true` is a user's own addition, not in the snippet: Codex then asks to upgrade
    # first. One refused upgrade, then the turn over HTTP: no retries with backoff before the first token.
    events = codex(extra="supports_websockets = true\n").exec("say hello")
    assert "synthetic answer" in said(events)
    kinds = [event["event"] for event in gateway_events() if event["event"] in ("websocket_refused", "request")]
    assert kinds == ["websocket_refused", "request"]
    assert [entry["status"] for entry in converse_calls(emulator_log)] == [200]
