"""End to end: the OpenAI Agents SDK (Responses API, its default) against the gateway, set up exactly as the
README's snippet says (`set_default_openai_client(AsyncOpenAI(base_url, api_key))`, tracing off)."""

from __future__ import annotations

import asyncio

import pytest

agents = pytest.importorskip("agents")
from openai import AsyncOpenAI  # noqa: E402

from gateway.compat.clients import client  # noqa: E402

pytestmark = pytest.mark.e2e
MODEL = "claude-4-sonnet"
ASK = "What is the weather? Use get_weather city=Paris"


@agents.function_tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18C and sunny in {city}"


@pytest.fixture
def agent(gateway, token):
    """run(agent, turns) plays `turns(agent)` (a coroutine function) on one event loop, as an application would."""

    def play(turns, model: str = MODEL):
        async def main():
            snippet = client("openai-agents").text(root=gateway.url, key=token, model=model)
            exec(snippet[: snippet.index("\nagent = ")], {})  # the snippet's setup, before its own one-off run
            return await turns(
                agents.Agent(name="Assistant", instructions="Be brief.", model=model, tools=[get_weather])
            )

        return asyncio.run(main())

    return play


def run(agent, given, **options):
    return agents.Runner.run(agent, given, **options)


def tool_results(sent: dict) -> list[str]:
    return [
        block["toolResult"]["content"][0]["text"]
        for message in sent["messages"]
        for block in message["content"]
        if "toolResult" in block
    ]


def test_a_first_turn_with_a_function_tool_round_trip(agent, emulator_log):
    result = agent(lambda a: run(a, ASK))
    assert result.final_output == "The tool returned: 18C and sunny in Paris"
    kinds = [item.type for item in result.new_items]
    assert kinds[-3:] == ["tool_call_item", "tool_call_output_item", "message_output_item"]
    assert tool_results(emulator_log()[-1]["body"]) == ["18C and sunny in Paris"]


def test_a_second_turn_carries_the_first_by_sending_it_again(agent, emulator_log):
    async def turns(a):
        first = await run(a, ASK)
        return await run(a, first.to_input_list() + [{"role": "user", "content": "And tomorrow?"}])

    second = agent(turns)
    assert "synthetic answer" in second.final_output
    sent = emulator_log()[-1]["body"]
    assert tool_results(sent) == ["18C and sunny in Paris"]
    assert sent["messages"][-1]["content"][-1]["text"] == "And tomorrow?"


def test_a_second_turn_carries_the_first_by_previous_response_id(agent, emulator_log):
    async def turns(a):
        first = await run(a, ASK)
        return await run(a, "And tomorrow?", previous_response_id=first.last_response_id)

    second = agent(turns)
    assert "synthetic answer" in second.final_output
    sent = emulator_log()[-1]["body"]
    assert sent["messages"][0]["content"][0]["text"] == ASK
    assert tool_results(sent) == ["18C and sunny in Paris"]
    assert sent["messages"][-1]["content"][-1]["text"] == "And tomorrow?"


def test_turns_carry_on_in_a_server_side_conversation(agent, gateway, token, emulator_log):
    async def turns(a):
        conversation = await AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=token).conversations.create()
        await run(a, ASK, conversation_id=conversation.id)
        return await run(a, "And tomorrow?", conversation_id=conversation.id)

    second = agent(turns)
    assert "synthetic answer" in second.final_output
    sent = emulator_log()[-1]["body"]
    assert sent["messages"][0]["content"][0]["text"] == ASK
    assert tool_results(sent) == ["18C and sunny in Paris"]
    assert sent["messages"][-1]["content"][-1]["text"] == "And tomorrow?"


def test_an_openai_model_name_answers_a_first_turn_with_its_tool(agent, emulator_log):
    result = agent(lambda a: run(a, ASK), model="gpt-4o")
    assert result.final_output == "The tool returned: 18C and sunny in Paris"
    assert all(entry["status"] == 200 for entry in emulator_log())
