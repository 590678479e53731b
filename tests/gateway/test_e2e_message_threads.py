"""End to end: Anthropic's SDK runs its tool loop over a message thread by default (`tool_runner()`, SDK 2.17+):
later turns send only the new messages and continue from the previous reply's id. Through the gateway, set up
as the README's snippet says, the loop completes a two-round tool task with the whole conversation reaching
Bedrock on every turn; another identity's reply id is `thread_not_found`; a thread the gateway cannot keep is
`thread_unsupported_request`, after which the SDK's own fallback (the whole conversation, no thread) completes."""

from __future__ import annotations

import anthropic
import httpx
import pytest
from anthropic import beta_tool

from gateway.compat.clients import client

pytestmark = pytest.mark.e2e

MODEL = "claude-4-sonnet"
TASK = "Use get_weather city=Lisbon, then get_time city=Lisbon, and report both. [[sbc:in-turn]]"
THREADS_BETA = "message-threads-2026-08-12"


@pytest.fixture
def identity(unique_name) -> str:
    return unique_name("threads")


@pytest.fixture
def sdk(gateway, issue, identity) -> anthropic.Anthropic:
    snippet = client("anthropic-python").text(root=gateway.url, key=issue(identity), model=MODEL)
    made: dict = {}
    exec(snippet[: snippet.index("\nreply = ")], made)  # the snippet's setup, before its own one-off call
    return made["client"]


def tools(calls: list[str]) -> list:
    @beta_tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        calls.append(f"weather:{city}")
        return "21C and sunny"

    @beta_tool
    def get_time(city: str) -> str:
        """Local time in a city."""
        calls.append(f"time:{city}")
        return "14:05"

    return [get_weather, get_time]


def invocations(emulator_log) -> list[dict]:
    return [entry for entry in emulator_log() if entry["operation"].startswith("invoke")]


def first_text(message) -> str:
    return next((block.text for block in message.content if block.type == "text"), "")


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_the_tool_runner_with_its_defaults_completes_a_two_round_task(
    sdk, emulator_log, records_of_token, kept_chains, stream
):
    calls: list[str] = []
    runner = sdk.beta.messages.tool_runner(
        model=MODEL, max_tokens=1024, tools=tools(calls), messages=[{"role": "user", "content": TASK}], stream=stream
    )
    replies = [stream_.get_final_message() for stream_ in runner] if stream else list(runner)
    assert calls == ["weather:Lisbon", "time:Lisbon"]
    assert [reply.stop_reason for reply in replies] == ["tool_use", "tool_use", "end_turn"]
    assert first_text(replies[-1]).startswith("The tool returned: 14:05")

    # The SDK threaded its turns (each after the first continued from the reply before) ...
    assert [len(chain) for chain in kept_chains()] == [0, 1, 2]
    assert [record["adapted"] for record in records_of_token()] == ["", "", ""], "thread and beta honoured, not dropped"
    # ... and Bedrock saw the whole conversation every time: the task, each call and each result.
    sent = [entry["body"]["messages"] for entry in invocations(emulator_log)[-3:]]
    assert [len(messages) for messages in sent] == [1, 3, 5]
    assert TASK in str(sent[2][0]["content"])
    assert [block["type"] for block in sent[2][1]["content"] if block["type"] != "text"] == ["tool_use"]
    assert sent[2][2]["content"][0]["type"] == "tool_result"
    assert sent[2][3]["content"][-1]["name"] == "get_time"
    # The kept turns carry one cache point, so Claude's prompt cache covers them.
    marked = [block for message in sent[2][:4] for block in message["content"] if "cache_control" in block]
    assert len(marked) == 1


def test_a_continue_from_another_identitys_reply_is_thread_not_found(gateway, issue, unique_name):
    alice, mallory = issue(unique_name("alice")), issue(unique_name("mallory"))

    def ask(key: str, **body) -> httpx.Response:
        return httpx.post(
            f"{gateway.url}/v1/messages",
            json={"model": MODEL, "max_tokens": 256, **body},
            headers={"x-api-key": key, "anthropic-version": "2023-06-01", "anthropic-beta": THREADS_BETA},
            timeout=30,
        )

    created = ask(alice, messages=[{"role": "user", "content": "Remember the word teal."}], thread={"type": "create"})
    assert created.status_code == 200, created.text
    reply_id = created.json()["id"]
    continued = {"type": "continue", "previous_message_id": reply_id}
    assert ask(alice, messages=[{"role": "user", "content": "Which word?"}], thread=continued).status_code == 200

    stolen = ask(mallory, messages=[{"role": "user", "content": "Which word?"}], thread=continued)
    assert stolen.status_code == 404
    error = stolen.json()["error"]
    assert error["type"] == "not_found_error" and error["details"] == {"error_code": "thread_not_found"}
    assert "teal" not in stolen.text


def test_a_thread_the_gateway_cannot_keep_falls_back_to_the_whole_conversation(sdk, emulator_log, records_of_token):
    calls: list[str] = []
    runner = sdk.beta.messages.tool_runner(
        model=MODEL,
        max_tokens=1024,
        tools=tools(calls),
        messages=[{"role": "user", "content": TASK}],
        context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
        betas=["context-management-2025-06-27"],
    )
    replies = list(runner)
    assert calls == ["weather:Lisbon", "time:Lisbon"]
    assert first_text(replies[-1]).startswith("The tool returned: 14:05")
    refused, *answered = records_of_token()
    assert refused["status"] == 400 and refused["error_code"] == "thread_unsupported_request"
    assert [record["status"] for record in answered] == [200, 200, 200]
    assert [len(entry["body"]["messages"]) for entry in invocations(emulator_log)[-3:]] == [1, 3, 5]


@pytest.fixture
def records_of_token(identity, records):
    """The Messages API usage records of the test's identity, oldest first."""
    return lambda: [record for record in records(identity) if record["endpoint"] == "messages"]


@pytest.fixture
def kept_chains(identity, django_db_blocker):
    """The chains of the thread turns the gateway kept for the test's identity, oldest first."""
    from gateway.models import ThreadTurn

    def _chains() -> list[list[str]]:
        with django_db_blocker.unblock():
            turns = ThreadTurn.objects.filter(identity__name=identity).order_by("created_at")
            return [turn.chain for turn in turns]

    return _chains
