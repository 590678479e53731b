"""The Bedrock emulator's rules, driven by real boto3 over HTTP: Bedrock's errors and validation, gates,
prompt caching, embeddings, its request log and injected faults."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from botocore.exceptions import EventStreamError

from tests.bedrock_emulator.client import (  # noqa: F401
    GREETING,
    SONNET,
    WEATHER,
    client_in,
    eventually,
    fresh_emulator,
    stream_events,
    streamed_text,
    user,
)
from tests.servers import EmulatorServer

pytestmark = pytest.mark.e2e


# --- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("ThrottlingException", 429),
        ("AccessDeniedException", 403),
        ("ValidationException", 400),
        ("ResourceNotFoundException", 404),
        ("ModelTimeoutException", 408),
        ("ModelErrorException", 424),
        ("ModelNotReadyException", 429),
        ("ServiceQuotaExceededException", 400),
        ("InternalServerException", 500),
        ("ServiceUnavailableException", 503),
    ],
)
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
        "You don't have access to the model with the specified model ID."
    )


def test_it_reports_a_prompt_too_long_for_the_model(bedrock) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException, match="Input is too long for requested model."):
        bedrock.converse(modelId=SONNET, messages=[user("[[sbc:error=context]]")])


@pytest.mark.parametrize(
    "member",
    [
        "throttlingException",
        "modelStreamErrorException",
        "internalServerException",
        "serviceUnavailableException",
        "validationException",
    ],
)
def test_it_fails_mid_stream_with_the_asked_exception(bedrock, member: str) -> None:
    response = bedrock.converse_stream(modelId=SONNET, messages=[user(f"[[sbc:stream-error={member}]]")])
    received = []

    with pytest.raises(EventStreamError) as raised:
        for event in response["stream"]:
            received.append(event)

    assert raised.value.response["Error"]["Code"] == member
    assert [next(iter(event)) for event in received] == ["messageStart", "contentBlockDelta", "contentBlockDelta"]


# --- Validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([{"role": "assistant", "content": [{"text": "hi"}]}], "A conversation must start with a user message."),
        ([user("a"), user("b")], "A conversation must alternate between user and assistant roles."),
        (
            [user("a"), {"role": "assistant", "content": [{"text": "  "}]}, user("c")],
            "The text field in the ContentBlock object at messages.1.content.0 is blank.",
        ),
        (
            [
                user("a"),
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "x", "input": {}}}]},
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "r"}]}}]},
            ],
            "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        ),
        ([user("a"), {"role": "developer", "content": [{"text": "b"}]}], "at 'messages.2.member.role'"),
    ],
)
def test_it_rejects_malformed_conversations(bedrock, messages: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as raised:
        bedrock.converse(modelId=SONNET, messages=messages)

    assert message in raised.value.response["Error"]["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_it_rejects_tool_results_that_do_not_answer_the_previous_calls(bedrock) -> None:
    calls = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "tooluse_a", "name": "get_weather", "input": {}}}],
    }
    wrong = {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_b", "content": [{"text": "r"}]}}]}

    with pytest.raises(bedrock.exceptions.ValidationException, match="tooluse_b"):
        bedrock.converse(modelId=SONNET, messages=[user("a"), calls, wrong], toolConfig={"tools": [WEATHER]})
    with pytest.raises(bedrock.exceptions.ValidationException, match="Expected toolResult blocks"):
        bedrock.converse(
            modelId=SONNET, messages=[user("a"), calls, user("no result")], toolConfig={"tools": [WEATHER]}
        )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"temperature": 1.5}, "inferenceConfig.temperature"),
        ({"topP": 2.0}, "inferenceConfig.topP"),
        ({"maxTokens": 0}, "inferenceConfig.maxTokens"),
        ({"temperature": 0.5, "topP": 0.9}, "`temperature` and `top_p` cannot both be specified"),
    ],
)
def test_it_rejects_inference_settings_out_of_range(
    emulator: EmulatorServer, config: dict[str, Any], message: str
) -> None:
    # botocore checks maxTokens >= 1 itself; switch that off to see what the service says.
    unchecked = client_in(emulator, "us-east-1", validate=False)

    with pytest.raises(unchecked.exceptions.ValidationException) as raised:
        unchecked.converse(modelId=SONNET, messages=[user("hi")], inferenceConfig=config)

    assert message in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("model_id", "message"),
    [
        (
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput"
            " isn’t supported.",
        ),
        ("meta.llama3-3-70b-instruct-v1:0", "with on-demand throughput isn’t supported"),
        ("anthropic.claude-nonexistent-v9:0", "The provided model identifier is invalid."),
        ("amazon.titan-embed-text-v2:0", "This action doesn't support the model that you provided."),
    ],
)
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
        answer = bedrock.invoke_model(
            modelId="amazon.titan-embed-text-v2:0",
            body=json.dumps(body),
            contentType="application/json",
            accept="application/json",
        )
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
    answer = bedrock.invoke_model(
        modelId="cohere.embed-english-v3", body=json.dumps({"texts": ["one", "two"], "input_type": "search_document"})
    )
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
