"""End to end: reasoning, structured output, prompt caching and the context-window guard through the
official openai SDK, gunicorn and the Bedrock emulator, which holds the gateway to Claude's rules."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import jsonschema
import openai
import pytest
from botocore.exceptions import ClientError
from pydantic import BaseModel

pytestmark = pytest.mark.e2e

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TICKET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "priority", "labels", "owner"],
    "properties": {
        "title": {"type": "string"},
        "priority": {"type": "string", "enum": ["low", "high"]},
        "labels": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "owner": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "team"],
            "properties": {"name": {"type": "string"}, "team": {"type": "integer"}},
        },
    },
}
TICKET_FORMAT = {"type": "json_schema", "json_schema": {"name": "ticket", "schema": TICKET, "strict": True}}
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"


def extra(message, name: str):
    """A field the OpenAI types may not declare (reasoning_content, thinking_blocks, cache_write_tokens)."""
    value = getattr(message, name, None)
    return value if value is not None else (message.model_extra or {}).get(name)


def weather_question(**kwargs) -> dict:
    return dict(
        model="claude-4-sonnet",
        tools=[WEATHER_TOOL],
        reasoning_effort="low",
        messages=[{"role": "user", "content": "What is the weather? Use get_weather city=Paris"}],
        **kwargs,
    )


def sent_bodies(emulator_log) -> list[dict]:
    return [entry["body"] for entry in emulator_log() if entry["operation"].startswith("converse")]


# ---- reasoning -------------------------------------------------------------------------------------


def test_reasoning_effort_returns_reasoning_and_a_thinking_tool_loop_continues(client, emulator_log):
    first = client.chat.completions.create(**weather_question())
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    assert extra(message, "reasoning_content").startswith("The user sent 1 message.")
    (block,) = extra(message, "thinking_blocks")
    assert block["type"] == "thinking" and block["thinking"] == extra(message, "reasoning_content")
    assert block["signature"]
    assert first.usage.completion_tokens_details.reasoning_tokens > 0

    call = message.tool_calls[0]
    second = client.chat.completions.create(
        **{
            **weather_question(),
            "messages": [
                *weather_question()["messages"],
                message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"},
            ],
        }
    )
    assert second.choices[0].message.content.startswith("The tool returned: 18C and sunny")
    assert extra(second.choices[0].message, "reasoning_content")

    first_sent, second_sent = sent_bodies(emulator_log)[-2:]
    assert first_sent["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    assert first_sent["inferenceConfig"] == {"maxTokens": 5120}
    assert second_sent["additionalModelRequestFields"]["thinking"]["type"] == "enabled"
    assert (
        second_sent["messages"][1]["content"][0]["reasoningContent"]["reasoningText"]["signature"] == block["signature"]
    )


def test_a_tampered_thinking_signature_is_refused_like_claude_does(client):
    first = client.chat.completions.create(**weather_question())
    replayed = first.choices[0].message.model_dump(exclude_none=True)
    replayed["thinking_blocks"][0]["thinking"] += " (edited)"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            **{
                **weather_question(),
                "messages": [
                    *weather_question()["messages"],
                    replayed,
                    {"role": "tool", "tool_call_id": replayed["tool_calls"][0]["id"], "content": "sunny"},
                ],
            }
        )
    assert "signature" in caught.value.message


def test_a_tool_loop_without_thinking_blocks_still_works_with_thinking_off_for_that_turn(client, emulator_log):
    first = client.chat.completions.create(**weather_question())
    plain = first.choices[0].message.model_dump(exclude_none=True, exclude={"thinking_blocks", "reasoning_content"})
    second = client.chat.completions.create(
        **{
            **weather_question(),
            "messages": [
                *weather_question()["messages"],
                plain,
                {"role": "tool", "tool_call_id": plain["tool_calls"][0]["id"], "content": "rain"},
            ],
        }
    )
    assert second.choices[0].message.content.startswith("The tool returned: rain")
    assert "additionalModelRequestFields" not in sent_bodies(emulator_log)[-1]


def test_reasoning_streams_as_reasoning_content_with_its_signature_and_replays(client, emulator_log):
    chunks = list(client.chat.completions.create(**weather_question(stream=True)))
    deltas = [chunk.choices[0].delta for chunk in chunks if chunk.choices]
    reasoning = "".join(extra(delta, "reasoning_content") or "" for delta in deltas)
    signatures = [block["signature"] for delta in deltas for block in extra(delta, "thinking_blocks") or []]
    calls = [call for delta in deltas for call in delta.tool_calls or []]
    assert reasoning.startswith("The user sent 1 message.")
    assert len(signatures) == 1 and signatures[0]
    assert [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices][-1] == "tool_calls"
    assert [call.function.name for call in calls if call.function.name] == ["get_weather"]

    # A streaming client sends back what it was streamed: the reasoning text and the signed block (empty text).
    assistant = {
        "role": "assistant",
        "content": None,
        "reasoning_content": reasoning,
        "thinking_blocks": [{"type": "thinking", "thinking": "", "signature": signatures[0]}],
        "tool_calls": [
            {
                "id": calls[0].id,
                "type": "function",
                "function": {"name": "get_weather", "arguments": "".join(c.function.arguments or "" for c in calls)},
            }
        ],
    }
    follow_up = list(
        client.chat.completions.create(
            **{
                **weather_question(stream=True),
                "messages": [
                    *weather_question()["messages"],
                    assistant,
                    {"role": "tool", "tool_call_id": calls[0].id, "content": "dry"},
                ],
            }
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in follow_up if c.choices)
    assert text.startswith("The tool returned: dry")
    assert sent_bodies(emulator_log)[-1]["additionalModelRequestFields"]["thinking"]["type"] == "enabled"


def test_adaptive_models_get_an_effort(client, emulator_log):
    reply = client.chat.completions.create(
        model="claude-opus-4.6", reasoning_effort="xhigh", messages=[{"role": "user", "content": "Plan a refactor"}]
    )
    assert extra(reply.choices[0].message, "reasoning_content")
    sent = sent_bodies(emulator_log)[-1]
    assert sent["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}
    assert sent["outputConfig"] == {"effort": "high"}


@pytest.mark.parametrize(
    "fields, param",
    [
        ({"temperature": 0.3}, "temperature"),
        ({"tools": [WEATHER_TOOL], "tool_choice": "required"}, "tool_choice"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    ],
)
def test_combinations_claude_refuses_get_a_400_naming_the_field(client, emulator_log, fields, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            **{
                "model": "claude-4-sonnet",
                "reasoning_effort": "low",
                "messages": [{"role": "user", "content": "hi"}],
                **fields,
            }
        )
    assert caught.value.status_code == 400 and caught.value.body["param"] == param
    assert sent_bodies(emulator_log) == []


# ---- structured output -----------------------------------------------------------------------------


class Owner(BaseModel):
    name: str
    team: int


class Ticket(BaseModel):
    title: str
    priority: str
    labels: list[str]
    owner: Owner


def test_parse_returns_a_typed_object_on_a_native_structured_output_model(client, emulator_log):
    reply = client.chat.completions.parse(
        model="claude-sonnet-4.5",
        response_format=Ticket,
        messages=[{"role": "user", "content": "File a ticket title=Crash"}],
    )
    ticket = reply.choices[0].message.parsed
    assert isinstance(ticket, Ticket) and ticket.title == "Crash" and isinstance(ticket.owner.team, int)
    assert reply.choices[0].finish_reason == "stop"
    sent = sent_bodies(emulator_log)[-1]
    assert sent["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"] == "Ticket"
    assert "toolConfig" not in sent


@pytest.mark.parametrize(
    "model, path", [("claude-sonnet-4.5", "native"), ("claude-4-sonnet", "tool"), ("claude-3.5-haiku", "tool")]
)
def test_json_schema_answers_parse_and_match_the_schema(client, emulator_log, model, path):
    reply = client.chat.completions.create(
        model=model, response_format=TICKET_FORMAT, messages=[{"role": "user", "content": "Open a ticket title=Slow"}]
    )
    answer = json.loads(reply.choices[0].message.content)
    jsonschema.validate(answer, TICKET)
    assert answer["title"] == "Slow"
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.tool_calls is None
    sent = sent_bodies(emulator_log)[-1]
    assert ("outputConfig" in sent, "toolConfig" in sent) == (path == "native", path == "tool")


@pytest.mark.parametrize("model", ["claude-sonnet-4.5", "claude-4-sonnet"])
def test_streamed_json_schema_answers_parse(client, model):
    chunks = list(
        client.chat.completions.create(
            model=model,
            response_format=TICKET_FORMAT,
            stream=True,
            messages=[{"role": "user", "content": "Open a ticket"}],
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    jsonschema.validate(json.loads(content), TICKET)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert not any(c.choices[0].delta.tool_calls for c in chunks if c.choices)


def test_json_object_comes_back_as_a_json_object(client):
    reply = client.chat.completions.create(
        model="claude-4-sonnet",
        response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Reply in JSON"}],
    )
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_native_structured_output_and_reasoning_work_together(client):
    reply = client.chat.completions.create(
        model="claude-sonnet-4.5",
        response_format=TICKET_FORMAT,
        reasoning_effort="medium",
        messages=[{"role": "user", "content": "Open a ticket"}],
    )
    jsonschema.validate(json.loads(reply.choices[0].message.content), TICKET)
    assert extra(reply.choices[0].message, "reasoning_content")


# ---- prompt caching --------------------------------------------------------------------------------


def long_conversation(marker: str) -> list[dict]:
    rules = f"Session {marker}. You are a careful coding agent. " + "Follow the repository's style guide. " * 150
    return [
        {"role": "system", "content": rules},
        {"role": "user", "content": "Read main.py " + "def f(): pass\n" * 200},
        {"role": "assistant", "content": "I read it. It defines f many times."},
        {"role": "user", "content": "Now read test_main.py " + "assert f() is None\n" * 200},
        {"role": "assistant", "content": "Done; the tests call f."},
        {"role": "user", "content": "Summarise both files."},
    ]


def usage_record(django_db_blocker, request_id: str):
    from usage.models import UsageRecord

    with django_db_blocker.unblock():
        return UsageRecord.objects.get(request_id=request_id)


def model_price(django_db_blocker, model_id: str):
    from usage.models import ModelPrice

    with django_db_blocker.unblock():
        return ModelPrice.objects.get(model=model_id)


def test_a_repeated_long_conversation_reads_the_cache_and_is_billed_at_the_cache_rates(
    client, emulator_log, django_db_blocker
):
    messages = long_conversation(uuid.uuid4().hex)
    first = client.chat.completions.create(model="claude-4-sonnet", messages=messages)
    raw = client.chat.completions.with_raw_response.create(model="claude-4-sonnet", messages=messages)
    second = raw.parse()

    assert first.usage.prompt_tokens_details.cached_tokens == 0
    written = extra(first.usage.prompt_tokens_details, "cache_write_tokens")
    assert written > 1000
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached == written and extra(second.usage.prompt_tokens_details, "cache_write_tokens") == 0
    assert second.usage.prompt_tokens == first.usage.prompt_tokens

    sent = sent_bodies(emulator_log)[-1]
    assert sent["system"][-1] == {"cachePoint": {"type": "default"}}
    assert sent["messages"][3]["content"][-1] == {"cachePoint": {"type": "default"}}

    record = usage_record(django_db_blocker, raw.headers["x-request-id"])
    assert (record.cached_tokens, record.cache_write_tokens) == (cached, 0)
    assert record.prompt_tokens == second.usage.prompt_tokens
    price = model_price(django_db_blocker, "anthropic.claude-sonnet-4-20250514-v1:0")
    fresh = second.usage.prompt_tokens - cached
    expected = (
        fresh * price.input_per_million
        + second.usage.completion_tokens * price.output_per_million
        + cached * price.cache_read_per_million
    ) / Decimal(1_000_000)
    assert record.cost_usd == expected.quantize(Decimal("0.00000001"))
    uncached = (
        second.usage.prompt_tokens * price.input_per_million + second.usage.completion_tokens * price.output_per_million
    ) / Decimal(1_000_000)
    assert record.cost_usd < uncached


def test_an_agent_whose_conversation_grows_reads_what_the_previous_turn_cached(client):
    messages = long_conversation(uuid.uuid4().hex)
    first = client.chat.completions.create(model="claude-4-sonnet", messages=messages)
    grown = [
        *messages,
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "Now list the functions."},
    ]
    second = client.chat.completions.create(model="claude-4-sonnet", messages=grown)
    # Everything up to the first turn's history point is read; the newer history is written.
    assert second.usage.prompt_tokens_details.cached_tokens == extra(
        first.usage.prompt_tokens_details, "cache_write_tokens"
    )
    assert extra(second.usage.prompt_tokens_details, "cache_write_tokens") > 0


def test_an_alias_without_prompt_caching_sends_no_cache_points(client, emulator_log):
    messages = long_conversation(uuid.uuid4().hex)
    for _ in range(2):
        reply = client.chat.completions.create(model="claude-3.5-sonnet", messages=messages)
        assert reply.usage.prompt_tokens_details.cached_tokens == 0
    assert "cachePoint" not in json.dumps(sent_bodies(emulator_log)[-1])


def test_streamed_usage_reports_cached_tokens(client):
    messages = long_conversation(uuid.uuid4().hex)
    client.chat.completions.create(model="claude-4-sonnet", messages=messages)
    chunks = list(
        client.chat.completions.create(
            model="claude-4-sonnet", messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].usage.prompt_tokens_details.cached_tokens > 1000


# ---- context window --------------------------------------------------------------------------------


def test_an_oversized_prompt_gets_context_length_exceeded_before_bedrock(client, emulator_log):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="claude-4-sonnet", messages=[{"role": "user", "content": "word " * 170_000}]
        )
    error = caught.value
    assert error.status_code == 400 and error.code == "context_length_exceeded"
    assert error.body["type"] == "invalid_request_error" and error.body["param"] == "messages"
    assert "maximum context length is 200000 tokens" in error.message
    assert sent_bodies(emulator_log) == []


# ---- the emulator holds the gateway to Bedrock's rules ---------------------------------------------


def user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
TOOLS = {
    "tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": WEATHER_TOOL["function"]["parameters"]}}}]
}


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "fields, fragment",
    [
        ({"toolConfig": {**TOOLS, "toolChoice": {"any": {}}}}, "tool_choice forces tool use"),
        ({"toolConfig": {**TOOLS, "toolChoice": {"tool": {"name": "get_weather"}}}}, "tool_choice forces tool use"),
        ({"inferenceConfig": {"temperature": 0.5}}, "`temperature` may only be set to 1"),
        ({"inferenceConfig": {"topP": 0.5}}, "top_p"),
        ({"inferenceConfig": {"maxTokens": 1024}}, "greater than `thinking.budget_tokens`"),
        ({"additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 500}}}, "1024"),
        ({"additionalModelRequestFields": {"thinking": {"type": "adaptive"}}}, "not supported by this model"),
    ],
)
def test_the_emulator_enforces_claudes_thinking_rules(bedrock, fields, fragment):
    request = {"modelId": SONNET_4, "messages": [user("hi")], "additionalModelRequestFields": THINKING, **fields}
    assert fragment in refused(bedrock.converse, **request)


def test_the_emulator_wants_signed_thinking_back_before_the_last_tool_calls(bedrock):
    first = bedrock.converse(
        modelId=SONNET_4,
        messages=[user("Use get_weather city=Oslo")],
        toolConfig=TOOLS,
        additionalModelRequestFields=THINKING,
    )
    content = first["output"]["message"]["content"]
    call = next(block["toolUse"] for block in content if "toolUse" in block)
    result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": call["toolUseId"], "content": [{"text": "cold"}]}}],
    }
    history = [user("Use get_weather city=Oslo"), {"role": "assistant", "content": content}, result]
    ok = bedrock.converse(modelId=SONNET_4, messages=history, toolConfig=TOOLS, additionalModelRequestFields=THINKING)
    assert ok["output"]["message"]["content"][-1]["text"].startswith("The tool returned: cold")

    without = [history[0], {"role": "assistant", "content": content[1:]}, result]
    assert "must start with a thinking block" in refused(
        bedrock.converse, modelId=SONNET_4, messages=without, toolConfig=TOOLS, additionalModelRequestFields=THINKING
    )
    tampered = json.loads(json.dumps(content))
    tampered[0]["reasoningContent"]["reasoningText"]["text"] = "something else"
    assert "Invalid `signature`" in refused(
        bedrock.converse,
        modelId=SONNET_4,
        toolConfig=TOOLS,
        additionalModelRequestFields=THINKING,
        messages=[history[0], {"role": "assistant", "content": tampered}, result],
    )


def text_format(schema: dict) -> dict:
    return {
        "textFormat": {
            "type": "json_schema",
            "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "ticket"}},
        }
    }


def test_the_emulator_answers_a_text_format_with_json_that_fits_it(bedrock):
    reply = bedrock.converse(
        modelId=SONNET_45, messages=[user("ticket title=Broken")], outputConfig=text_format(TICKET)
    )
    answer = json.loads(reply["output"]["message"]["content"][0]["text"])
    jsonschema.validate(answer, TICKET)
    assert answer["title"] == "Broken" and reply["stopReason"] == "end_turn"


@pytest.mark.parametrize(
    "model_id, schema, fragment",
    [
        (SONNET_4, TICKET, "doesn't support the outputConfig.textFormat"),
        (SONNET_45, {**TICKET, "additionalProperties": True}, "'additionalProperties' must be explicitly set to false"),
        (
            SONNET_45,
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {"o": {"type": "object", "properties": {}}},
            },
            "additionalProperties",
        ),
        (SONNET_45, {"type": "string"}, "must be of type 'object'"),
    ],
)
def test_the_emulator_refuses_text_formats_bedrock_refuses(bedrock, model_id, schema, fragment):
    assert fragment in refused(
        bedrock.converse, modelId=model_id, messages=[user("hi")], outputConfig=text_format(schema)
    )


def test_a_forced_tool_gets_arguments_that_fit_its_nested_schema(bedrock):
    tools = {
        "tools": [{"toolSpec": {"name": "json_tool_call", "inputSchema": {"json": TICKET}}}],
        "toolChoice": {"tool": {"name": "json_tool_call"}},
    }
    reply = bedrock.converse(modelId=SONNET_4, messages=[user("hi")], toolConfig=tools)
    (block,) = reply["output"]["message"]["content"]
    jsonschema.validate(block["toolUse"]["input"], TICKET)
