"""The Bedrock emulator, driven by real boto3 over HTTP: what the gateway's Bedrock adapter will meet."""
from __future__ import annotations

import json
import math
import time
from typing import Any, Callable

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EventStreamError

from tests.servers import EmulatorServer

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
pytestmark = pytest.mark.e2e

GREETING = "This is a synthetic answer from the Bedrock emulator."
WEATHER = {"toolSpec": {"name": "get_weather", "description": "Weather for a city.", "inputSchema": {"json": {
    "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"},
                                     "metric": {"type": "boolean"}}, "required": ["city", "days", "metric"]}}}}
TIME = {"toolSpec": {"name": "get_time", "description": "Local time.", "inputSchema": {"json": {
    "type": "object", "properties": {"zone": {"type": "string"}, "precise": {"type": "number"}}}}}}


@pytest.fixture(autouse=True)
def fresh_emulator(emulator: EmulatorServer) -> None:
    emulator.reset()


def user(text: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}, *extra]}


def client_in(emulator: EmulatorServer, region: str, *, validate: bool = True):
    return boto3.client("bedrock-runtime", region_name=region, endpoint_url=emulator.url,
                        aws_access_key_id="x", aws_secret_access_key="y",
                        config=Config(retries={"total_max_attempts": 1}, parameter_validation=validate))


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `check()` is truthy: waits for the server, asserts nothing about speed."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.02)
    return result


def stream_events(response: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(event.items())) for event in response["stream"]]


def streamed_text(events: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(body["delta"].get("text", "") for name, body in events if name == "contentBlockDelta")


def tool_uses(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [block["toolUse"] for block in response["output"]["message"]["content"] if "toolUse" in block]


def streamed_tool_calls(events: list[tuple[str, dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    calls: dict[int, dict[str, Any]] = {}
    for name, body in events:
        if name == "contentBlockStart":
            calls[body["contentBlockIndex"]] = {**body["start"]["toolUse"], "fragments": []}
        elif name == "contentBlockDelta" and "toolUse" in body["delta"]:
            calls[body["contentBlockIndex"]]["fragments"].append(body["delta"]["toolUse"]["input"])
    return calls


# --- Converse -------------------------------------------------------------------------------------

def test_it_answers_converse_with_plain_text(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("Hello there")])

    assert response["output"]["message"]["role"] == "assistant"
    assert response["output"]["message"]["content"] == [
        {"text": f"{GREETING} The conversation has 1 message."}]
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["inputTokens"] == math.ceil(len("Hello there") / 4)
    assert usage["outputTokens"] == 14
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert usage["cacheReadInputTokens"] == usage["cacheWriteInputTokens"] == 0
    assert "latencyMs" in response["metrics"]
    assert response["ResponseMetadata"]["RequestId"]


def test_it_counts_messages_and_images(bedrock) -> None:
    image = {"image": {"format": "png", "source": {"bytes": b"\x89PNG fake"}}}
    messages = [user("first"), {"role": "assistant", "content": [{"text": "ok"}]}, user("look", image)]

    text = bedrock.converse(modelId=SONNET, messages=messages)["output"]["message"]["content"][0]["text"]

    assert text == f"{GREETING} The conversation has 3 messages. I received 1 image (png)."


def test_it_cuts_the_answer_at_a_stop_sequence(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("hi")],
                                inferenceConfig={"stopSequences": ["Bedrock"]})

    assert response["output"]["message"]["content"][0]["text"] == "This is a synthetic answer from the "
    assert response["stopReason"] == "stop_sequence"


def test_it_cuts_the_answer_at_max_tokens(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("hi")], inferenceConfig={"maxTokens": 3})

    assert response["output"]["message"]["content"][0]["text"] == "This is a"
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 3


def test_it_answers_with_as_many_words_as_asked(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("[[sbc:long=50]]")])

    assert len(response["output"]["message"]["content"][0]["text"].split()) == 50


def test_it_puts_reasoning_first_when_thinking_is_enabled(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("think")], additionalModelRequestFields={
        "thinking": {"type": "enabled", "budget_tokens": 1024}})

    reasoning, answer = response["output"]["message"]["content"]
    assert reasoning["reasoningContent"]["reasoningText"]["text"]
    assert reasoning["reasoningContent"]["reasoningText"]["signature"]
    assert answer["text"].startswith(GREETING)


def test_it_accepts_base_ids_profiles_and_inference_profile_arns(bedrock) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{SONNET}"
    for model_id in (HAIKU_3, "eu.anthropic.claude-3-haiku-20240307-v1:0", "global." + SONNET[3:], arn,
                     "amazon.nova-micro-v1:0", "mistral.mistral-large-2407-v1:0"):
        assert bedrock.converse(modelId=model_id, messages=[user("hi")])["stopReason"] == "end_turn"


# --- ConverseStream -------------------------------------------------------------------------------

def test_it_streams_events_in_order_with_word_deltas(bedrock) -> None:
    events = stream_events(bedrock.converse_stream(modelId=SONNET, messages=[user("Hello there")]))
    names = [name for name, _ in events]

    assert names[0] == "messageStart" and events[0][1] == {"role": "assistant"}
    deltas = [body for name, body in events if name == "contentBlockDelta"]
    assert len(deltas) >= 3
    assert {delta["contentBlockIndex"] for delta in deltas} == {0}
    assert names[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert "contentBlockStart" not in names
    assert streamed_text(events) == f"{GREETING} The conversation has 1 message."
    assert events[-2][1] == {"stopReason": "end_turn"}
    usage = events[-1][1]["usage"]
    assert usage["outputTokens"] == 14 and usage["totalTokens"] == usage["inputTokens"] + 14
    assert "latencyMs" in events[-1][1]["metrics"]


def test_it_streams_as_many_deltas_as_the_pace_asks(bedrock) -> None:
    events = stream_events(bedrock.converse_stream(modelId=SONNET, messages=[user("[[sbc:pace=20x0]]")]))

    assert len([name for name, _ in events if name == "contentBlockDelta"]) == 20


def test_it_streams_reasoning_before_the_text(bedrock) -> None:
    events = stream_events(bedrock.converse_stream(modelId=SONNET, messages=[user("hi [[sbc:thinking]]")]))
    deltas = [body for name, body in events if name == "contentBlockDelta"]

    reasoning = [delta for delta in deltas if delta["contentBlockIndex"] == 0]
    assert all("reasoningContent" in delta["delta"] for delta in reasoning)
    assert "signature" in reasoning[-1]["delta"]["reasoningContent"]
    assert streamed_text(events).startswith(GREETING)
    assert {delta["contentBlockIndex"] for delta in deltas} == {0, 1}


# --- Tools ----------------------------------------------------------------------------------------

def test_it_calls_a_tool_named_in_the_prompt_with_arguments_from_its_schema(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("Use get_weather with city=Paris please.")],
                                toolConfig={"tools": [WEATHER, TIME]})

    assert response["stopReason"] == "tool_use"
    assert response["output"]["message"]["content"][0] == {"text": "Let me call get_weather."}
    (call,) = tool_uses(response)
    assert call["name"] == "get_weather"
    assert call["input"] == {"city": "Paris", "days": 1, "metric": True}
    assert call["toolUseId"].startswith("tooluse_") and len(call["toolUseId"]) == len("tooluse_") + 22


def test_it_answers_with_text_when_auto_finds_no_tool_named(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("What's up?")], toolConfig={"tools": [WEATHER]})

    assert response["stopReason"] == "end_turn"
    assert tool_uses(response) == []


def test_it_must_call_a_tool_when_tool_choice_is_any_or_tool(bedrock) -> None:
    any_tool = bedrock.converse(modelId=SONNET, messages=[user("What's up?")],
                                toolConfig={"tools": [WEATHER, TIME], "toolChoice": {"any": {}}})
    named = bedrock.converse(modelId=SONNET, messages=[user("What's up?")],
                             toolConfig={"tools": [WEATHER, TIME], "toolChoice": {"tool": {"name": "get_time"}}})

    assert [call["name"] for call in tool_uses(any_tool)] == ["get_weather"]
    assert [call["name"] for call in tool_uses(named)] == ["get_time"]
    assert named["output"]["message"]["content"][0]["toolUse"]["input"] == {"zone": "sample", "precise": 1.5}


def test_it_streams_two_parallel_tool_calls_as_partial_json(bedrock) -> None:
    events = stream_events(bedrock.converse_stream(
        modelId=SONNET, messages=[user("Call get_time and then get_weather for city=Oslo")],
        toolConfig={"tools": [WEATHER, TIME]}))

    calls = streamed_tool_calls(events)
    assert [call["name"] for call in calls.values()] == ["get_time", "get_weather"]
    assert list(calls) == [1, 2]     # block 0 is the short text before the calls
    assert all(len(call["fragments"]) >= 2 for call in calls.values())
    assert json.loads("".join(calls[2]["fragments"])) == {"city": "Oslo", "days": 1, "metric": True}
    assert calls[1]["toolUseId"] != calls[2]["toolUseId"]
    assert streamed_text(events) == "Let me call get_time and get_weather."
    assert ("messageStop", {"stopReason": "tool_use"}) in events


def test_it_summarises_a_tool_result_in_the_follow_up(bedrock) -> None:
    first = bedrock.converse(modelId=SONNET, messages=[user("get_weather city=Rome")],
                             toolConfig={"tools": [WEATHER]})
    (call,) = tool_uses(first)
    result = {"toolResult": {"toolUseId": call["toolUseId"], "content": [{"json": {"temp": 21}}]}}

    follow_up = bedrock.converse(
        modelId=SONNET, toolConfig={"tools": [WEATHER]},
        messages=[user("get_weather city=Rome"), first["output"]["message"], {"role": "user", "content": [result]}])

    assert follow_up["output"]["message"]["content"] == [{"text": 'The tool returned: {"temp":21}'}]
    assert follow_up["stopReason"] == "end_turn"


# --- Errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "status"), [
    ("ThrottlingException", 429), ("AccessDeniedException", 403), ("ValidationException", 400),
    ("ResourceNotFoundException", 404), ("ModelTimeoutException", 408), ("ModelErrorException", 424),
    ("ModelNotReadyException", 429), ("ServiceQuotaExceededException", 400),
    ("InternalServerException", 500), ("ServiceUnavailableException", 503),
])
def test_it_raises_the_error_a_directive_asks_for(bedrock, name: str, status: int) -> None:
    with pytest.raises(getattr(bedrock.exceptions, name)) as raised:
        bedrock.converse(modelId=SONNET, messages=[user(f"[[sbc:error={name}]]")])

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert raised.value.response["Error"]["Code"] == name
    assert raised.value.response["Error"]["Message"]


def test_it_raises_errors_before_a_stream_starts(bedrock) -> None:
    with pytest.raises(bedrock.exceptions.AccessDeniedException) as raised:
        bedrock.converse_stream(modelId=SONNET, messages=[user("[[sbc:error=AccessDeniedException]]")])

    assert raised.value.response["Error"]["Message"] == (
        "You don't have access to the model with the specified model ID.")


def test_it_reports_a_prompt_too_long_for_the_model(bedrock) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException, match="Input is too long for requested model."):
        bedrock.converse(modelId=SONNET, messages=[user("[[sbc:error=context]]")])


@pytest.mark.parametrize("member", ["throttlingException", "modelStreamErrorException", "internalServerException",
                                    "serviceUnavailableException", "validationException"])
def test_it_fails_mid_stream_with_the_asked_exception(bedrock, member: str) -> None:
    response = bedrock.converse_stream(modelId=SONNET, messages=[user(f"[[sbc:stream-error={member}]]")])
    received = []

    with pytest.raises(EventStreamError) as raised:
        for event in response["stream"]:
            received.append(event)

    assert raised.value.response["Error"]["Code"] == member
    assert [next(iter(event)) for event in received] == ["messageStart", "contentBlockDelta", "contentBlockDelta"]


# --- Validation -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("messages", "message"), [
    ([{"role": "assistant", "content": [{"text": "hi"}]}], "A conversation must start with a user message."),
    ([user("a"), user("b")], "A conversation must alternate between user and assistant roles."),
    ([user("a"), {"role": "assistant", "content": [{"text": "  "}]}, user("c")],
     "The text field in the ContentBlock object at messages.1.content.0 is blank."),
    ([user("a"), {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "x", "input": {}}}]},
      {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "r"}]}}]}],
     "The toolConfig field must be defined when using toolUse and toolResult content blocks."),
    ([user("a"), {"role": "developer", "content": [{"text": "b"}]}], "at 'messages.2.member.role'"),
])
def test_it_rejects_malformed_conversations(bedrock, messages: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as raised:
        bedrock.converse(modelId=SONNET, messages=messages)

    assert message in raised.value.response["Error"]["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_it_rejects_tool_results_that_do_not_answer_the_previous_calls(bedrock) -> None:
    calls = {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_a", "name": "get_weather",
                                                           "input": {}}}]}
    wrong = {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_b", "content": [{"text": "r"}]}}]}

    with pytest.raises(bedrock.exceptions.ValidationException, match="tooluse_b"):
        bedrock.converse(modelId=SONNET, messages=[user("a"), calls, wrong], toolConfig={"tools": [WEATHER]})
    with pytest.raises(bedrock.exceptions.ValidationException, match="Expected toolResult blocks"):
        bedrock.converse(modelId=SONNET, messages=[user("a"), calls, user("no result")],
                         toolConfig={"tools": [WEATHER]})


@pytest.mark.parametrize(("config", "message"), [
    ({"temperature": 1.5}, "inferenceConfig.temperature"),
    ({"topP": 2.0}, "inferenceConfig.topP"),
    ({"maxTokens": 0}, "inferenceConfig.maxTokens"),
    ({"temperature": 0.5, "topP": 0.9}, "`temperature` and `top_p` cannot both be specified"),
])
def test_it_rejects_inference_settings_out_of_range(emulator: EmulatorServer, config: dict[str, Any],
                                                    message: str) -> None:
    # botocore checks maxTokens >= 1 itself; switch that off to see what the service says.
    unchecked = client_in(emulator, "us-east-1", validate=False)

    with pytest.raises(unchecked.exceptions.ValidationException) as raised:
        unchecked.converse(modelId=SONNET, messages=[user("hi")], inferenceConfig=config)

    assert message in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize(("model_id", "message"), [
    ("anthropic.claude-sonnet-4-5-20250929-v1:0",
     "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported."),
    ("meta.llama3-3-70b-instruct-v1:0", "with on-demand throughput isn’t supported"),
    ("anthropic.claude-nonexistent-v9:0", "The provided model identifier is invalid."),
    ("amazon.titan-embed-text-v2:0", "This action doesn't support the model that you provided."),
])
def test_it_rejects_model_ids_bedrock_would_refuse(bedrock, model_id: str, message: str) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as raised:
        bedrock.converse(modelId=model_id, messages=[user("hi")])

    assert message in raised.value.response["Error"]["Message"]


# --- Gates, prompt caching, embeddings ------------------------------------------------------------

def test_it_holds_a_stream_at_a_gate_until_released(bedrock, emulator: EmulatorServer) -> None:
    response = bedrock.converse_stream(modelId=SONNET, messages=[user("[[sbc:gate=held]]")])
    events = iter(response["stream"])

    assert next(events) == {"messageStart": {"role": "assistant"}}
    assert next(events)["contentBlockDelta"]["delta"] == {"text": "This "}
    eventually(lambda: emulator.gate("held")["waiting"])
    assert emulator.gate("held") == {"waiting": True, "released": False}
    assert emulator.release("held")["released"] is True
    rest = [next(iter(event.items())) for event in events]

    assert rest[-1][0] == "metadata"
    assert "This " + streamed_text(rest) == f"{GREETING} The conversation has 1 message."
    assert emulator.gate("held") == {"waiting": False, "released": True}


def test_it_writes_a_cache_prefix_once_and_reads_it_after(bedrock) -> None:
    system = [{"text": "You are a careful assistant. " * 20}, {"cachePoint": {"type": "default"}}]
    prefix_tokens = math.ceil(len(system[0]["text"]) / 4)

    first = bedrock.converse(modelId=SONNET, system=system, messages=[user("Question one")])["usage"]
    second = bedrock.converse(modelId=SONNET, system=system, messages=[user("Question two")])["usage"]

    assert (first["cacheWriteInputTokens"], first["cacheReadInputTokens"]) == (prefix_tokens, 0)
    assert (second["cacheWriteInputTokens"], second["cacheReadInputTokens"]) == (0, prefix_tokens)
    assert second["inputTokens"] == math.ceil(len("Question two") / 4)
    assert second["totalTokens"] == second["inputTokens"] + second["outputTokens"] + prefix_tokens


def test_it_embeds_text_with_titan_v2(bedrock) -> None:
    def embed(**body: Any) -> dict[str, Any]:
        answer = bedrock.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=json.dumps(body),
                                      contentType="application/json", accept="application/json")
        return json.loads(answer["body"].read())

    default = embed(inputText="hello world")
    small = embed(inputText="hello world", dimensions=256)

    assert len(default["embedding"]) == 1024 and len(small["embedding"]) == 256
    assert default["inputTextTokenCount"] == math.ceil(len("hello world") / 4)
    assert math.isclose(sum(value * value for value in default["embedding"]), 1.0, rel_tol=1e-6)
    assert embed(inputText="hello world") == default
    assert embed(inputText="another text")["embedding"] != default["embedding"]
    with pytest.raises(bedrock.exceptions.ValidationException, match="dimensions"):
        embed(inputText="x", dimensions=7)


def test_it_embeds_texts_with_cohere(bedrock) -> None:
    answer = bedrock.invoke_model(modelId="cohere.embed-english-v3", body=json.dumps(
        {"texts": ["one", "two"], "input_type": "search_document"}))
    body = json.loads(answer["body"].read())

    assert body["response_type"] == "embeddings_floats"
    assert body["texts"] == ["one", "two"]
    assert [len(vector) for vector in body["embeddings"]] == [1024, 1024]
    assert body["id"]


def test_it_refuses_invoke_model_bodies_for_chat_models_it_does_not_know(bedrock) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException, match="Malformed input request"):
        bedrock.invoke_model(modelId="amazon.nova-micro-v1:0", body=json.dumps({"inputText": "hi"}))


# --- Request log and faults -----------------------------------------------------------------------

def test_it_logs_what_it_received_and_whether_the_stream_completed(bedrock, emulator: EmulatorServer) -> None:
    bedrock.converse(modelId=SONNET, messages=[user("logged")], inferenceConfig={"maxTokens": 50})
    stream_events(bedrock.converse_stream(modelId=SONNET, messages=[user("streamed")]))

    plain, streamed = emulator.log()
    assert plain["operation"] == "converse" and plain["model_id"] == SONNET and plain["region"] == "us-east-1"
    assert plain["body"] == {"messages": [user("logged")], "inferenceConfig": {"maxTokens": 50}}
    assert plain["status"] == 200 and plain["request_id"]
    assert streamed["operation"] == "converse-stream"
    assert (streamed["stream_completed"], streamed["client_disconnected"]) == (True, False)


def test_it_records_a_client_that_closes_a_stream_early(bedrock, emulator: EmulatorServer) -> None:
    response = bedrock.converse_stream(modelId=SONNET, messages=[user("[[sbc:gate=abandoned]]")])
    events = iter(response["stream"])
    next(events), next(events)
    eventually(lambda: emulator.gate("abandoned")["waiting"])

    response["stream"].close()

    entry = eventually(lambda: next((e for e in emulator.log() if e["client_disconnected"]), None))
    assert entry["stream_completed"] is False and entry["status"] == 200


def test_it_injects_faults_only_in_the_region_asked(emulator: EmulatorServer) -> None:
    east, west = client_in(emulator, "us-east-1"), client_in(emulator, "us-west-2")
    emulator.add_fault(error="ThrottlingException", region="us-west-2", count=1)

    assert east.converse(modelId=SONNET, messages=[user("hi")])["stopReason"] == "end_turn"
    with pytest.raises(west.exceptions.ThrottlingException):
        west.converse(modelId=SONNET, messages=[user("hi")])
    assert west.converse(modelId=SONNET, messages=[user("hi")])["stopReason"] == "end_turn"
    assert [entry["status"] for entry in emulator.log()] == [200, 429, 200]


def test_it_keeps_a_fault_until_cleared_when_no_count_is_given(emulator: EmulatorServer) -> None:
    west = client_in(emulator, "us-west-2")
    emulator.add_fault(error="ServiceUnavailableException", operation="converse-stream")

    for _ in range(3):
        with pytest.raises(west.exceptions.ServiceUnavailableException):
            west.converse_stream(modelId=SONNET, messages=[user("hi")])
    assert west.converse(modelId=SONNET, messages=[user("hi")])["stopReason"] == "end_turn"
    emulator.clear_faults()
    assert stream_events(west.converse_stream(modelId=SONNET, messages=[user("hi")]))[-1][0] == "metadata"
