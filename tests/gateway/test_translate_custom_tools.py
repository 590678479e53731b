"""Custom (freeform) tools on chat completions, as the Copilot CLI declares `apply_patch` for GPT model names:
the model gets a function with one string parameter, the client gets OpenAI's custom tool calls back."""

from __future__ import annotations

import json

from gateway.translate.chat_request import to_converse_request, validate_chat_request
from gateway.translate.chat_response import to_chat_completion
from gateway.translate.chat_stream import ChatStreamTranslator
from tests.gateway.chat_requests import CLAUDE, WEATHER, assistant, body, tool, user

GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF'
APPLY_PATCH = {
    "type": "custom",
    "custom": {
        "name": "apply_patch",
        "description": "Edit files with a patch.",
        "format": {"type": "grammar", "syntax": "lark", "definition": GRAMMAR},
    },
}
PATCH = "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 2\n*** End Patch"


def call_for(request: dict):
    return to_converse_request(validate_chat_request(request), CLAUDE)


def test_a_custom_tool_reaches_bedrock_as_a_function_with_one_string_carrying_its_grammar():
    call = call_for(body(tools=[WEATHER, APPLY_PATCH]))
    specs = {t["toolSpec"]["name"]: t["toolSpec"] for t in call.kwargs["toolConfig"]["tools"]}
    schema = specs["apply_patch"]["inputSchema"]["json"]
    assert schema["required"] == ["input"] and schema["properties"]["input"]["type"] == "string"
    assert GRAMMAR in schema["properties"]["input"]["description"]
    assert specs["apply_patch"]["description"] == "Edit files with a patch."
    assert list(call.adaptations) == ["tool:custom"] and call.custom_tools == {"apply_patch"}


def test_a_tool_choice_naming_a_custom_tool_forces_its_function():
    call = call_for(body(tools=[APPLY_PATCH], tool_choice={"type": "custom", "custom": {"name": "apply_patch"}}))
    assert call.kwargs["toolConfig"]["toolChoice"] == {"tool": {"name": "apply_patch"}}


def test_the_models_call_comes_back_as_a_custom_tool_call_with_the_text():
    response = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"text": "Patching."},
                    {"toolUse": {"toolUseId": "t1", "name": "apply_patch", "input": {"input": PATCH}}},
                    {"toolUse": {"toolUseId": "t2", "name": "get_weather", "input": {"city": "Paris"}}},
                ],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12},
    }
    message = to_chat_completion(
        response, completion_id="c", created=1, model="gpt-4o", tool_names={}, custom_tools=frozenset({"apply_patch"})
    )["choices"][0]["message"]
    assert message["tool_calls"][0] == {"id": "t1", "type": "custom", "custom": {"name": "apply_patch", "input": PATCH}}
    assert message["tool_calls"][1]["type"] == "function"


def test_a_streamed_custom_call_arrives_whole_in_one_chunk_at_its_index():
    translator = ChatStreamTranslator(
        completion_id="c",
        created=1,
        model="gpt-4o",
        include_usage=False,
        tool_names={},
        custom_tools=frozenset({"apply_patch"}),
    )
    arguments = json.dumps({"input": PATCH})
    events = [
        {"messageStart": {"role": "assistant"}},
        {
            "contentBlockStart": {
                "contentBlockIndex": 0,
                "start": {"toolUse": {"toolUseId": "t1", "name": "get_weather"}},
            }
        },
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"city": "Paris"}'}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {
            "contentBlockStart": {
                "contentBlockIndex": 1,
                "start": {"toolUse": {"toolUseId": "t2", "name": "apply_patch"}},
            }
        },
        *[
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": arguments[i : i + 7]}}}}
            for i in range(0, len(arguments), 7)
        ],
        {"contentBlockStop": {"contentBlockIndex": 1}},
        {"messageStop": {"stopReason": "tool_use"}},
    ]
    chunks = [chunk for event in events for chunk in translator.feed(event)]
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if c["choices"][0]["delta"].get("tool_calls")]
    custom = [c for c in calls if c.get("type") == "custom"]
    assert custom == [{"index": 1, "id": "t2", "type": "custom", "custom": {"name": "apply_patch", "input": PATCH}}]
    assert not [c for c in calls if c["index"] == 1 and c.get("type") != "custom"]


def test_a_custom_call_in_the_history_goes_back_to_bedrock_as_its_functions_call():
    earlier = {"id": "call_1", "type": "custom", "custom": {"name": "apply_patch", "input": PATCH}}
    kwargs = call_for(
        body(user("fix it"), assistant(None, earlier), tool("call_1", "Done"), tools=[APPLY_PATCH])
    ).kwargs
    tool_use = next(b["toolUse"] for m in kwargs["messages"] for b in m["content"] if "toolUse" in b)
    assert tool_use["name"] == "apply_patch" and tool_use["input"] == {"input": PATCH}
