"""Responses API state without servers: the state fields' rules, what a request continues, item ids and lists,
and the store's isolation and purge on the test database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone

from core.errors import ApiError, InvalidRequest, NotFound
from gateway.registry import ModelSpec
from gateway.responses_store import Keeper, purge_expired, response_get, state_for
from gateway.responses_store.items import body_for_client, key_of, page, with_ids
from gateway.translate.chat_request import to_converse_request
from gateway.translate.responses_input import Stored
from gateway.translate.responses_request import validate_responses_request
from gateway.translate.responses_response import ResponseShape, to_response

CLAUDE = ModelSpec(
    name="claude",
    base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
    sampling="one",
    reasoning="budget",
    max_output_tokens=64000,
)
EARLIER = (
    {"type": "message", "role": "user", "content": "My name is Ada."},
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Hello Ada.", "annotations": [], "logprobs": []}],
    },
)


def texts(kwargs: dict) -> list[list[str]]:
    return [[block["text"] for block in message["content"] if "text" in block] for message in kwargs["messages"]]


def converse(body: dict, stored: Stored) -> dict:
    ask = validate_responses_request({"model": "claude", **body}, stored=stored)
    return to_converse_request(ask.chat, CLAUDE).kwargs


def error_of(body: dict, stored: Stored = Stored(resolve=lambda ids: {})) -> ApiError:
    with pytest.raises(ApiError) as caught:
        converse(body, stored)
    return caught.value


# ---- the request's state fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, param",
    [
        ({"input": "hi", "previous_response_id": "msg_1"}, "previous_response_id"),
        ({"input": "hi", "previous_response_id": "resp_../etc"}, "previous_response_id"),
        ({"input": "hi", "conversation": {"id": 3}}, "conversation.id"),
        ({"input": "hi", "conversation": {"id": "conv_1", "x": 1}}, "conversation.x"),
        ({"input": "hi", "previous_response_id": "resp_1", "conversation": "conv_1"}, "previous_response_id"),
        ({"input": "hi", "store": "yes"}, "store"),
    ],
)
def test_malformed_state_fields_are_a_400_naming_them(body, param):
    error = error_of(body)
    assert isinstance(error, InvalidRequest) and error.param == param


def test_earlier_items_come_before_the_input_and_instructions_stay_the_requests_own():
    kwargs = converse(
        {"input": "What is my name?", "instructions": "Be brief.", "previous_response_id": "resp_1"},
        Stored(prior=EARLIER, resolve=lambda ids: {}),
    )
    assert texts(kwargs) == [["My name is Ada."], ["Hello Ada."], ["What is my name?"]]
    assert kwargs["system"] == [{"text": "Be brief."}]


def test_an_item_reference_becomes_the_stored_item_and_a_missing_one_is_a_404_naming_it():
    stored = Stored(resolve=lambda ids: {"msg_1": EARLIER[1]} if "msg_1" in ids else {})
    kwargs = converse(
        {"input": [EARLIER[0], {"type": "item_reference", "id": "msg_1"}, {"role": "user", "content": "Again?"}]},
        stored,
    )
    assert texts(kwargs) == [["My name is Ada."], ["Hello Ada."], ["Again?"]]
    error = error_of({"input": [EARLIER[0], {"type": "item_reference", "id": "msg_2"}]}, stored)
    assert isinstance(error, NotFound) and error.param == "input[1].id" and "msg_2" in error.message


def test_an_error_in_an_earlier_item_names_the_field_that_brought_it():
    broken = ({"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{nope"},)
    error = error_of({"input": "hi", "previous_response_id": "resp_1"}, Stored(prior=broken, resolve=dict))
    assert error.param == "previous_response_id.arguments"


def test_the_request_keeps_its_own_items_with_references_resolved():
    ask = validate_responses_request(
        {"input": [{"type": "item_reference", "id": "msg_1"}], "store": False},
        stored=Stored(resolve=lambda ids: {"msg_1": EARLIER[1]}),
    )
    assert ask.input_items == (EARLIER[1],) and ask.store is False


# ---- ids and lists ------------------------------------------------------------------------------------


def test_output_and_input_item_ids_carry_their_responses_key():
    response_id = "resp_" + "ab" * 16
    ask = validate_responses_request({"model": "claude", "input": "hi"})
    shape = ResponseShape(
        response_id=response_id, created_at=1, model="claude", ask=ask, call=to_converse_request(ask.chat, CLAUDE)
    )
    body = to_response({"output": {"message": {"content": [{"text": "Hi"}]}}, "stopReason": "end_turn"}, shape).body
    inputs = with_ids(
        [{"role": "user", "content": "hi"}, {"type": "message", "id": "msg_x", "role": "user", "content": []}],
        response_id,
    )
    assert key_of(body["output"][0]["id"]) == key_of(response_id) == key_of(inputs[0]["id"])
    assert inputs[0]["content"] == [{"type": "input_text", "text": "hi"}] and inputs[1]["id"] == "msg_x"
    assert len({body["output"][0]["id"], inputs[0]["id"]}) == 2


def test_lists_page_as_openai_does():
    items = [{"id": f"i{n}"} for n in range(5)]
    newest = page(items, QueryDict("limit=2"))
    assert ([i["id"] for i in newest["data"]], newest["first_id"], newest["last_id"], newest["has_more"]) == (
        ["i4", "i3"],
        "i4",
        "i3",
        True,
    )
    rest = page(items, QueryDict("order=asc&after=i2"))
    assert [i["id"] for i in rest["data"]] == ["i3", "i4"] and rest["has_more"] is False
    for query, param in (("limit=0", "limit"), ("limit=x", "limit"), ("order=up", "order"), ("after=zz", "after")):
        with pytest.raises(InvalidRequest) as caught:
            page(items, QueryDict(query))
        assert caught.value.param == param


def test_signed_thinking_is_kept_but_shown_only_to_whom_asked():
    body = {"output": [{"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "sbc-reasoning-v1:x"}]}
    assert "encrypted_content" not in body_for_client(body, encrypted=False)["output"][0]
    assert body_for_client(body, encrypted=True)["output"][0]["encrypted_content"]


# ---- the store ----------------------------------------------------------------------------------------


def keep(identity, response_id: str, text: str, state=None) -> None:
    state = state or state_for(identity.pk)
    body = {
        "id": response_id,
        "status": "completed",
        "output": [{"id": f"msg_{key_of(response_id)}0000", "type": "message", "role": "assistant", "content": []}],
    }
    assert Keeper(identity_id=identity.pk, state=state, input_items=({"role": "user", "content": text},)).keep(body)


@pytest.fixture
def people(db):
    from tokens.models import Identity

    return Identity.objects.create(name="ada@test"), Identity.objects.create(name="eve@test")


def test_a_chain_is_continued_only_by_its_own_identity(people):
    ada, eve = people
    first, second = "resp_" + "1" * 32, "resp_" + "2" * 32
    keep(ada, first, "one")
    keep(ada, second, "two", state_for(ada.pk, previous_response_id=first))
    state = state_for(ada.pk, previous_response_id=second)
    assert [item["content"][0]["text"] for item in state.stored.prior if item["role"] == "user"] == ["one", "two"]
    assert state.chain == [first, second]
    with pytest.raises(NotFound) as caught:
        state_for(eve.pk, previous_response_id=second)
    assert caught.value.param == "previous_response_id"
    assert state_for(eve.pk).stored.resolve([f"msg_{'1' * 32}0000"]) == {}
    assert list(state_for(ada.pk).stored.resolve([f"msg_{'1' * 32}0000"])) == [f"msg_{'1' * 32}0000"]


def test_a_gap_in_a_chain_is_a_404_and_the_purge_deletes_only_what_expired(people):
    from gateway.models import StoredResponse

    ada, _ = people
    first, second = "resp_" + "3" * 32, "resp_" + "4" * 32
    keep(ada, first, "one")
    keep(ada, second, "two", state_for(ada.pk, previous_response_id=first))
    StoredResponse.objects.filter(pk=first).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotFound):
        response_get(ada.pk, first)
    with pytest.raises(NotFound):
        state_for(ada.pk, previous_response_id=second)
    assert purge_expired() == (1, 0)
    assert list(StoredResponse.objects.values_list("pk", flat=True)) == [second]


def test_with_retention_zero_nothing_is_kept_and_state_fields_are_refused(people, settings):
    ada, _ = people
    settings.RESPONSES_RETENTION_DAYS = 0
    with pytest.raises(InvalidRequest) as caught:
        state_for(ada.pk, conversation_id="conv_1")
    assert caught.value.param == "conversation"
    body = {"id": "resp_" + "5" * 32, "status": "completed", "output": []}
    assert Keeper(identity_id=ada.pk, state=state_for(ada.pk), input_items=()).keep(body) is False
