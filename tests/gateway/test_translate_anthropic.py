"""Anthropic Messages bodies made fit for Bedrock's InvokeModel, checked against the emulator's Bedrock rules.

Every adapted body below also passes `validate_claude`, the emulator's copy of what Bedrock refuses, so a
translation Bedrock would reject fails here before it fails for a user.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_emulator.catalog import resolve_chat
from bedrock_emulator.errors import BedrockError
from bedrock_emulator.validation import validate_claude
from core.errors import InvalidRequest
from gateway.compat import messages as policy
from gateway.registry import ModelSpec
from gateway.translate.anthropic_request import ADAPTED_FIELDS, BEDROCK_FIELDS, KNOWN_DROPPED, to_messages_request
from gateway.translate.anthropic_request.turns import MARK

SONNET_4 = ModelSpec(
    name="claude-4-sonnet",
    base_model_id="anthropic.claude-sonnet-4-20250514-v1:0",
    profile="required",
    reasoning="budget",
    prompt_caching=True,
)
SONNET_45 = ModelSpec(
    name="claude-sonnet-4.5",
    base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
    profile="required",
    reasoning="budget",
    prompt_caching=True,
)
SONNET_46 = ModelSpec(
    name="claude-sonnet-4.6",
    base_model_id="anthropic.claude-sonnet-4-6",
    profile="required",
    reasoning="adaptive",
    prompt_caching=True,
)
HAIKU_35 = ModelSpec(
    name="claude-3.5-haiku", base_model_id="anthropic.claude-3-5-haiku-20241022-v1:0", profile="required"
)
ENVIRONMENT = "# Environment\nPrimary working directory: /work"
TOOL = {
    "name": "Read",
    "description": "Read a file",
    "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}},
}


def translate(data: dict, spec: ModelSpec = SONNET_4, betas: str = ""):
    call = to_messages_request(
        {"model": spec.name, "max_tokens": 32000, **data}, resolve=lambda name, notes: spec, beta_header=betas
    )
    validate_claude(call.body, resolve_chat(spec.model_id_for("us-east-1")))  # Bedrock would take it
    return call


REMINDER = {"type": "text", "text": "<system-reminder>\nAttribution\n</system-reminder>"}
CACHE = {"type": "ephemeral"}


def claude_code_turns(*later: dict) -> list[dict]:
    """The opening Claude Code sends: a user turn, then a system entry carrying the session's environment
    (with the cache point while it is the last message, as plain text once the conversation goes on)."""
    entry = {
        "role": "system",
        "content": ENVIRONMENT if later else [{"type": "text", "text": ENVIRONMENT, "cache_control": CACHE}],
    }
    return [{"role": "user", "content": [REMINDER, {"type": "text", "text": "hello"}]}, entry, *later]


def test_a_trailing_system_entry_joins_the_user_turn_before_it_marked_and_cached():
    call = translate({"messages": claude_code_turns(), "system": "You are Claude Code."})
    assert call.body["messages"] == [
        {
            "role": "user",
            "content": [
                REMINDER,
                {"type": "text", "text": "hello"},
                {"type": "text", "text": MARK.format(ENVIRONMENT), "cache_control": CACHE},
            ],
        }
    ]
    assert call.body["system"] == "You are Claude Code."
    assert "messages.role:system" in call.dropped and "messages:merged" not in call.dropped


def test_the_next_turn_sends_the_same_prefix_so_the_cache_still_reads_it():
    first = translate({"messages": claude_code_turns()}).body["messages"]
    answer = {"role": "assistant", "content": [{"type": "text", "text": "Hi."}]}
    second = translate({"messages": claude_code_turns(answer, {"role": "user", "content": "again"})}).body["messages"]
    strip = [{k: v for k, v in block.items() if k != "cache_control"} for block in first[0]["content"]]
    assert second[0]["content"] == strip and second[1:] == [answer, {"role": "user", "content": "again"}]


def test_a_system_entry_before_tool_results_comes_after_them_in_that_user_turn():
    call_turn = {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": {}}]}
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}
    body = translate(
        {
            "tools": [TOOL],
            "messages": [
                {"role": "user", "content": "read it"},
                call_turn,
                {"role": "system", "content": "Be brief."},
                result,
            ],
        }
    ).body
    assert body["messages"][2]["content"] == [result["content"][0], {"type": "text", "text": MARK.format("Be brief.")}]


def test_a_system_entry_between_assistant_turns_becomes_a_user_turn_of_its_own():
    body = translate(
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "system", "content": "note"},
                {"role": "assistant", "content": "c"},
                {"role": "user", "content": "d"},
            ]
        }
    ).body
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert body["messages"][2]["content"] == [{"type": "text", "text": MARK.format("note")}]


def test_the_clients_own_consecutive_turns_are_merged_and_named():
    call = translate({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]})
    assert call.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]
    assert "messages:merged" in call.dropped


def blocks(turn: dict) -> list[dict]:
    content = turn["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


@given(st.lists(st.sampled_from(["user", "assistant", "system"]), min_size=1, max_size=8))
def test_any_order_of_roles_reaches_bedrock_alternating_and_each_turn_keeps_its_prefix(roles):
    """Bedrock's checks pass (in `translate`), and what one request sent starts the next one's turns."""
    messages = [{"role": role, "content": f"{role} {index}"} for index, role in enumerate(["user", *roles])]
    for end in range(1, len(messages)):
        shorter = translate({"messages": messages[:end]}).body["messages"]
        longer = translate({"messages": messages[: end + 1]}).body["messages"]
        assert longer[: len(shorter) - 1] == shorter[:-1]
        assert blocks(longer[len(shorter) - 1])[: len(blocks(shorter[-1]))] == blocks(shorter[-1])


@pytest.mark.parametrize(
    "message, wanted",
    [
        ({"role": "tool", "content": "x"}, "messages.1.role must be `user`, `assistant` or `system`."),
        ({"role": "developer", "content": []}, "messages.1.role must be `user`, `assistant` or `system`."),
        (
            {"role": "system", "content": [{"type": "image", "source": {}}]},
            "messages.1.content.0: a `system` entry may carry text blocks only.",
        ),
    ],
)
def test_what_has_no_place_in_a_conversation_is_a_400_naming_it(message, wanted):
    with pytest.raises(InvalidRequest) as raised:
        translate({"messages": [{"role": "user", "content": "hi"}, message]})
    assert str(raised.value.message) == wanted


def test_a_blank_system_entry_is_left_out():
    call = translate({"messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "  "}]})
    assert call.body["messages"] == [{"role": "user", "content": "hi"}]


CLAUDE_CODE_THINKING = {"thinking": {"type": "adaptive", "display": "omitted"}, "output_config": {"effort": "high"}}


def test_adaptive_thinking_and_effort_reach_an_adaptive_model_as_sent():
    call = translate(
        {"messages": [{"role": "user", "content": "hi"}], **CLAUDE_CODE_THINKING}, SONNET_46, betas="effort-2025-11-24"
    )
    assert call.body["thinking"] == {"type": "adaptive", "display": "omitted"}
    assert call.body["output_config"] == {"effort": "high"} and call.body["anthropic_beta"] == ["effort-2025-11-24"]
    assert not call.dropped


@pytest.mark.parametrize(
    "effort, max_tokens, wanted",
    [
        ("high", 32000, {"type": "enabled", "budget_tokens": 16384}),
        ("low", 32000, {"type": "enabled", "budget_tokens": 1024}),
        (None, 8000, {"type": "enabled", "budget_tokens": 7999}),
        ("max", 2000, {"type": "enabled", "budget_tokens": 1999}),
        ("high", 1024, None),
    ],
)
def test_a_budget_model_thinks_on_a_budget_from_the_effort_below_max_tokens(effort, max_tokens, wanted):
    data = {
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": max_tokens,
        "thinking": {"type": "adaptive"},
        **({"output_config": {"effort": effort}} if effort else {}),
    }
    call = translate(data, SONNET_4, betas="effort-2025-11-24,interleaved-thinking-2025-05-14")
    assert call.body.get("thinking") == wanted and "output_config" not in call.body
    assert call.body["anthropic_beta"] == ["interleaved-thinking-2025-05-14"]
    assert "thinking.type:adaptive" in call.dropped and "beta:effort-2025-11-24" in call.dropped


def test_a_model_without_thinking_gets_neither_field():
    call = translate({"messages": [{"role": "user", "content": "hi"}], **CLAUDE_CODE_THINKING}, HAIKU_35)
    assert "thinking" not in call.body and "output_config" not in call.body
    assert {"thinking", "output_config.effort"} <= set(call.dropped)


def test_an_effort_bedrock_has_not_is_mapped_to_the_nearest_and_named():
    call = translate(
        {
            "messages": [{"role": "user", "content": "hi"}],
            "thinking": {"type": "adaptive"},
            "output_config": {"effort": "xhigh"},
        },
        SONNET_46,
    )
    assert call.body["output_config"] == {"effort": "high"} and "output_config.effort" in call.dropped


def test_structured_output_through_output_config_is_refused_rather_than_answered_in_free_text():
    with pytest.raises(InvalidRequest) as raised:
        translate(
            {
                "messages": [{"role": "user", "content": "hi"}],
                "output_config": {"format": {"type": "json_schema", "schema": {}}},
            },
            SONNET_46,
        )
    assert raised.value.param == "output_config.format"


def cached(text: str, ttl: str | None) -> dict:
    return {"type": "text", "text": text, "cache_control": {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}}


def test_an_hour_ttl_stays_where_bedrock_has_it_and_is_removed_elsewhere():
    data = {"system": [cached("long system", "1h")], "messages": [{"role": "user", "content": [cached("hi", "5m")]}]}
    assert translate(data, SONNET_45).body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    call = translate(data, SONNET_4)
    assert call.body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert call.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control.ttl" in call.dropped


def test_a_cache_scope_bedrock_does_not_know_is_removed_and_named():
    scoped = {"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "scope": "global"}}
    call = translate({"system": [scoped], "messages": [{"role": "user", "content": "hi"}]})
    assert call.body["system"][0]["cache_control"] == {"type": "ephemeral"} and "cache_control.scope" in call.dropped


def test_an_hour_ttl_after_a_five_minute_one_is_shortened_not_refused():
    data = {"system": [cached("long system", None)], "messages": [{"role": "user", "content": [cached("hi", "1h")]}]}
    call = translate(data, SONNET_45)
    assert call.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control.ttl" in call.dropped


def test_deferred_tools_and_tool_keys_bedrock_rejects_are_left_out_and_named():
    tools = [
        {**TOOL, "eager_input_streaming": True},
        {**TOOL, "name": "DeferredToolPlaceholder", "defer_loading": True},
        {"type": "web_search_20250305", "name": "web_search"},
    ]
    call = translate({"tools": tools, "messages": [{"role": "user", "content": "hi"}]})
    assert call.body["tools"] == [TOOL]
    assert {"tools.eager_input_streaming", "tools.defer_loading", "tool:web_search"} <= set(call.dropped)


def test_fields_bedrock_rejects_are_left_out_and_the_user_id_kept_for_the_record():
    call = translate(
        {
            "messages": [{"role": "user", "content": "hi"}],
            "metadata": {"user_id": "u-1"},
            "context_management": {"edits": []},
            "brand_new": 1,
        },
        betas="claude-code-20250219,prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07",
    )
    assert call.user_id == "u-1"
    assert call.dropped == (
        "context_management",
        "unknown:brand_new",
        "beta:claude-code-20250219",
        "beta:prompt-caching-scope-2026-01-05",
        "beta:mid-conversation-system-2026-04-07",
    )
    assert "anthropic_beta" not in call.body


def test_every_field_the_translation_knows_has_a_row_in_the_policy_table():
    rows = {part.split()[0].split(".")[0].split("[")[0] for p in policy.TABLE for part in p.name.split(" / ")}
    assert set(BEDROCK_FIELDS + ADAPTED_FIELDS + KNOWN_DROPPED + ("metadata",)) - rows == set()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda b: b["messages"].append({"role": "system", "content": "x"}), "role: system is not a valid enum value"),
        (lambda b: b["messages"].append({"role": "user", "content": "x"}), "roles must alternate"),
        (lambda b: b["messages"].insert(0, {"role": "assistant", "content": "x"}), 'first message must use the "user"'),
        (lambda b: b["messages"][0].update(content=[{"type": "text", "text": " "}]), "non-whitespace text"),
        (lambda b: b.update(context_management={}), "extraneous key [context_management] is not permitted"),
        (lambda b: b.update(output_config={"effort": "high"}), "extraneous key [output_config] is not permitted"),
        (lambda b: b.update(anthropic_beta=["claude-code-20250219"]), "invalid beta flag"),
        (lambda b: b.update(tools=[{**TOOL, "eager_input_streaming": True}]), "extraneous key [eager_input_streaming]"),
        (lambda b: b.update(system=[cached("s", "1h")]), "1h cache TTL is not supported"),
        (
            lambda b: b.update(
                system=[{"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "scope": "x"}}]
            ),
            "extraneous key [scope]",
        ),
    ],
)
def test_the_emulator_refuses_what_bedrock_refuses_in_a_claude_body(change, message):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
    }
    change(body)
    with pytest.raises(BedrockError) as raised:
        validate_claude(body, resolve_chat("us.anthropic.claude-sonnet-4-20250514-v1:0"))
    assert raised.value.name == "ValidationException" and message in raised.value.message


def test_the_emulator_refuses_an_hour_ttl_after_a_five_minute_one():
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "system": [cached("s", None)],
        "messages": [{"role": "user", "content": [cached("hi", "1h")]}],
    }
    with pytest.raises(BedrockError) as raised:
        validate_claude(body, resolve_chat("us.anthropic.claude-sonnet-4-5-20250929-v1:0"))
    assert "must not come after" in raised.value.message
