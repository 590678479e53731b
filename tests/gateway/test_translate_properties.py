"""Properties of the translation over generated conversations: what Bedrock demands always holds."""

from __future__ import annotations

import base64
import json

from botocore.session import Session
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InvalidRequest
from gateway.registry import ModelSpec
from gateway.translate.chat_request import FIELD_RULES, to_converse_request, validate_chat_request
from gateway.translate.chat_response import to_chat_completion
from gateway.translate.chat_stream import ChatStreamTranslator
from gateway.translate.messages import LEADING_USER_TEXT
from gateway.translate.tool_names import TOOL_ID_RE, TOOL_NAME_RE, bedrock_tool_id, bedrock_tool_name

SPECS = [
    ModelSpec(name="claude", base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0", sampling="one"),
    ModelSpec(name="nova", base_model_id="amazon.nova-pro-v1:0"),
    ModelSpec(
        name="llama",
        base_model_id="meta.llama3-3-70b-instruct-v1:0",
        supports_images=False,
        supports_tools=False,
        sampling="none",
        max_output_tokens=0,
    ),
]
CONVERSE_INPUT = Session().get_service_model("bedrock-runtime").operation_model("Converse").input_shape
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.text(max_size=12) | st.sampled_from(["", " ", "\n\t", "hello", "ok"])
tool_names = st.text(min_size=1, max_size=80) | st.sampled_from(["get_weather", "github.create_issue", "a/b"])
images = st.sampled_from(["png", "jpeg", "jpg", "gif", "webp"]).map(
    lambda fmt: {
        "type": "image_url",
        "image_url": {"url": f"data:image/{fmt};base64," + base64.b64encode(b"img").decode()},
    }
)


def content(parts: st.SearchStrategy) -> st.SearchStrategy:
    return texts | st.lists(parts, max_size=3)


text_parts = texts.map(lambda t: {"type": "text", "text": t})
user_messages = content(text_parts | images).map(lambda c: {"role": "user", "content": c})
system_messages = st.builds(
    lambda role, c: {"role": role, "content": c}, st.sampled_from(["system", "developer"]), content(text_parts)
)


@st.composite
def tool_exchange(draw, counter: list[int]) -> list[dict]:
    """An assistant turn calling tools, then every result (in any order), maybe with user text mixed in."""
    calls = []
    for _ in range(draw(st.integers(1, 3))):
        counter[0] += 1
        call_id = draw(st.text(min_size=1, max_size=70)) + f"#{counter[0]}"  # unique, often invalid for Bedrock
        arguments = draw(st.sampled_from(["", "{}", '{"a": 1}', '{"path": "x y"}']))
        calls.append(
            {"id": call_id, "type": "function", "function": {"name": draw(tool_names), "arguments": arguments}}
        )
    turn = [{"role": "assistant", "content": draw(st.none() | texts), "tool_calls": calls}]
    results = [
        {"role": "tool", "tool_call_id": c["id"], "content": draw(content(text_parts))}
        for c in draw(st.permutations(calls))
    ]
    extras = draw(st.lists(user_messages | system_messages, max_size=2))
    position = draw(st.integers(0, len(results)))
    return turn + results[:position] + extras + results[position:]


@st.composite
def conversations(draw) -> list[dict]:
    counter = [0]
    plain = user_messages | system_messages | texts.map(lambda t: {"role": "assistant", "content": t})
    chunks = draw(st.lists(plain.map(lambda m: [m]) | tool_exchange(counter), min_size=1, max_size=8))
    messages = [message for chunk in chunks for message in chunk]
    return messages + [{"role": "user", "content": draw(st.sampled_from(["go on", "thanks"]))}]


def text_blocks(turns: list[dict]) -> list[str]:
    return [block["text"] for turn in turns for block in turn["content"] if "text" in block]


def client_texts(messages: list[dict]) -> list[str]:
    found = []
    for message in messages:
        if message["role"] not in ("user", "assistant"):
            continue
        value = message["content"]
        parts = [value] if isinstance(value, str) else [p["text"] for p in value or [] if p.get("type") == "text"]
        found.extend(part for part in parts if part.strip())
    return found


def assert_bedrock_accepts(kwargs: dict) -> None:
    turns = kwargs["messages"]
    assert turns[0]["role"] == "user"
    assert all(a["role"] != b["role"] for a, b in zip(turns, turns[1:]))
    assert all(turn["content"] for turn in turns)
    assert all(text.strip() for text in text_blocks(turns) + [b["text"] for b in kwargs.get("system", [])])
    uses = [b["toolUse"] for turn in turns for b in turn["content"] if "toolUse" in b]
    results = [b["toolResult"] for turn in turns for b in turn["content"] if "toolResult" in b]
    assert all(TOOL_ID_RE.fullmatch(x["toolUseId"]) for x in uses + results)
    assert all(TOOL_NAME_RE.fullmatch(x["name"]) for x in uses)
    assert all(text["text"].strip() for x in results for text in x["content"])
    if uses or results:
        assert kwargs["toolConfig"]["tools"]
    for spec in kwargs.get("toolConfig", {}).get("tools", []):
        assert TOOL_NAME_RE.fullmatch(spec["toolSpec"]["name"])
    report = ParamValidator().validate({"modelId": "m", **kwargs}, CONVERSE_INPUT)
    assert not report.has_errors(), report.generate_report()


@PROPERTY_SETTINGS
@given(messages=conversations(), spec=st.sampled_from(SPECS[:2]))
def test_it_always_produces_a_conversation_bedrock_accepts(messages, spec):
    kwargs = to_converse_request(validate_chat_request({"model": "m", "messages": messages}), spec).kwargs
    assert_bedrock_accepts(kwargs)


@PROPERTY_SETTINGS
@given(messages=conversations())
def test_it_pairs_every_tool_result_with_a_call_of_the_previous_assistant_turn(messages):
    turns = to_converse_request(validate_chat_request({"messages": messages}), SPECS[0]).kwargs["messages"]
    for previous, turn in zip(turns, turns[1:]):
        called = {b["toolUse"]["toolUseId"] for b in previous["content"] if "toolUse" in b}
        answered = [b["toolResult"]["toolUseId"] for b in turn["content"] if "toolResult" in b]
        if turn["role"] == "user":
            assert sorted(answered) == sorted(called)
            assert [next(iter(b)) for b in turn["content"]][: len(answered)] == ["toolResult"] * len(answered)


@PROPERTY_SETTINGS
@given(messages=conversations())
def test_it_keeps_every_non_blank_text_in_order(messages):
    turns = to_converse_request(validate_chat_request({"messages": messages}), SPECS[1]).kwargs["messages"]
    sent = text_blocks(turns)
    if sent[:1] == [LEADING_USER_TEXT] and client_texts(messages)[:1] != [LEADING_USER_TEXT]:
        sent = sent[1:]
    assert sent == client_texts(messages)


@PROPERTY_SETTINGS
@given(
    messages=conversations(),
    tools=st.lists(tool_names, max_size=3, unique=True),
    choice=st.sampled_from([None, "auto", "none", "required"]),
)
def test_it_restores_every_client_tool_name(messages, tools, choice):
    request = {
        "messages": messages,
        "tools": [{"type": "function", "function": {"name": n}} for n in tools] or None,
        "tool_choice": choice if tools else None,
    }
    converse_call = to_converse_request(validate_chat_request(request), SPECS[0])
    assert_bedrock_accepts(converse_call.kwargs)
    for spec in converse_call.kwargs.get("toolConfig", {}).get("tools", []):
        name = spec["toolSpec"]["name"]
        assert converse_call.tool_names.get(name, name) in tools or choice == "none" or not tools


@PROPERTY_SETTINGS
@given(a=st.text(min_size=1, max_size=100), b=st.text(min_size=1, max_size=100))
def test_it_rewrites_names_and_ids_into_bedrocks_alphabet_without_collisions(a, b):
    for rewrite, pattern in ((bedrock_tool_name, TOOL_NAME_RE), (bedrock_tool_id, TOOL_ID_RE)):
        assert pattern.fullmatch(rewrite(a)) and rewrite(a) == rewrite(a)
        if a != b:
            assert rewrite(a) != rewrite(b)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 70_000) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
loose_parts = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image_url", "refusal", "file", "x"])},
    optional={"text": json_values, "image_url": json_values, "refusal": json_values},
)
loose_messages = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", 3])},
    optional={
        "content": json_values | st.lists(loose_parts | json_values, max_size=3),
        "tool_calls": json_values
        | st.lists(
            st.fixed_dictionaries(
                {
                    "id": json_values | st.text(max_size=70),
                    "type": json_values | st.just("function"),
                    "function": json_values
                    | st.fixed_dictionaries(
                        {"name": json_values | st.text(max_size=70), "arguments": json_values | st.text(max_size=20)}
                    ),
                }
            ),
            max_size=2,
        ),
        "tool_call_id": json_values | st.text(max_size=70),
        "refusal": json_values,
    },
)
loose_bodies = st.fixed_dictionaries(
    {"messages": st.lists(loose_messages | json_values, max_size=5) | json_values},
    optional={name: json_values for name in FIELD_RULES if name != "messages"} | {"unknown_field": json_values},
)

PLAUSIBLE = {
    "max_tokens": st.integers(1, 70_000),
    "temperature": st.floats(0, 2),
    "top_p": st.floats(0, 1),
    "stop": st.lists(st.text(min_size=1, max_size=3), max_size=4),
    "stream": st.booleans(),
    "tools": st.lists(tool_names, max_size=2, unique=True).map(
        lambda names: [{"type": "function", "function": {"name": n}} for n in names]
    ),
    "tool_choice": st.sampled_from(["auto", "none", "required"]),
    "parallel_tool_calls": st.booleans(),
    "seed": st.integers(),
    "user": st.text(max_size=5),
    "n": st.just(1),
}
mixed_bodies = st.fixed_dictionaries(
    {"messages": conversations()},
    optional={name: json_values | PLAUSIBLE.get(name, st.nothing()) for name in FIELD_RULES if name != "messages"},
)


@PROPERTY_SETTINGS
@given(body=loose_bodies | mixed_bodies | json_values, spec=st.sampled_from(SPECS))
def test_it_raises_nothing_but_invalid_request_for_arbitrary_input(body, spec):
    try:
        kwargs = to_converse_request(validate_chat_request(body), spec).kwargs
    except InvalidRequest as error:
        assert error.status == 400 and error.message
        return
    assert_bedrock_accepts(kwargs)


stream_blocks = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3)),
        st.tuples(st.just("reasoning"), st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3)),
        st.tuples(st.just("tool"), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)),
    ),
    max_size=5,
)


def events_and_response(blocks: list) -> tuple[list[dict], dict]:
    events, content = [{"messageStart": {"role": "assistant"}}], []
    for index, (kind, value) in enumerate(blocks):
        if kind == "tool":
            tool_id, arguments = f"tooluse_{index}", json.dumps(value)
            events.append(
                {
                    "contentBlockStart": {
                        "contentBlockIndex": index,
                        "start": {"toolUse": {"toolUseId": tool_id, "name": "t_x"}},
                    }
                }
            )
            pieces = [arguments[i : i + 4] for i in range(0, len(arguments), 4)] if value else []
            events += [
                {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"toolUse": {"input": p}}}} for p in pieces
            ]
            content.append({"toolUse": {"toolUseId": tool_id, "name": "t_x", "input": value}})
        else:
            key = "text" if kind == "text" else "reasoningContent"
            events += [
                {
                    "contentBlockDelta": {
                        "contentBlockIndex": index,
                        "delta": {key: v if kind == "text" else {"text": v}},
                    }
                }
                for v in value
            ]
            content.append(
                {"text": "".join(value)}
                if kind == "text"
                else {"reasoningContent": {"reasoningText": {"text": "".join(value)}}}
            )
        events.append({"contentBlockStop": {"contentBlockIndex": index}})
    stop = "tool_use" if any(kind == "tool" for kind, _ in blocks) else "end_turn"
    events += [{"messageStop": {"stopReason": stop}}, {"metadata": {"usage": {"inputTokens": 3, "outputTokens": 4}}}]
    return events, {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": 3, "outputTokens": 4},
    }


@PROPERTY_SETTINGS
@given(blocks=stream_blocks)
def test_it_streams_the_same_message_it_would_return_whole(blocks):
    events, response = events_and_response(blocks)
    names = {"t_x": "t.x"}
    stream = ChatStreamTranslator(completion_id="c", created=1, model="m", include_usage=True, tool_names=names)
    chunks = [stream.first_chunk()] + [c for e in events for c in stream.feed(e)] + stream.final_chunks()
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    calls: dict[int, dict] = {}
    for delta in deltas:
        for call in delta.get("tool_calls", []):
            entry = calls.setdefault(
                call["index"], {"id": call.get("id"), "name": call.get("function", {}).get("name"), "arguments": ""}
            )
            entry["arguments"] += call["function"]["arguments"]
    whole = to_chat_completion(response, completion_id="c", created=1, model="m", tool_names=names)
    message = whole["choices"][0]["message"]
    assert "".join(d.get("content", "") for d in deltas) == (message["content"] or "")
    assert "".join(d.get("reasoning_content", "") for d in deltas) == message.get("reasoning_content", "")
    assert sorted(calls) == list(range(len(calls)))
    assert [(c["id"], c["name"], json.loads(c["arguments"] or "{}")) for c in calls.values()] == [
        (t["id"], t["function"]["name"], json.loads(t["function"]["arguments"])) for t in message.get("tool_calls", [])
    ]
    assert stream.finish_reason == whole["choices"][0]["finish_reason"]
    assert chunks[-1]["usage"] == whole["usage"]
