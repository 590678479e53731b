"""Compaction items: what the gateway packs, what it reads back, and where a request is cut to compact."""

from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from gateway.translate.compaction import compact_threshold, compacted, compaction_item, split_for_answer
from gateway.translate.responses_input import SUMMARY_INTRO, decode_compaction, encode_compaction
from gateway.translate.responses_request import validate_responses_request

USER = {"type": "message", "role": "user", "content": "hi"}
CALL = {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}
OUTPUT = {"type": "function_call_output", "call_id": "c", "output": "ok"}
ANSWER = {"type": "message", "role": "assistant", "content": "done"}


def test_a_summary_survives_the_round_trip_and_only_ours_is_read():
    assert decode_compaction(encode_compaction("We fixed app.py. ✓")) == "We fixed app.py. ✓"
    for foreign in ("gAAAAB-openai", "sbc-compaction-v1:not base64!", "sbc-compaction-v1:e30=", None):
        assert decode_compaction(foreign) is None


def test_a_compaction_item_comes_back_as_the_summary_in_a_user_turn():
    item = compaction_item("cmp_1", "Earlier: fixed the bug.")
    chat = validate_responses_request({"model": "m", "input": [USER, item, {"role": "user", "content": "next"}]}).chat
    assert chat.messages[1] == {"role": "user", "content": SUMMARY_INTRO + "Earlier: fixed the bug."}
    assert not chat.adaptations


def test_the_compacted_window_keeps_user_messages_in_order_then_the_item():
    item = compaction_item("cmp_1", "s")
    window = compacted([USER, CALL, OUTPUT, ANSWER, {"role": "user", "content": "again"}], item)
    assert window == [USER, {"type": "message", "role": "user", "content": "again"}, item]


def test_a_request_is_cut_before_its_last_user_message():
    split = split_for_answer([USER, CALL, OUTPUT, ANSWER, USER, CALL, OUTPUT])
    assert split.head == [USER, CALL, OUTPUT, ANSWER] and split.tail == [USER, CALL, OUTPUT]
    assert split_for_answer([USER, CALL, OUTPUT]) is None
    assert split_for_answer([compaction_item("cmp_1", "s"), USER]) is None


@pytest.mark.parametrize(
    "value, threshold", [([{"type": "compaction", "compact_threshold": 2000}], 2000), ([{"type": "compaction"}], None)]
)
def test_context_management_names_its_threshold(value, threshold):
    assert compact_threshold(value) == threshold


@pytest.mark.parametrize("value", [[], [{"type": "compaction", "compact_threshold": True}], "compaction"])
def test_bad_context_management_is_refused(value):
    with pytest.raises(InvalidRequest):
        compact_threshold(value)
