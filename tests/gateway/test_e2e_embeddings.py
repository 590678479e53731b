"""End to end: the official openai SDK's embeddings against gunicorn, with Titan and Cohere on the Bedrock emulator."""

from __future__ import annotations

import base64
import struct

import openai
import pytest

pytestmark = pytest.mark.e2e


def test_it_embeds_one_text_with_titan(client, emulator_log):
    reply = client.embeddings.create(model="titan-embed-text-v2", input="def add(a, b): return a + b")
    assert reply.object == "list" and reply.model == "titan-embed-text-v2"
    assert len(reply.data) == 1 and reply.data[0].index == 0
    assert len(reply.data[0].embedding) == 1024
    assert reply.usage.prompt_tokens > 0 and reply.usage.total_tokens == reply.usage.prompt_tokens
    sent = emulator_log()[-1]
    assert sent["model_id"] == "amazon.titan-embed-text-v2:0"
    assert sent["body"] == {"inputText": "def add(a, b): return a + b"}


def test_it_returns_base64_that_decodes_to_the_float_vector(client):
    text = "class Stack: pass"
    floats = client.embeddings.create(model="titan-embed-text-v2", input=text, dimensions=256).data[0].embedding
    raw = client.embeddings.with_raw_response.create(
        model="titan-embed-text-v2", input=text, dimensions=256, encoding_format="base64"
    ).http_response.json()
    encoded = raw["data"][0]["embedding"]
    decoded = struct.unpack(f"<{len(floats)}f", base64.b64decode(encoded))
    assert len(floats) == 256
    assert decoded == pytest.approx(floats, rel=1e-6)


def test_it_batches_titan_one_call_per_text_in_order(client, emulator_log):
    texts = [f"snippet number {index}" for index in range(7)]
    reply = client.embeddings.create(model="titan-embed-text-v2", input=texts)
    singles = [
        client.embeddings.create(model="titan-embed-text-v2", input=text).data[0].embedding for text in texts[:3]
    ]
    assert [item.index for item in reply.data] == list(range(7))
    assert [item.embedding for item in reply.data[:3]] == singles
    assert sorted(entry["body"]["inputText"] for entry in emulator_log()[:7]) == sorted(texts)


def test_it_batches_cohere_up_to_96_texts_per_call(client, emulator_log):
    texts = [f"document {index}" for index in range(100)]
    reply = client.embeddings.create(model="cohere-embed-english-v3", input=texts)
    assert len(reply.data) == 100
    calls = emulator_log()
    assert sorted(len(entry["body"]["texts"]) for entry in calls) == [4, 96]  # sent in parallel
    assert {entry["body"]["input_type"] for entry in calls} == {"search_document"}
    single = client.embeddings.create(model="cohere-embed-english-v3", input=texts[97]).data[0].embedding
    assert reply.data[97].embedding == single
    assert reply.usage.prompt_tokens > 0


def test_it_passes_the_cohere_input_type(client, emulator_log):
    client.embeddings.create(
        model="cohere-embed-multilingual-v3", input=["wo ist der bahnhof"], extra_body={"input_type": "search_query"}
    )
    assert emulator_log()[-1]["body"]["input_type"] == "search_query"


def test_it_refuses_a_chat_model(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(model="claude-4-sonnet", input="hello")
    assert raised.value.body["param"] == "model"


def test_it_refuses_token_arrays_and_empty_input(client):
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="titan-embed-text-v2", input=[[1, 2, 3]])
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="titan-embed-text-v2", input=[])


def test_it_maps_bedrock_validation_errors(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(model="titan-embed-text-v2", input="hello", dimensions=300)
    assert "dimensions" in raised.value.body["message"]


def test_it_maps_bedrock_throttling(client):
    with pytest.raises(openai.RateLimitError):
        client.embeddings.create(model="titan-embed-text-v2", input="hello [[sbc:error=ThrottlingException]]")
