"""End to end: the official openai SDK's `client.responses` against the gateway, with the Bedrock emulator behind it."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import openai
import pytest

pytestmark = pytest.mark.e2e

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "strict": False,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_it_answers_a_plain_request(client, emulator_log):
    reply = client.responses.create(
        model="claude-4-sonnet", input="Hello there", instructions="Be brief.", max_output_tokens=256
    )
    assert reply.object == "response" and reply.id.startswith("resp_")
    assert reply.status == "completed" and reply.model == "claude-4-sonnet"
    assert "synthetic answer" in reply.output_text
    message = reply.output[0]
    assert message.type == "message" and message.content[0].type == "output_text"
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert reply.usage.total_tokens == reply.usage.input_tokens + reply.usage.output_tokens
    sent = emulator_log()[-1]["body"]
    assert sent["system"][0] == {"text": "Be brief."} and sent["inferenceConfig"]["maxTokens"] == 256


def test_it_streams_the_official_event_sequence(client):
    events = list(client.responses.create(model="claude-4-sonnet", input="Hello there", stream=True))
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert "synthetic answer" in text and kinds.count("response.output_text.delta") >= 3
    completed = events[-1].response
    assert completed.output_text == text and completed.usage.total_tokens > 0
    assert len({event.response.id for event in events if hasattr(event, "response")}) == 1


def test_each_frame_names_its_event(gateway, token):
    with httpx.stream(
        "POST",
        f"{gateway.url}/v1/responses",
        headers={"Authorization": f"Bearer {token}"},
        json={"model": "claude-4-sonnet", "input": "Hi", "stream": True},
        timeout=30,
    ) as response:
        frames = response.read().decode().strip().split("\n\n")
    assert response.headers["content-type"].startswith("text/event-stream")
    for raw in frames:
        event_line, data_line = raw.split("\n")
        assert event_line == "event: " + json.loads(data_line.removeprefix("data: "))["type"]


def test_it_completes_a_function_tool_round_trip(client, emulator_log):
    ask = [{"role": "user", "content": "What is the weather? Use get_weather city=Paris"}]
    first = client.responses.create(model="claude-4-sonnet", input=ask, tools=[WEATHER])
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].status == "completed"
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    history = ask + [item.model_dump(exclude_none=True) for item in first.output]
    history.append({"type": "function_call_output", "call_id": calls[0].call_id, "output": "18C and sunny"})
    second = client.responses.create(model="claude-4-sonnet", input=history, tools=[WEATHER])
    assert "18C and sunny" in second.output_text
    result = emulator_log()[-1]["body"]["messages"][-1]["content"][0]["toolResult"]
    assert result["content"] == [{"text": "18C and sunny"}]


def test_it_streams_a_function_call(client):
    events = list(
        client.responses.create(
            model="claude-4-sonnet", input="Use get_weather city=Lyon", tools=[WEATHER], stream=True
        )
    )
    arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"city": "Lyon"}
    done = [e.item for e in events if e.type == "response.output_item.done" and e.item.type == "function_call"]
    assert len(done) == 1 and done[0].name == "get_weather" and json.loads(done[0].arguments) == {"city": "Lyon"}
    assert events[-1].type == "response.completed"


def test_it_returns_reasoning_as_a_summary(client):
    reply = client.responses.create(
        model="claude-4-sonnet",
        input="Think first",
        reasoning={"effort": "low"},
        include=["reasoning.encrypted_content"],
    )
    reasoning = reply.output[0]
    assert reasoning.type == "reasoning" and reasoning.summary[0].text and reasoning.encrypted_content
    assert reply.output_text and reply.usage.output_tokens_details.reasoning_tokens > 0


def test_it_reports_a_truncated_answer_as_incomplete(client):
    reply = client.responses.create(
        model="claude-4-sonnet", input="Tell me a story [[sbc:long=300]]", max_output_tokens=16
    )
    assert reply.status == "incomplete" and reply.incomplete_details.reason == "max_output_tokens"


def test_a_failure_mid_stream_ends_with_response_failed(client):
    events = list(
        client.responses.create(
            model="claude-4-sonnet", input="Hi [[sbc:stream-error=throttlingException]]", stream=True
        )
    )
    assert events[-2].type == "error" and events[-1].type == "response.failed"
    assert events[-1].response.error.code == "rate_limit_exceeded"


def test_an_unknown_previous_response_id_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="claude-4-sonnet", input="Hi", previous_response_id="resp_123")
    assert caught.value.body["param"] == "previous_response_id"
    assert "resp_123" in caught.value.message


def test_it_answers_without_hosted_tools_and_names_them(client, emulator_log):
    raw = client.responses.with_raw_response.create(
        model="claude-4-sonnet", input="Hi", tools=[{"type": "web_search", "external_web_access": False}]
    )
    assert raw.headers["x-sbc-adapted"] == "tool:web_search"
    assert "synthetic answer" in raw.parse().output_text
    assert "toolConfig" not in emulator_log()[-1]["body"]


def test_it_refuses_a_tool_choice_that_forces_a_hosted_tool(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="claude-4-sonnet", input="Hi", tools=[{"type": "web_search"}], tool_choice={"type": "web_search"}
        )
    assert caught.value.body["param"] == "tool_choice.type"
    assert "`web_search`" in caught.value.message


def test_it_drops_unknown_fields_and_says_so(gateway, token):
    response = httpx.post(
        f"{gateway.url}/v1/responses",
        headers={"Authorization": f"Bearer {token}"},
        json={"input": "Hi", "frobnicate": True},
        timeout=30,
    )
    assert response.status_code == 200 and response.headers["x-sbc-adapted"] == "unknown:frobnicate"


def test_it_refuses_bad_input_with_400(gateway, token):
    headers = {"Authorization": f"Bearer {token}"}
    for body, param in [
        ({"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{"}]}, "input[0].arguments"),
        ({"input": 42}, "input"),
        ({"input": "Hi", "tools": "all"}, "tools"),
    ]:
        response = httpx.post(f"{gateway.url}/v1/responses", headers=headers, json=body, timeout=30)
        assert response.status_code == 400, body
        assert response.json()["error"]["param"] == param


def test_it_needs_a_token(gateway):
    response = httpx.post(f"{gateway.url}/v1/responses", json={"input": "Hi"}, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_it_maps_bedrock_errors_before_the_stream(client):
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model="claude-4-sonnet", input="Hi [[sbc:error=ThrottlingException]]")
    assert caught.value.body["code"] == "rate_limit_exceeded"


# ---- metering: one usage record per request, like chat completions -------------------------------------


def sdk(gateway, raw_token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=raw_token, max_retries=0, timeout=30)


def wait_for_records(records, name: str, count: int = 1) -> list[dict]:
    for _ in range(100):
        found = records(name)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    return records(name)


def test_each_request_leaves_one_usage_record(gateway, issue, records):
    name = f"responses-{uuid.uuid4().hex[:8]}@test"
    client = sdk(gateway, issue(name))
    reply = client.responses.create(model="gpt-4o", input="Hello there")
    events = list(client.responses.create(model="claude-4-sonnet", input="Hello again", stream=True))
    plain, streamed = wait_for_records(records, name, 2)
    assert (plain["endpoint"], plain["status"], plain["streamed"]) == ("responses", 200, False)
    assert (plain["prompt_tokens"], plain["completion_tokens"]) == (reply.usage.input_tokens, reply.usage.output_tokens)
    assert plain["model_requested"] == "gpt-4o" and plain["cost_usd"] > 0
    assert streamed["streamed"] and streamed["status"] == 200 and not streamed["disconnected"]
    assert streamed["total_tokens"] == events[-1].response.usage.total_tokens


def test_a_client_that_disconnects_mid_stream_leaves_one_record(gateway, issue, records, emulator_log):
    name = f"responses-{uuid.uuid4().hex[:8]}@test"
    body = {"model": "claude-4-sonnet", "stream": True, "input": "Tell me more [[sbc:pace=50x40]]"}
    with httpx.stream(
        "POST", f"{gateway.url}/v1/responses", json=body, timeout=10, headers={"Authorization": f"Bearer {issue(name)}"}
    ) as response:
        deltas = 0
        for line in response.iter_lines():
            deltas += line == "event: response.output_text.delta"
            if deltas == 2:
                break
    [record] = wait_for_records(records, name)
    assert record["disconnected"] and record["status"] == 499 and record["streamed"]
    assert record["prompt_tokens"] > 0, "what was sent is charged"
