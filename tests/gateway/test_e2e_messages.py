"""End to end: the official anthropic SDK against gunicorn serving /v1/messages, with the Bedrock emulator behind it."""

from __future__ import annotations

import anthropic
import httpx
import pytest

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-5-20250929"
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def claude(gateway, token) -> anthropic.Anthropic:
    """The SDK as `ANTHROPIC_API_KEY` configures it: the token goes out as `x-api-key`."""
    return anthropic.Anthropic(base_url=gateway.url, api_key=token, max_retries=0, timeout=30)


def ask(client: anthropic.Anthropic, text: str, **kwargs):
    return client.messages.create(
        model=kwargs.pop("model", MODEL),
        max_tokens=kwargs.pop("max_tokens", 512),
        messages=[{"role": "user", "content": text}],
        **kwargs,
    )


def test_it_answers_a_plain_message(claude, emulator_log):
    reply = ask(claude, "Hello there")
    assert reply.type == "message" and reply.role == "assistant"
    assert reply.model == MODEL
    assert "synthetic answer" in reply.content[0].text
    assert reply.stop_reason == "end_turn"
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    sent = emulator_log()[-1]
    assert sent["operation"] == "invoke"
    assert sent["model_id"] == "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert sent["body"]["anthropic_version"] == "bedrock-2023-05-31"
    assert "model" not in sent["body"] and "stream" not in sent["body"]


def test_it_accepts_the_token_as_a_bearer(gateway, token):
    client = anthropic.Anthropic(base_url=gateway.url, auth_token=token, max_retries=0, timeout=30)
    assert "synthetic answer" in ask(client, "Hello").content[0].text


@pytest.mark.parametrize(
    "name, bedrock_id",
    [
        ("claude-3-5-haiku-20241022", "us.anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("claude-opus-4-1-20250805", "us.anthropic.claude-opus-4-1-20250805-v1:0"),
        ("claude-haiku-4-5-20251001", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("claude-sonnet-4-6", "us.anthropic.claude-sonnet-4-6"),
        ("claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("claude-4-sonnet", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
    ],
)
def test_it_resolves_anthropic_model_names_to_bedrock(claude, emulator_log, name, bedrock_id):
    assert ask(claude, "Hello", model=name).model == name
    assert emulator_log()[-1]["model_id"] == bedrock_id


def test_it_streams_text_and_final_usage(claude, emulator_log):
    with claude.messages.stream(model=MODEL, max_tokens=512, messages=[{"role": "user", "content": "Hi"}]) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) >= 3
    assert "synthetic answer" in "".join(pieces) == final.content[0].text
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens > 0 and final.usage.output_tokens > 0
    assert emulator_log()[-1]["operation"] == "invoke-with-response-stream"


@pytest.mark.parametrize("stream", [False, True])
def test_the_answer_is_named_after_the_model_asked_for(claude, stream):
    """Claude Code drops thinking blocks from an answer named after another model, and Claude then refuses the turn."""
    if stream:
        with claude.messages.stream(model=MODEL, max_tokens=512, messages=[{"role": "user", "content": "Hi"}]) as s:
            final = s.get_final_message()
    else:
        final = ask(claude, "Hi")
    assert final.model == MODEL


def test_it_round_trips_a_tool_call(claude):
    question = {"role": "user", "content": "What is the weather? Use get_weather city=Paris"}
    first = claude.messages.create(model=MODEL, max_tokens=512, tools=[WEATHER_TOOL], messages=[question])
    assert first.stop_reason == "tool_use"
    call = next(block for block in first.content if block.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"city": "Paris"}
    second = claude.messages.create(
        model=MODEL,
        max_tokens=512,
        tools=[WEATHER_TOOL],
        messages=[
            question,
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18C and sunny"}]},
        ],
    )
    assert second.content[0].text.startswith("The tool returned: 18C and sunny")


def test_it_keeps_signed_thinking_through_a_tool_loop(claude):
    thinking = {"type": "enabled", "budget_tokens": 1024}
    question = {"role": "user", "content": "Use get_weather city=Oslo"}
    first = claude.messages.create(
        model=MODEL, max_tokens=4096, thinking=thinking, tools=[WEATHER_TOOL], messages=[question]
    )
    assert first.content[0].type == "thinking" and first.content[0].signature
    call = next(block for block in first.content if block.type == "tool_use")
    # The emulator, like Claude, rejects the follow-up unless the signed thinking block comes back intact.
    second = claude.messages.create(
        model=MODEL,
        max_tokens=4096,
        thinking=thinking,
        tools=[WEATHER_TOOL],
        messages=[
            question,
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "cold"}]},
        ],
    )
    assert [block.type for block in second.content] == ["thinking", "text"]


def test_it_streams_thinking_with_its_signature(claude):
    with claude.messages.stream(
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "Think first"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking"
    assert final.content[0].thinking and final.content[0].signature


def test_it_strips_what_bedrock_rejects_from_a_claude_code_request(gateway, token, emulator_log):
    betas = (
        "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14,oauth-2025-04-20"
    )
    system = [
        {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
        {"type": "text", "text": "Long instructions. " * 200, "cache_control": {"type": "ephemeral"}},
    ]
    tools = [
        {**WEATHER_TOOL, "cache_control": {"type": "ephemeral"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
    ]
    body = {
        "model": MODEL,
        "max_tokens": 32000,
        "stream": True,
        "system": system,
        "tools": tools,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}]}],
        "metadata": {"user_id": "user_abc_account__session_123"},
        "thinking": {"type": "enabled", "budget_tokens": 4096},
        "context_management": {"edits": []},
        "service_tier": "auto",
        "container": None,
        "mcp_servers": [],
    }
    headers = {
        "x-api-key": token,
        "anthropic-beta": betas,
        "anthropic-version": "2023-06-01",
        "user-agent": "claude-cli/2.0.0 (external, cli)",
    }
    events = []
    with httpx.stream("POST", f"{gateway.url}/v1/messages?beta=true", json=body, headers=headers, timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("event: ") for line in r.iter_lines() if line.startswith("event: ")]
    assert events[0] == "message_start" and events[-1] == "message_stop" and "message_delta" in events
    sent = emulator_log()[-1]["body"]
    assert sent["anthropic_beta"] == ["interleaved-thinking-2025-05-14"]
    assert not {"metadata", "context_management", "service_tier", "container", "mcp_servers", "model", "stream"} & set(
        sent
    )
    assert [tool["name"] for tool in sent["tools"]] == ["get_weather"]
    assert sent["system"][1]["cache_control"] == {"type": "ephemeral"}
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 4096}


@pytest.mark.parametrize(
    "field",
    [{"container": "container_011CQ"}, {"mcp_servers": [{"type": "url", "url": "https://mcp.example", "name": "x"}]}],
    ids=["container", "mcp_servers"],
)
def test_state_only_anthropic_holds_is_refused_not_dropped(gateway, token, emulator_log, field):
    calls = len(emulator_log())
    answer = httpx.post(
        f"{gateway.url}/v1/messages",
        json={"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}], **field},
        headers={"x-api-key": token, "anthropic-version": "2023-06-01"},
        timeout=30,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and f"`{next(iter(field))}`" in error["message"]
    assert len(emulator_log()) == calls


def test_it_reports_prompt_cache_reads_on_the_second_call(claude):
    system = [{"type": "text", "text": "Stable project context. " * 300, "cache_control": {"type": "ephemeral"}}]
    first = claude.messages.create(
        model=MODEL, max_tokens=256, system=system, messages=[{"role": "user", "content": "One"}]
    )
    second = claude.messages.create(
        model=MODEL, max_tokens=256, system=system, messages=[{"role": "user", "content": "Two"}]
    )
    assert first.usage.cache_creation_input_tokens > 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens


def test_it_refuses_a_missing_key_in_anthropic_shape(gateway):
    reply = httpx.post(f"{gateway.url}/v1/messages", json={"model": MODEL, "max_tokens": 5, "messages": []})
    assert reply.status_code == 401
    assert reply.json() == {
        "type": "error",
        "error": {"type": "authentication_error", "message": reply.json()["error"]["message"]},
    }


def test_it_refuses_an_unknown_key_with_403(gateway):
    client = anthropic.Anthropic(base_url=gateway.url, api_key="sbc_not_a_real_token", max_retries=0)
    with pytest.raises(anthropic.PermissionDeniedError) as raised:
        ask(client, "Hello")
    assert raised.value.body["type"] == "error"
    assert raised.value.body["error"]["type"] == "authentication_error"


def test_it_maps_bedrock_throttling_to_a_rate_limit_error(claude):
    with pytest.raises(anthropic.RateLimitError) as raised:
        ask(claude, "Hello [[sbc:error=ThrottlingException]]")
    assert raised.value.response.headers["retry-after"]
    assert raised.value.body["error"]["type"] == "rate_limit_error"


def test_it_sends_a_mid_stream_bedrock_error_as_an_error_event(claude):
    with pytest.raises(anthropic.APIStatusError) as raised:
        with claude.messages.stream(
            model=MODEL,
            max_tokens=512,
            messages=[{"role": "user", "content": "Hi [[sbc:stream-error=throttlingException]]"}],
        ) as stream:
            for _ in stream:
                pass
    assert "throttl" in str(raised.value).lower()


def test_it_refuses_bad_requests_in_anthropic_shape(claude):
    with pytest.raises(anthropic.BadRequestError) as raised:
        claude.messages.create(model="llama-3.3-70b", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert raised.value.body["error"]["type"] == "invalid_request_error"
    assert "not a Claude model" in raised.value.body["error"]["message"]
    with pytest.raises(anthropic.BadRequestError):
        claude.messages.create(model=MODEL, max_tokens=10, messages=[])


@pytest.mark.parametrize("tool", [None, [], "get_weather", 3])
@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_a_tool_that_is_not_an_object_is_a_400_naming_it(gateway, token, path, tool):
    body = {
        "model": MODEL,
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "x"}],
        "tools": [WEATHER_TOOL, tool],
    }
    answer = httpx.post(f"{gateway.url}{path}", json=body, headers={"x-api-key": token}, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["error"] == {"type": "invalid_request_error", "message": "tools.1 must be an object."}


def test_it_counts_tokens_with_bedrock(claude, emulator_log):
    counted = claude.messages.count_tokens(
        model=MODEL, system="Be brief.", tools=[WEATHER_TOOL], messages=[{"role": "user", "content": "Hello " * 100}]
    )
    assert counted.input_tokens > 150
    sent = emulator_log()[-1]
    assert sent["operation"] == "count-tokens"
    assert sent["model_id"] == "anthropic.claude-sonnet-4-5-20250929-v1:0"
