"""End to end: one multi-round tool loop through every agent API the gateway serves, each client set up exactly as
the README's snippet says, with reasoning on. The model first calls a parallel pair (weather and time), then,
after a thinking block, one more tool (news), and then answers from the last result. Whatever the client, the
loop ends on the right answer and Bedrock sees the whole conversation on the last turn: the task, both rounds of
calls each after its signed thinking, and every result.

Chat Completions and the Responses API run through the OpenAI Python SDK (the Responses API both ways a client
carries a conversation: sending it all again, and `previous_response_id`), and through the OpenAI Agents SDK;
Anthropic Messages through the Anthropic Python SDK's `tool_runner()`, threaded (its default) and not; streamed
too, through each SDK's own stream helper, wherever the SDK has one the loop can use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import anthropic
import pytest
from anthropic import beta_tool

from gateway.compat.clients import client

pytestmark = pytest.mark.e2e

MODEL = "claude-4-sonnet"
TASK = (
    "Use get_weather city=Lisbon and get_time city=Lisbon together, then get_news city=Lisbon, "
    "and report. [[sbc:in-turn=2,1]]"
)
RESULTS = {"get_weather": "21C and sunny", "get_time": "14:05", "get_news": "Tram 28 runs again"}
ANSWER = "The tool returned: Tram 28 runs again"
# What the model did, round by round: a parallel pair, then one call alone.
ROUNDS = [["get_weather", "get_time"], ["get_news"]]


def run_tool(name: str, arguments: dict, calls: list[str]) -> str:
    """The application's side of a tool call: it records the call and answers with the tool's fixed result."""
    calls.append(f"{name}:{arguments['city']}")
    return RESULTS[name]


EXECUTED = ["get_weather:Lisbon", "get_time:Lisbon", "get_news:Lisbon"]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
DESCRIPTIONS = {"get_weather": "Current weather for a city.", "get_time": "Local time.", "get_news": "Headlines."}


# ---- what Bedrock received ---------------------------------------------------------------------------------


def model_calls(emulator_log) -> list[dict]:
    calls = [entry for entry in emulator_log() if entry["operation"].startswith(("converse", "invoke"))]
    assert all(entry["status"] == 200 for entry in calls), [(e["operation"], e["status"]) for e in calls]
    return calls


def _result_text(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(str(item.get("text", item.get("json", ""))) for item in content or [])


def _kind(block: dict) -> str:
    """One block of a Converse or a Claude-native message, as `thinking`, `call:NAME`, `result:TEXT` or `text`."""
    if "reasoningContent" in block:
        return "thinking" if block["reasoningContent"]["reasoningText"].get("signature") else "unsigned thinking"
    if "toolUse" in block:
        return "call:" + block["toolUse"]["name"]
    if "toolResult" in block:
        return "result:" + _result_text(block["toolResult"].get("content"))
    kind = block.get("type", "text")
    if kind == "thinking":
        return "thinking" if block.get("signature") else "unsigned thinking"
    if kind == "tool_use":
        return "call:" + block["name"]
    if kind == "tool_result":
        return "result:" + _result_text(block.get("content"))
    return "text"


def conversation(body: dict) -> list[tuple[str, list[str]]]:
    """The request's messages as (role, block kinds), text blocks left out of the assistant's turns."""
    shapes = []
    for message in body["messages"]:
        content = message["content"]
        kinds = ["text"] if isinstance(content, str) else [_kind(block) for block in content]
        shapes.append((message["role"], kinds if message["role"] == "user" else [k for k in kinds if k != "text"]))
    return shapes


def thinking_on(body: dict) -> bool:
    thinking = body.get("thinking") or (body.get("additionalModelRequestFields") or {}).get("thinking") or {}
    return thinking.get("type") in ("enabled", "adaptive")


def assert_the_whole_loop_reached_bedrock(emulator_log) -> None:
    """Three model calls, thinking on for each, and the last one carrying the whole conversation."""
    calls = model_calls(emulator_log)
    assert len(calls) == 3, [entry["operation"] for entry in calls]
    print(
        "PROBE",
        [conversation(e["body"]) for e in calls],
        [e["body"].get("additionalModelRequestFields") for e in calls],
    )
    assert all(thinking_on(entry["body"]) for entry in calls), "thinking was turned off for a turn"
    last = conversation(calls[-1]["body"])
    assert last == [
        ("user", ["text"]),
        ("assistant", ["thinking", "call:get_weather", "call:get_time"]),
        ("user", ["result:21C and sunny", "result:14:05"]),
        ("assistant", ["thinking", "call:get_news"]),
        ("user", ["result:Tram 28 runs again"]),
    ], last
    assert TASK in json.dumps(calls[-1]["body"]["messages"][0]["content"])


# ---- Chat Completions: the OpenAI Python SDK --------------------------------------------------------------


def openai_client(gateway, key: str):
    snippet = client("python").text(root=gateway.url, key=key, model=MODEL)
    made: dict = {}
    exec(snippet[: snippet.index("\nreply = ")], made)  # the snippet's setup, before its own one-off call
    return made["client"]


CHAT_TOOLS = [
    {"type": "function", "function": {"name": name, "description": text, "parameters": SCHEMA}}
    for name, text in DESCRIPTIONS.items()
]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_chat_completions_loop(gateway, token, emulator_log, stream):
    """Streamed, through the SDK's own helper that puts the deltas together (`chat.completions.stream`)."""
    sdk = openai_client(gateway, token)
    messages: list = [{"role": "user", "content": TASK}]
    calls: list[str] = []
    rounds = []
    while True:
        options = dict(model=MODEL, messages=messages, tools=CHAT_TOOLS, reasoning_effort="low")
        if stream:
            with sdk.chat.completions.stream(**options) as events:
                reply = events.get_final_completion()
        else:
            reply = sdk.chat.completions.create(**options)
        message = reply.choices[0].message
        if reply.choices[0].finish_reason != "tool_calls":
            break
        assert (message.model_extra or {}).get("reasoning_content"), "each round shows its thinking"
        rounds.append([call.function.name for call in message.tool_calls])
        messages.append(message)  # the reply as the SDK returned it, signed thinking included
        for call in message.tool_calls:
            output = run_tool(call.function.name, json.loads(call.function.arguments), calls)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
    assert rounds == ROUNDS and calls == EXECUTED
    assert message.content.startswith(ANSWER)
    assert_the_whole_loop_reached_bedrock(emulator_log)


# ---- Responses API: the OpenAI Python SDK -----------------------------------------------------------------

RESPONSES_TOOLS = [
    {"type": "function", "name": name, "description": text, "parameters": SCHEMA} for name, text in DESCRIPTIONS.items()
]


def _outputs(response, calls: list[str]) -> list[dict]:
    return [
        {
            "type": "function_call_output",
            "call_id": item.call_id,
            "output": run_tool(item.name, json.loads(item.arguments), calls),
        }
        for item in response.output
        if item.type == "function_call"
    ]


def _round(response) -> list[str]:
    return [item.name for item in response.output if item.type == "function_call"]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_responses_loop_sending_the_conversation_again(gateway, token, emulator_log, stream):
    """As stateless clients (Codex) do: nothing stored, signed reasoning carried in `encrypted_content`."""
    sdk = openai_client(gateway, token)
    given: list = [{"role": "user", "content": TASK}]
    calls: list[str] = []
    rounds = []
    options = dict(
        tools=RESPONSES_TOOLS, reasoning={"effort": "low"}, store=False, include=["reasoning.encrypted_content"]
    )
    while True:
        if stream:
            with sdk.responses.stream(model=MODEL, input=given, **options) as events:
                response = events.get_final_response()
        else:
            response = sdk.responses.create(model=MODEL, input=given, **options)
        if not _round(response):
            break
        assert [item.type for item in response.output][0] == "reasoning"
        rounds.append(_round(response))
        given += [item.model_dump(exclude_none=True) for item in response.output] + _outputs(response, calls)
    assert rounds == ROUNDS and calls == EXECUTED
    assert response.output_text.startswith(ANSWER)
    assert_the_whole_loop_reached_bedrock(emulator_log)


def test_responses_loop_by_previous_response_id(gateway, token, emulator_log):
    """As stateful clients do: each turn sends only the tool results and names the response before."""
    sdk = openai_client(gateway, token)
    calls: list[str] = []
    rounds = []
    response = sdk.responses.create(model=MODEL, input=TASK, tools=RESPONSES_TOOLS, reasoning={"effort": "low"})
    while _round(response):
        rounds.append(_round(response))
        response = sdk.responses.create(
            model=MODEL,
            input=_outputs(response, calls),
            previous_response_id=response.id,
            tools=RESPONSES_TOOLS,
            reasoning={"effort": "low"},
        )
    assert rounds == ROUNDS and calls == EXECUTED
    assert response.output_text.startswith(ANSWER)
    assert_the_whole_loop_reached_bedrock(emulator_log)


# ---- Responses API: the OpenAI Agents SDK -----------------------------------------------------------------


@pytest.mark.parametrize(
    "include",
    [
        pytest.param([], id="defaults"),  # reasoning replayed by id alone: read back from the stored response
        pytest.param(["reasoning.encrypted_content"], id="encrypted"),
    ],
)
def test_openai_agents_sdk_loop(gateway, token, emulator_log, include):
    agents = pytest.importorskip("agents")
    from openai.types.shared import Reasoning

    calls: list[str] = []

    def tool(name: str) -> Callable:
        def call(city: str) -> str:
            return run_tool(name, {"city": city}, calls)

        return agents.function_tool(call, name_override=name, description_override=DESCRIPTIONS[name])

    async def main():
        snippet = client("openai-agents").text(root=gateway.url, key=token, model=MODEL)
        exec(snippet[: snippet.index("\nagent = ")], {})  # the snippet's setup, before its own one-off run
        agent = agents.Agent(
            name="Assistant",
            instructions="Be brief.",
            model=MODEL,
            tools=[tool(name) for name in DESCRIPTIONS],
            model_settings=agents.ModelSettings(reasoning=Reasoning(effort="low"), response_include=include or None),
        )
        return await agents.Runner.run(agent, TASK)

    result = asyncio.run(main())
    assert calls == EXECUTED
    assert result.final_output.startswith(ANSWER)
    assert "reasoning_item" in [item.type for item in result.new_items]
    assert_the_whole_loop_reached_bedrock(emulator_log)


# ---- Anthropic Messages: the Anthropic Python SDK's tool runner ------------------------------------------


def anthropic_tools(calls: list[str]) -> list:
    @beta_tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return run_tool("get_weather", {"city": city}, calls)

    @beta_tool
    def get_time(city: str) -> str:
        """Local time."""
        return run_tool("get_time", {"city": city}, calls)

    @beta_tool
    def get_news(city: str) -> str:
        """Headlines."""
        return run_tool("get_news", {"city": city}, calls)

    return [get_weather, get_time, get_news]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("threaded", [True, False], ids=["threaded", "unthreaded"])
def test_anthropic_tool_runner_loop(gateway, token, emulator_log, threaded, stream):
    snippet = client("anthropic-python").text(root=gateway.url, key=token, model=MODEL)
    made: dict = {}
    exec(snippet[: snippet.index("\nreply = ")], made)  # the snippet's setup, before its own one-off call
    sdk: anthropic.Anthropic = made["client"]
    calls: list[str] = []
    runner = sdk.beta.messages.tool_runner(
        model=MODEL,
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=anthropic_tools(calls),
        messages=[{"role": "user", "content": TASK}],
        stream=stream,
        **({} if threaded else {"thread": False}),
    )
    replies = [each.get_final_message() for each in runner] if stream else list(runner)
    rounds = [[block.name for block in reply.content if block.type == "tool_use"] for reply in replies]
    assert rounds == [*ROUNDS, []] and calls == EXECUTED
    assert all(reply.content[0].type == "thinking" for reply in replies)
    assert next(block.text for block in replies[-1].content if block.type == "text").startswith(ANSWER)
    assert_the_whole_loop_reached_bedrock(emulator_log)
