"""End to end: the Anthropic Python SDK, set up as the README's snippet says (`Anthropic(base_url=<root>, ...)`),
holds a conversation with a tool round trip through the gateway, streamed and not, and discovers models."""

from __future__ import annotations

import anthropic
import openai
import pytest

from gateway.compat.clients import client

pytestmark = pytest.mark.e2e

MODEL = "claude-4-sonnet"
WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
SYSTEM = [
    {"type": "text", "text": "You answer questions about the weather. " * 150, "cache_control": {"type": "ephemeral"}}
]
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


@pytest.fixture
def sdk(gateway, token) -> anthropic.Anthropic:
    snippet = client("anthropic-python").text(root=gateway.url, key=token, model=MODEL)
    made: dict = {}
    exec(snippet[: snippet.index("\nreply = ")], made)  # the snippet's setup, before its own one-off call
    return made["client"]


def send(sdk: anthropic.Anthropic, messages: list, *, stream: bool, **kwargs) -> anthropic.types.Message:
    arguments = dict(model=MODEL, max_tokens=1024, system=SYSTEM, tools=[WEATHER], messages=messages, **kwargs)
    if not stream:
        return sdk.messages.create(**arguments)
    with sdk.messages.stream(**arguments) as events:
        return events.get_final_message()


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_conversation_with_a_tool_round_trip(sdk, emulator_log, stream):
    history = [{"role": "user", "content": "Hello"}]
    first = send(sdk, history, stream=stream)
    assert first.stop_reason == "end_turn" and "synthetic answer" in first.content[0].text
    history += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": "What is the weather? Use get_weather city=Lisbon"},
    ]
    asked = send(sdk, history, stream=stream)
    call = next(block for block in asked.content if block.type == "tool_use")
    assert asked.stop_reason == "tool_use" and call.name == "get_weather" and call.input == {"city": "Lisbon"}
    history += [
        {"role": "assistant", "content": asked.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "21C"}]},
    ]
    answered = send(sdk, history, stream=stream)
    assert answered.content[0].text.startswith("The tool returned: 21C")
    history += [
        {"role": "assistant", "content": answered.content},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And this picture?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PIXEL}},
            ],
        },
    ]
    last = send(sdk, history, stream=stream)
    assert "I received 1 image (png)." in last.content[0].text
    assert last.usage.cache_read_input_tokens > 0  # the system prompt, cached by the first turn
    calls = [entry for entry in emulator_log() if entry["operation"].startswith("invoke")]
    assert len(calls) == 4 and all(entry["status"] == 200 for entry in calls)


def test_a_mid_conversation_system_entry_is_answered_and_named(sdk, emulator_log):
    raw = sdk.messages.with_raw_response.create(
        model=MODEL,
        max_tokens=256,
        messages=[
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi."},
            {"role": "system", "content": "The user prefers short answers."},
            {"role": "user", "content": "Go on"},
        ],
    )
    assert "synthetic answer" in raw.parse().content[0].text
    assert "messages.role:system" in raw.headers["x-sbc-adapted"].split(", ")
    sent = emulator_log()[-1]["body"]
    assert [turn["role"] for turn in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][2]["content"][0]["text"].startswith("<system-reminder>\nThe user prefers short answers.")


def test_adaptive_thinking_reaches_a_budget_model_as_a_budget(sdk, emulator_log):
    reply = sdk.messages.with_raw_response.create(
        model=MODEL,
        max_tokens=8000,
        thinking={"type": "adaptive"},
        messages=[{"role": "user", "content": "Think"}],
        extra_body={"output_config": {"effort": "medium"}},
    )
    assert reply.parse().content[0].type == "thinking"
    assert emulator_log()[-1]["body"]["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert {"thinking.type:adaptive", "output_config.effort"} <= set(reply.headers["x-sbc-adapted"].split(", "))


def test_models_are_listed_in_anthropic_shape_for_anthropic_clients(sdk, gateway, token):
    page = sdk.models.list()
    ids = [model.id for model in page.data]
    assert MODEL in ids and all(model.type == "model" and model.created_at for model in page.data)
    assert all(name.startswith("claude") for name in ids)  # only Claude answers on /v1/messages
    assert sdk.models.retrieve(MODEL).id == MODEL
    with pytest.raises(anthropic.NotFoundError) as raised:
        sdk.models.retrieve("llama-3.3-70b")
    assert raised.value.body["type"] == "error"
    openai_ids = [model.id for model in openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=token).models.list()]
    assert MODEL in openai_ids and "llama-3.3-70b" in openai_ids


def test_the_model_list_holds_only_the_models_the_identity_may_use(gateway, issue, django_db_blocker):
    from tokens.models import Quota
    from tokens.services import identity_get_or_create

    token = issue("carol@models")
    with django_db_blocker.unblock():
        Quota.objects.update_or_create(
            identity=identity_get_or_create(name="carol@models"),
            defaults={"allowed_models": "claude-3.5-haiku\nllama-3.3-70b"},
        )
    listed = anthropic.Anthropic(base_url=gateway.url, api_key=token).models.list()
    assert [model.id for model in listed.data] == ["claude-3.5-haiku"]


def test_an_openai_model_name_that_stands_for_claude_answers(sdk, emulator_log):
    reply = sdk.messages.create(model="gpt-4o", max_tokens=256, messages=[{"role": "user", "content": "Hello"}])
    assert "synthetic answer" in reply.content[0].text and reply.model == "gpt-4o"
    assert emulator_log()[-1]["model_id"].startswith("us.anthropic.claude")
