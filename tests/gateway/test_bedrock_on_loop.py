"""Under the ASGI server the lean client's calls go out on the worker's event loop (`gateway.bedrock.aio`): whole
answers as well as streams. Called from a request thread, as a view calls it, it gives what boto3 gives."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from core.errors import GatewayTimeout
from gateway import bedrock
from gateway.bedrock.aio import AsyncBedrockClient
from tests.bedrock_emulator.client import SONNET, client_in, user
from tests.gateway.test_bedrock_http import REGION, events, lean, without_metadata


@pytest.fixture
def serving_loop():
    """An event loop running in its own thread, as a worker's, and the clients made on it closed at the end."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    for client in _made.pop(loop, []):
        asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


_made: dict = {}


def on_loop(url: str, loop, read_timeout: float = 10.0) -> AsyncBedrockClient:
    client = AsyncBedrockClient(lean(url, read_timeout=read_timeout), loop)
    _made.setdefault(loop, []).append(client)
    return client


def test_a_whole_answer_fetched_on_the_loop_is_the_sdks(emulator, serving_loop):
    sdk, ours = client_in(emulator, REGION, validate=False), on_loop(emulator.url, serving_loop)
    kwargs = {"modelId": SONNET, "messages": [user("Use get_weather with city=Paris please.")]}
    answers = [without_metadata(client.converse(**kwargs)) for client in (sdk, ours)]
    assert answers[1]["output"] == answers[0]["output"]
    assert answers[1]["stopReason"] == answers[0]["stopReason"] and answers[1]["usage"] == answers[0]["usage"]


def test_invoke_model_on_the_loop_reads_its_body_as_the_sdk_does(emulator, serving_loop):
    sdk, ours = client_in(emulator, REGION, validate=False), on_loop(emulator.url, serving_loop)
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [{"role": "user", "content": "Hi"}]}
    )
    kwargs = {"modelId": SONNET, "body": body, "contentType": "application/json", "accept": "application/json"}
    answers = [client.invoke_model(**kwargs) for client in (sdk, ours)]
    payloads = [json.loads(answer["body"].read()) for answer in answers]
    assert payloads[1]["content"] == payloads[0]["content"]
    assert answers[1]["contentType"] == answers[0]["contentType"]


def test_streams_still_open_on_the_loop(emulator, serving_loop):
    sdk, ours = client_in(emulator, REGION, validate=False), on_loop(emulator.url, serving_loop)
    kwargs = {"modelId": SONNET, "messages": [user("Say hello.")]}
    mine = ours.converse_stream(**kwargs)

    async def read_all():
        found = [event async for event in mine["stream"]]
        for event in found:
            event.get("metadata", {}).pop("metrics", None)
        return found

    on_loop_events = asyncio.run_coroutine_threadsafe(read_all(), serving_loop).result(10)
    assert on_loop_events == events(sdk.converse_stream(**kwargs))


@pytest.mark.parametrize(
    "fault",
    [{"error": "ThrottlingException"}, {"error": "ValidationException", "message": "Input is too long for the model."}],
)
def test_errors_on_the_loop_carry_the_sdks_code_message_and_status(emulator, serving_loop, fault):
    sdk, ours = client_in(emulator, REGION, validate=False), on_loop(emulator.url, serving_loop)
    caught = []
    for client in (sdk, ours):
        emulator.add_fault(count=1, **fault)
        with pytest.raises(ClientError) as raised:
            client.converse(modelId=SONNET, messages=[user("Hello")])
        caught.append(raised.value.response)
    assert caught[1]["Error"] == caught[0]["Error"]
    assert caught[1]["ResponseMetadata"]["HTTPStatusCode"] == caught[0]["ResponseMetadata"]["HTTPStatusCode"]


def test_a_hung_whole_answer_on_the_loop_is_a_read_timeout(emulator, serving_loop):
    emulator.add_fault(hang_ms=3000, count=1)
    with pytest.raises(ReadTimeoutError) as raised:
        on_loop(emulator.url, serving_loop, read_timeout=0.3).converse(modelId=SONNET, messages=[user("Hello")])
    assert isinstance(bedrock.to_api_error(raised.value), GatewayTimeout)
