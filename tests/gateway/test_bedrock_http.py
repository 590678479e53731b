"""The lean Bedrock client gives what boto3 gives: the same answers, events, frames, blobs and errors, whether it
calls from the request thread or (under the ASGI server) on the worker's event loop (`gateway.bedrock.aio`)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading

import pytest
from botocore.credentials import Credentials
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from botocore.exceptions import ClientError, EndpointConnectionError, EventStreamError, ReadTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from bedrock_emulator import eventstream
from core.errors import GatewayTimeout, ServiceUnavailable
from gateway import bedrock
from gateway.bedrock.aio import AsyncBedrockClient
from gateway.bedrock.http import BedrockHttpClient, EventStreamDecoder, decode_blobs, json_body
from tests.bedrock_emulator.client import SONNET, WEATHER, client_in, fresh_emulator, user  # noqa: F401

REGION = "us-east-1"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def lean(url: str, read_timeout: float = 10.0) -> BedrockHttpClient:
    return BedrockHttpClient(
        endpoint_url=url,
        region=REGION,
        credentials=Credentials("x", "y"),
        connect_timeout=2.0,
        read_timeout=read_timeout,
        max_connections=4,
    )


@pytest.fixture
def both(emulator):
    return client_in(emulator, REGION, validate=False), lean(emulator.url)


@pytest.fixture
def serving_loop():
    """An event loop running in its own thread, as a worker's, and the clients made on it closed at the end."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    made: list[AsyncBedrockClient] = []
    yield loop, made
    for client in made:
        asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture(params=["in the request thread", "on the event loop"])
def whole(request):
    """Makes the lean client as each serving path uses it for whole answers: `whole(url, read_timeout=...)`."""
    if request.param == "in the request thread":
        return lean
    loop, made = request.getfixturevalue("serving_loop")

    def on_loop(url: str, read_timeout: float = 10.0) -> AsyncBedrockClient:
        made.append(AsyncBedrockClient(lean(url, read_timeout=read_timeout), loop))
        return made[-1]

    return on_loop


def without_metadata(answer: dict) -> dict:
    """The answer without what differs between two calls: request metadata and the measured latency."""
    return {key: value for key, value in answer.items() if key not in ("ResponseMetadata", "metrics")}


def events(answer: dict, key: str = "stream") -> list[dict]:
    """The stream's events, the metadata's timing left out: two calls never take the same milliseconds."""
    found = list(answer[key])
    for event in found:
        event.get("metadata", {}).pop("metrics", None)
    return found


@pytest.mark.parametrize("text", ["Say hello.", "Use get_weather with city=Paris please."])
def test_converse_answers_match_the_sdks(emulator, whole, text):
    sdk, ours = client_in(emulator, REGION, validate=False), whole(emulator.url)
    kwargs = {"modelId": SONNET, "messages": [user(text)], "toolConfig": {"tools": [WEATHER]}}
    assert without_metadata(ours.converse(**kwargs)) == without_metadata(sdk.converse(**kwargs))


UPLOAD = {
    "toolSpec": {
        "name": "upload",
        "description": "Store a file.",
        "inputSchema": {"json": {"type": "object", "properties": {"bytes": {"type": "string"}}, "required": ["bytes"]}},
    }
}


def test_a_tool_input_field_called_bytes_stays_text_as_with_the_sdk(both):
    sdk, ours = both
    kwargs = {
        "modelId": SONNET,
        "messages": [user("Use upload with bytes=hello please.")],
        "toolConfig": {"tools": [UPLOAD]},
    }
    mine = without_metadata(ours.converse(**kwargs))
    assert mine == without_metadata(sdk.converse(**kwargs))
    tool_input = next(b["toolUse"]["input"] for b in mine["output"]["message"]["content"] if "toolUse" in b)
    assert isinstance(tool_input["bytes"], str)


def test_streamed_events_match_the_sdks(both):
    sdk, ours = both
    kwargs = {"modelId": SONNET, "messages": [user("Stream please. [[sbc:pace=6x0]]")]}
    theirs, mine = events(sdk.converse_stream(**kwargs)), events(ours.converse_stream(**kwargs))
    assert [next(iter(event)) for event in mine].count("contentBlockDelta") == 6
    assert mine == theirs


def test_an_image_travels_as_base64_and_answers_match(both, emulator):
    sdk, ours = both
    image = {"image": {"format": "png", "source": {"bytes": PNG}}}
    kwargs = {"modelId": SONNET, "messages": [user("What is in this picture?", image)]}
    assert without_metadata(ours.converse(**kwargs)) == without_metadata(sdk.converse(**kwargs))
    sent = [entry["body"]["messages"][0]["content"][1] for entry in emulator.log()[-2:]]
    assert sent[0] == sent[1]


def without_ids(answer: dict) -> dict:
    """An Anthropic answer or stream event without the message id, which differs per call."""
    answer.pop("id", None)
    if isinstance(answer.get("message"), dict):
        answer["message"].pop("id", None)
    return answer


def test_invoke_model_and_its_stream_match_the_sdks(both):
    sdk, ours = both
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "Hello"}],
        }
    ).encode()
    kwargs = {"modelId": SONNET, "body": body, "contentType": "application/json", "accept": "application/json"}
    answers = [without_ids(json.loads(client.invoke_model(**kwargs)["body"].read())) for client in (sdk, ours)]
    assert answers[1] == answers[0] and answers[1]["content"]
    streams = [events(client.invoke_model_with_response_stream(**kwargs), "body") for client in (sdk, ours)]
    assert all(isinstance(event["chunk"]["bytes"], bytes) for event in streams[1])
    chunks = [[without_ids(json.loads(event["chunk"]["bytes"])) for event in stream] for stream in streams]
    assert chunks[1] == chunks[0] and len(chunks[1]) > 3


@pytest.mark.parametrize(
    "fault",
    [{"error": "ThrottlingException"}, {"error": "ValidationException", "message": "Input is too long for the model."}],
)
def test_errors_carry_the_sdks_code_message_and_status(emulator, whole, fault):
    sdk, ours = client_in(emulator, REGION, validate=False), whole(emulator.url)
    caught = []
    for client in (sdk, ours):
        emulator.add_fault(count=1, **fault)
        with pytest.raises(ClientError) as raised:
            client.converse(modelId=SONNET, messages=[user("Hello")])
        caught.append(raised.value.response)
    theirs, mine = caught
    assert mine["Error"] == theirs["Error"]
    assert mine["ResponseMetadata"]["HTTPStatusCode"] == theirs["ResponseMetadata"]["HTTPStatusCode"]


def test_an_error_in_the_middle_of_a_stream_is_the_sdks_event_stream_error(both):
    sdk, ours = both
    kwargs = {"modelId": SONNET, "messages": [user("Go. [[sbc:stream-error=throttling]]")]}
    caught = []
    for client in (sdk, ours):
        with pytest.raises(EventStreamError) as raised:
            events(client.converse_stream(**kwargs))
        caught.append(raised.value.response["Error"])
    assert caught[1] == caught[0] and caught[1]["Code"] == "throttlingException"
    assert bedrock.to_api_error(EventStreamError({"Error": caught[1]}, "ConverseStream")).status == 429


def test_an_unreachable_endpoint_is_a_connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(EndpointConnectionError) as raised:
        lean(f"http://127.0.0.1:{port}").converse(modelId=SONNET, messages=[user("Hello")])
    assert isinstance(bedrock.to_api_error(raised.value), ServiceUnavailable)


def test_a_hung_answer_is_a_read_timeout(emulator, whole):
    emulator.add_fault(hang_ms=3000, count=1)
    with pytest.raises(ReadTimeoutError) as raised:
        whole(emulator.url, read_timeout=0.3).converse(modelId=SONNET, messages=[user("Hello")])
    assert isinstance(bedrock.to_api_error(raised.value), GatewayTimeout)


def test_a_whole_invoke_model_body_is_read_as_the_sdk_reads_it(emulator, whole):
    sdk, ours = client_in(emulator, REGION, validate=False), whole(emulator.url)
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [{"role": "user", "content": "Hi"}]}
    )
    kwargs = {"modelId": SONNET, "body": body, "contentType": "application/json", "accept": "application/json"}
    answers = [client.invoke_model(**kwargs) for client in (sdk, ours)]
    payloads = [json.loads(answer["body"].read()) for answer in answers]
    assert payloads[1]["content"] == payloads[0]["content"]
    assert answers[1]["contentType"] == answers[0]["contentType"]


def test_streamed_events_read_on_the_loop_match_the_sdks(emulator, serving_loop):
    loop, made = serving_loop
    sdk = client_in(emulator, REGION, validate=False)
    made.append(AsyncBedrockClient(lean(emulator.url), loop))
    kwargs = {"modelId": SONNET, "messages": [user("Say hello.")]}
    mine = made[-1].converse_stream(**kwargs)

    async def read_all():
        found = [event async for event in mine["stream"]]
        for event in found:
            event.get("metadata", {}).pop("metrics", None)
        return found

    on_loop_events = asyncio.run_coroutine_threadsafe(read_all(), loop).result(10)
    assert on_loop_events == events(sdk.converse_stream(**kwargs))


def test_blobs_are_base64_on_the_wire_and_bytes_in_python_and_nothing_else_is_decoded():
    redacted = {"reasoningContent": {"redactedContent": b"\x00\xffsecret"}}
    image = {"image": {"format": "png", "source": {"bytes": PNG}}}
    tool = {"toolUse": {"toolUseId": "t1", "name": "upload", "input": {"bytes": "aGk=", "path": "a.txt"}}}
    wire = json.loads(json_body({"output": {"message": {"role": "assistant", "content": [redacted, image, tool]}}}))
    blocks = wire["output"]["message"]["content"]
    assert blocks[0]["reasoningContent"]["redactedContent"] == "AP9zZWNyZXQ="
    assert decode_blobs(wire)["output"]["message"]["content"] == [redacted, image, tool]
    assert blocks[2]["toolUse"]["input"]["bytes"] == "aGk="  # a tool's own field stays text


def test_the_sdk_carries_the_calls_when_asked_or_when_a_proxy_applies(emulator, monkeypatch, settings):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    assert isinstance(bedrock.transport_for(REGION, "converse"), BedrockHttpClient)
    assert not isinstance(bedrock.transport_for(REGION, "count_tokens"), BedrockHttpClient)
    settings.BEDROCK_TRANSPORT = "sdk"
    assert bedrock.transport_for(REGION, "converse") is bedrock.client_for(REGION)
    settings.BEDROCK_TRANSPORT = "direct"
    bedrock._transports.forget()
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert bedrock.transport_for(REGION, "converse") is bedrock.client_for(REGION)


def _typed_header(name: str, kind: int, raw: bytes) -> bytes:
    encoded = name.encode()
    return bytes([len(encoded)]) + encoded + bytes([kind]) + raw


TYPED_HEADERS = (
    _typed_header(":message-type", 7, b"\x00\x05event")
    + _typed_header(":event-type", 7, b"\x00\x05chunk")
    + _typed_header("flag", 0, b"")
    + _typed_header("off", 1, b"")
    + _typed_header("byte", 2, b"\xff")
    + _typed_header("short", 3, b"\x01\x00")
    + _typed_header("int", 4, b"\x00\x00\x01\x00")
    + _typed_header("long", 5, b"\x00" * 7 + b"\x02")
    + _typed_header("blob", 6, b"\x00\x02ab")
    + _typed_header("when", 8, b"\x00" * 7 + b"\x05")
    + _typed_header("id", 9, bytes(range(16)))
)


@given(cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=30))
def test_frames_decode_like_botocores_however_the_bytes_are_split(cuts):
    stream = (
        eventstream.event("contentBlockDelta", {"delta": {"text": "héllo"}, "contentBlockIndex": 0})
        + eventstream.frame(TYPED_HEADERS, b'{"bytes": "aGk="}')
        + eventstream.stream_exception("throttlingException", {"message": "slow down"})
    )
    pieces, at = [], 0
    for cut in cuts:
        pieces.append(stream[at : at + cut])
        at += cut
    pieces.append(stream[at:])
    decoder, theirs = EventStreamDecoder(), EventStreamBuffer()
    mine = [message for piece in pieces for message in decoder.feed(piece)]
    theirs.add_data(stream)
    assert mine == [(message.headers, message.payload) for message in theirs]


def test_a_corrupted_frame_is_refused():
    frame = bytearray(eventstream.event("messageStop", {"stopReason": "end_turn"}))
    frame[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        EventStreamDecoder().feed(bytes(frame))
