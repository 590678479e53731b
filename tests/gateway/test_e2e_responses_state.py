"""End to end: the Responses API with state, through the official openai SDK and raw HTTP, per identity."""

from __future__ import annotations

from datetime import timedelta

import httpx
import openai
import pytest

from tests.live import server_env, start_gunicorn

pytestmark = pytest.mark.e2e

MODEL = "claude-4-sonnet"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "strict": False,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def said(emulator_log) -> list[str]:
    """The texts of the conversation the gateway last sent to Bedrock, turn by turn."""
    messages = emulator_log()[-1]["body"]["messages"]
    return [" ".join(part.get("text", "") for part in message["content"]).strip() for message in messages]


def test_previous_response_id_continues_the_conversation_without_its_instructions(client, emulator_log):
    first = client.responses.create(model=MODEL, input="My name is Ada.", instructions="Answer in French.")
    assert first.store is True
    second = client.responses.create(model=MODEL, input="What is my name?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    sent = emulator_log()[-1]["body"]
    assert "system" not in sent  # instructions are not carried over
    turns = said(emulator_log)
    assert turns[0] == "My name is Ada." and turns[1] == first.output_text.strip() and turns[2] == "What is my name?"
    third = client.responses.create(model=MODEL, input="And again?", previous_response_id=second.id)
    assert said(emulator_log)[:5] == [
        "My name is Ada.",
        first.output_text.strip(),
        "What is my name?",
        second.output_text.strip(),
        "And again?",
    ]
    listed = client.responses.input_items.list(third.id, order="asc")
    assert [item.type for item in listed.data] == ["message"] * 5 and listed.has_more is False


def test_a_stored_response_is_retrieved_listed_and_deleted(client):
    created = client.responses.create(
        model=MODEL, input=[{"role": "user", "content": "Hello"}, {"role": "user", "content": "there"}]
    )
    fetched = client.responses.retrieve(created.id)
    assert fetched.id == created.id and fetched.output_text == created.output_text
    assert fetched.output[0].id == created.output[0].id
    page = client.responses.input_items.list(created.id, limit=1)
    assert page.data[0].content[0].text == "there" and page.has_more is True  # newest first, as OpenAI lists
    rest = client.responses.input_items.list(created.id, limit=1, after=page.data[0].id)
    assert rest.data[0].content[0].text == "Hello" and rest.has_more is False
    deleted = client.responses.delete(created.id)
    assert deleted is None or getattr(deleted, "deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_item_reference_resolves_an_earlier_output_item(gateway, token, emulator_log):
    headers = {"Authorization": f"Bearer {token}"}
    question = "What is the weather? Use get_weather city=Paris"
    ask = [{"role": "user", "content": [{"type": "input_text", "text": question}]}]
    first = httpx.post(
        f"{gateway.url}/v1/responses",
        headers=headers,
        timeout=30,
        json={"model": MODEL, "input": ask, "tools": [WEATHER]},
    ).json()
    call = next(item for item in first["output"] if item["type"] == "function_call")
    # What the Vercel AI SDK sends with store on: earlier output items by reference only.
    second = httpx.post(
        f"{gateway.url}/v1/responses",
        headers=headers,
        timeout=30,
        json={
            "model": MODEL,
            "tools": [WEATHER],
            "input": [
                *ask,
                *({"type": "item_reference", "id": item["id"]} for item in first["output"]),
                {"type": "function_call_output", "call_id": call["call_id"], "output": "18C and sunny"},
            ],
        },
    )
    assert second.status_code == 200, second.text
    turns = emulator_log()[-1]["body"]["messages"]
    assert turns[1]["content"][-1]["toolUse"]["toolUseId"] == call["call_id"]
    assert turns[2]["content"][0]["toolResult"]["content"] == [{"text": "18C and sunny"}]
    missing = httpx.post(
        f"{gateway.url}/v1/responses",
        headers=headers,
        timeout=30,
        json={"model": MODEL, "input": [*ask, {"type": "item_reference", "id": "msg_" + "0" * 36}]},
    )
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "input[1].id"


def test_a_streamed_response_is_kept_before_the_stream_ends(client, emulator_log):
    events = list(client.responses.create(model=MODEL, input="Stream me", stream=True))
    done = events[-1].response
    assert events[-1].type == "response.completed" and done.store is True
    client.responses.create(model=MODEL, input="Next", previous_response_id=done.id)
    assert said(emulator_log)[:3] == ["Stream me", done.output_text.strip(), "Next"]


def test_store_false_keeps_nothing(client):
    reply = client.responses.create(model=MODEL, input="Forget me", store=False)
    assert reply.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(reply.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=MODEL, input="Hi", previous_response_id=reply.id)
    assert caught.value.body["param"] == "previous_response_id"


def test_another_identity_cannot_read_reference_continue_or_delete(gateway, client, issue):
    mine = client.responses.create(model=MODEL, input="Private")
    other = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=issue("mallory@test"), max_retries=0, timeout=30)
    for attempt in (
        lambda: other.responses.retrieve(mine.id),
        lambda: other.responses.delete(mine.id),
        lambda: other.responses.input_items.list(mine.id),
    ):
        with pytest.raises(openai.NotFoundError):
            attempt()
    with pytest.raises(openai.NotFoundError) as caught:
        other.responses.create(model=MODEL, input="Hi", previous_response_id=mine.id)
    assert caught.value.body == {
        "message": f"Previous response with id '{mine.id}' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": "not_found",
    }
    with pytest.raises(openai.NotFoundError):
        other.responses.create(model=MODEL, input=[{"type": "item_reference", "id": mine.output[0].id}])
    assert client.responses.retrieve(mine.id).output_text == mine.output_text


def test_conversations_hold_the_responses_added_to_them(client, emulator_log):
    conversation = client.conversations.create(items=[{"type": "message", "role": "user", "content": "I like tea."}])
    assert conversation.id.startswith("conv_")
    first = client.responses.create(model=MODEL, input="What do I like?", conversation=conversation.id)
    assert said(emulator_log) == ["I like tea. What do I like?"]  # one user turn, as Converse needs
    client.responses.create(model=MODEL, input="Thanks", conversation={"id": conversation.id})
    items = client.conversations.items.list(conversation.id, order="asc")
    texts = [item.content[0].text for item in items.data]
    assert texts == ["I like tea.", "What do I like?", first.output_text, "Thanks", texts[-1]] and len(texts) == 5
    assert client.conversations.retrieve(conversation.id).id == conversation.id
    assert client.conversations.delete(conversation.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)


def test_an_expired_response_is_not_found_and_the_purge_deletes_it(client, django_db_blocker):
    from django.core.management import call_command
    from django.utils import timezone

    from gateway.models import StoredResponse

    old, recent = (client.responses.create(model=MODEL, input=text) for text in ("Old", "Recent"))
    with django_db_blocker.unblock():
        StoredResponse.objects.filter(pk=old.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(old.id)
    with django_db_blocker.unblock():
        call_command("purge_responses")
        assert not StoredResponse.objects.filter(pk=old.id).exists()
        assert StoredResponse.objects.filter(pk=recent.id).exists()


def test_every_stateful_request_is_metered_once_and_says_what_it_adapted(client, records):
    first = client.responses.create(model=MODEL, input="One")
    raw = client.responses.with_raw_response.create(
        model=MODEL, input="Two", previous_response_id=first.id, extra_body={"brand_new": 1}
    )
    assert raw.headers["x-sbc-adapted"] == "unknown:brand_new"
    mine = [r for r in records("alice@test") if r["request_id"] in (raw.headers["x-request-id"],)]
    assert len(mine) == 1 and mine[0]["status"] == 200 and mine[0]["endpoint"] == "responses"


@pytest.fixture(scope="module")
def stateless_gateway(django_db_setup, django_db_blocker, emulator, static_root):
    server = start_gunicorn(
        server_env(
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url, STATIC_ROOT=str(static_root), RESPONSES_RETENTION_DAYS="0"
        ),
        workers=1,
        threads=4,
    )
    yield server
    server.stop()


def test_with_retention_zero_nothing_is_kept_and_responses_say_so(stateless_gateway, token):
    client = openai.OpenAI(base_url=f"{stateless_gateway.url}/v1", api_key=token, max_retries=0, timeout=30)
    raw = client.responses.with_raw_response.create(model=MODEL, input="Hi")
    reply = raw.parse()
    assert reply.store is False and raw.headers["x-sbc-adapted"] == "store"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(reply.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="Hi", previous_response_id=reply.id)
    assert caught.value.body["param"] == "previous_response_id" and "storage is off" in caught.value.message


@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_loop_by_previous_response_id_keeps_claudes_signed_thinking(client, emulator_log, stream):
    ask = {"model": MODEL, "tools": [WEATHER], "reasoning": {"effort": "low"}}
    if stream:
        first = [
            e
            for e in client.responses.create(input="Weather? Use get_weather city=Paris", stream=True, **ask)
            if e.type == "response.completed"
        ][0].response
    else:
        first = client.responses.create(input="Weather? Use get_weather city=Paris", **ask)
    reasoning = next(item for item in first.output if item.type == "reasoning")
    assert reasoning.encrypted_content is None  # not asked for: the client does not see it
    call = next(item for item in first.output if item.type == "function_call")
    client.responses.create(
        previous_response_id=first.id,
        **ask,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "18C"}],
    )
    replayed = emulator_log()[-1]["body"]["messages"][1]["content"]
    assert replayed[0]["reasoningContent"]["reasoningText"]["signature"]
    assert replayed[0]["reasoningContent"]["reasoningText"]["text"] == reasoning.summary[0].text
    assert "toolUse" in replayed[-1]
