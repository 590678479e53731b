"""End to end: Claude Code, set up exactly as the README tells users, works through the gateway by default.

Each pinned version (tests/clients/package.json) runs a first turn, a tool round trip and a further turn
that carries the conversation (`--continue`), against the gateway with the Bedrock emulator behind it.
Claude Code gets only the variables `client("claude-code")` renders, a fresh HOME and `-p`. A recording
proxy between Claude Code and the gateway keeps what Claude Code sent, so the test can check where its
mid-conversation `system` entries ended up at Bedrock.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from django.conf import settings

from gateway.compat.clients import client
from gateway.translate.anthropic_request.turns import MARK
from tests.clients import clean_env, node_command, pinned
from tests.gateway.recording_proxy import RecordingProxy

pytestmark = pytest.mark.e2e

VERSIONS = pinned("claude-code")
ALIAS = "claude-4-sonnet"


def user_env(root: str, key: str, model: str | None, home) -> dict[str, str]:
    """The environment a user has after following the README; without a model, as its `how` says."""
    text = client("claude-code").text(root=root, key=key, model=model or ALIAS)
    variables = dict(re.findall(r'^export (\w+)="([^"]*)"$', text, re.MULTILINE))
    if model is None:
        variables.pop("ANTHROPIC_MODEL")
    return clean_env(home, **variables)


def claude(version: str, env: dict[str, str], cwd, prompt: str, *flags: str) -> str:
    done = subprocess.run(
        node_command(f"claude-code-{version}", "cli-wrapper.cjs") + ["-p", prompt, *flags],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def proxy(gateway):
    running = RecordingProxy(gateway.url).start()
    yield running
    running.stop()


@pytest.fixture
def places(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "project").mkdir()
    return tmp_path / "home", tmp_path / "project"


def texts(content) -> list[str]:
    if isinstance(content, str):
        return [content]
    return [block.get("text", "") for block in content if isinstance(block, dict) and block.get("type") == "text"]


def system_entry_texts(bodies: list[dict]) -> set[str]:
    return {
        text
        for body in bodies
        for message in body["messages"]
        if message["role"] == "system"
        for text in texts(message["content"])
    }


def without_cache_marks(message: dict) -> list:
    content = message["content"] if isinstance(message["content"], list) else texts(message["content"])
    return [
        {k: v for k, v in block.items() if k != "cache_control"}
        if isinstance(block, dict)
        else {"type": "text", "text": block}
        for block in content
    ]


def assert_prefix_kept(earlier: dict, later: dict) -> None:
    """Everything `earlier` sent reaches Bedrock again, in the same bytes, at the start of `later`
    (the last turn may have grown): the prompt cache can read it."""
    *before, last = earlier["messages"]
    assert [without_cache_marks(m) for m in later["messages"][: len(before)]] == [
        without_cache_marks(m) for m in before
    ]
    grown = without_cache_marks(later["messages"][len(before)])
    assert grown[: len(without_cache_marks(last))] == without_cache_marks(last)
    assert later["system"] == earlier["system"]


@pytest.mark.parametrize("version", VERSIONS)
def test_claude_code_answers_calls_a_tool_and_continues(version, proxy, token, emulator_log, records, places):
    home, project = places
    before = len(records("alice@test"))
    (project / "notes.txt").write_text("The secret word is pineapple.\n")
    env = user_env(proxy.url, token, ALIAS, home)

    assert "synthetic answer" in claude(version, env, project, "Hello there")
    after_first = len([r for r in records("alice@test")[before:] if r["endpoint"] == "messages"])
    tool_turn = claude(version, env, project, f"Use Read file_path={project / 'notes.txt'}", "--continue")
    assert "The tool returned" in tool_turn and "pineapple" in tool_turn
    assert "synthetic answer" in claude(version, env, project, "Thanks", "--continue")

    calls = [entry for entry in emulator_log() if entry["operation"].startswith("invoke")]
    assert calls and all(entry["status"] == 200 for entry in calls)
    bedrock = [entry["body"] for entry in calls]
    entries = system_entry_texts(proxy.messages_bodies())
    assert entries, "Claude Code sent no mid-conversation system entry"
    in_user_turns = {
        text
        for body in bedrock
        for message in body["messages"]
        if message["role"] == "user"
        for text in texts(message["content"])
    }
    assert any(MARK.format(entry) in in_user_turns for entry in entries)
    top_level = " ".join(text for body in bedrock for text in texts(body.get("system") or []))
    assert not any(entry in top_level for entry in entries)
    opening = without_cache_marks(bedrock[0]["messages"][0])
    conversation = [body for body in bedrock if without_cache_marks(body["messages"][0]) == opening]
    assert len(conversation) >= 4  # first turn, the tool call and its result, the last turn
    for earlier, later in zip(conversation, conversation[1:]):
        assert_prefix_kept(earlier, later)

    turns = [r for r in records("alice@test")[before:] if r["endpoint"] == "messages"]
    first, continued = turns[:after_first], turns[after_first:]
    # The next turn reads from the cache all the first turn wrote: its system entry included.
    assert continued[0]["cached_tokens"] >= first[-1]["cache_write_tokens"] > 0
    assert all(r["cached_tokens"] > 0 for r in continued)
    assert all("messages.role:system" in r["adapted"].split(", ") for r in turns)


@pytest.mark.parametrize("model", ["gpt-4o", None], ids=["openai-name", "claude-code-default"])
def test_claude_code_answers_under_other_model_names(model, proxy, token, emulator_log, records, places):
    home, project = places
    before = len(records("alice@test"))
    assert "synthetic answer" in claude(VERSIONS[0], user_env(proxy.url, token, model, home), project, "Hello")
    calls = [entry for entry in emulator_log() if entry["operation"].startswith("invoke")]
    assert calls and all(entry["status"] == 200 for entry in calls)
    asked = {body["model"] for body in proxy.messages_bodies()}
    if model is None:
        # Claude Code's own default is a model this gateway's table does not have: DEFAULT_MODEL answers it.
        assert asked and not asked & {ALIAS, settings.DEFAULT_MODEL}
        assert all("model" in r["adapted"].split(", ") for r in records("alice@test")[before:])
    else:
        assert asked == {model}
    assert {entry["model_id"] for entry in calls} == {"us.anthropic.claude-sonnet-4-20250514-v1:0"}
