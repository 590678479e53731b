"""End to end: the official openai SDK against gunicorn serving the gateway, with the Bedrock emulator behind it."""

from __future__ import annotations

import base64
import json
import threading

import httpx
import openai
import pytest

pytestmark = pytest.mark.e2e

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
# A 1x1 transparent PNG.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
    )
).decode()


def ask(client, text: str, **kwargs):
    return client.chat.completions.create(
        model=kwargs.pop("model", "claude-4-sonnet"), messages=[{"role": "user", "content": text}], **kwargs
    )


def test_it_answers_a_plain_request(client):
    reply = ask(client, "Hello there", max_tokens=256)
    assert reply.object == "chat.completion"
    assert reply.model == "claude-4-sonnet"
    assert reply.id.startswith("chatcmpl-")
    assert "synthetic answer" in reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_it_sends_the_inference_profile_and_parameters_to_bedrock(client, emulator_log):
    ask(client, "Hello", model="gpt-4o", max_tokens=100, temperature=0.2, stop=["END"])
    sent = emulator_log()[-1]
    assert sent["model_id"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert sent["body"]["inferenceConfig"] == {"maxTokens": 100, "temperature": 0.2, "stopSequences": ["END"]}


def test_it_streams_with_usage(client):
    chunks = list(ask(client, "Hello there", stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "synthetic answer" in text
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 3
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_it_streams_the_first_chunk_before_bedrock_finishes(client, emulator):
    stream = ask(client, "Hello [[sbc:gate=first-chunk]]", stream=True)
    content = ""
    for chunk in stream:
        content += chunk.choices[0].delta.content or "" if chunk.choices else ""
        if content:
            break
    assert httpx.get(f"{emulator.url}/_emulator/gates/first-chunk").json()["waiting"] is True
    httpx.post(f"{emulator.url}/_emulator/gates/first-chunk/release")
    rest = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "synthetic answer" in content + rest


def test_it_returns_a_tool_call(client):
    reply = ask(client, "What is the weather? Use get_weather city=Paris", tools=[WEATHER_TOOL])
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    follow_up = client.chat.completions.create(
        model="claude-4-sonnet",
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "What is the weather? Use get_weather city=Paris"},
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"},
        ],
    )
    assert "18C and sunny" in follow_up.choices[0].message.content


def test_it_streams_a_tool_call(client):
    calls: dict[int, dict] = {}
    finish = None
    for chunk in ask(client, "Use get_weather city=Lyon", tools=[WEATHER_TOOL], stream=True):
        if not chunk.choices:
            continue
        finish = chunk.choices[0].finish_reason or finish
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
            call["id"] = delta.id or call["id"]
            call["name"] = (delta.function.name if delta.function else None) or call["name"]
            call["arguments"] += (delta.function.arguments or "") if delta.function else ""
    assert finish == "tool_calls"
    assert list(calls) == [0]
    assert calls[0]["name"] == "get_weather" and calls[0]["id"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Lyon"}


def test_it_accepts_an_image(client, emulator_log):
    reply = client.chat.completions.create(
        model="claude-4-sonnet",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ],
            }
        ],
    )
    assert "1 image (png)" in reply.choices[0].message.content
    block = emulator_log()[-1]["body"]["messages"][0]["content"][1]
    assert block["image"]["format"] == "png" and base64.b64decode(block["image"]["source"]["bytes"])[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "directive, error_class, status, code",
    [
        ("error=ThrottlingException", openai.RateLimitError, 429, "rate_limit_exceeded"),
        ("error=AccessDeniedException", openai.InternalServerError, 502, "upstream_error"),
        ("error=ServiceUnavailableException", openai.InternalServerError, 503, "service_unavailable"),
        ("error=ModelTimeoutException", openai.InternalServerError, 504, "upstream_timeout"),
        ("error=context", openai.BadRequestError, 400, "context_length_exceeded"),
    ],
)
def test_it_maps_bedrock_errors(client, directive, error_class, status, code):
    with pytest.raises(error_class) as caught:
        ask(client, f"Hello [[sbc:{directive}]]")
    assert caught.value.status_code == status
    assert caught.value.body["code"] == code
    if status == 429:
        assert int(caught.value.response.headers["retry-after"]) >= 1
    if status == 502:
        assert "model access is not enabled" in caught.value.message


def test_it_says_model_not_found_for_unknown_models(client):
    with pytest.raises(openai.NotFoundError) as caught:
        ask(client, "Hello", model="acme.no-such-model-v1:0")
    assert caught.value.body["code"] == "model_not_found"


def test_it_rejects_a_missing_token_with_401(gateway):
    response = httpx.post(f"{gateway.url}/v1/chat/completions", json={"messages": []})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_it_rejects_an_invalid_token_with_403(gateway):
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sbc_notarealtoken", max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        ask(client, "Hello")
    assert caught.value.body["message"] == "Invalid or expired token"


def test_it_rejects_malformed_json_with_400(gateway, token):
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        content=b'{"model": ',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_it_rejects_unsupported_fields_naming_them(client):
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, "Hello", n=2)
    assert caught.value.body["param"] == "n"


def test_it_ends_a_stream_with_an_error_event_when_bedrock_fails_midway(client):
    received = ""
    with pytest.raises(openai.APIError) as caught:
        for chunk in ask(client, "Hello [[sbc:stream-error=modelStreamErrorException]]", stream=True):
            received += chunk.choices[0].delta.content or "" if chunk.choices else ""
    assert received, "content sent before the failure reaches the client"
    assert caught.value.body["code"] == "upstream_error"


def test_it_lists_models(client):
    ids = {model.id for model in client.models.list()}
    assert {"claude-4-sonnet", "claude-4-opus", "gpt-4o", "gpt-3.5-turbo", "llama-3.3-70b", "mistral-large"} <= ids
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_it_serves_concurrent_streams(client):
    results: list[str] = []

    def one() -> None:
        results.append("".join(c.choices[0].delta.content or "" for c in ask(client, "Hi", stream=True) if c.choices))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all("synthetic answer" in r for r in results)
