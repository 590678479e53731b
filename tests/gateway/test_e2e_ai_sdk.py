"""End to end: the Vercel AI SDK's default OpenAI provider (Responses API, `store` on) for two turns with a tool.

Its second request sends the first turn's output back as `item_reference` items, which only a gateway that
keeps responses can answer. The SDK's packages come from .tools (tests/clients/package.json aliases), or from
the node_modules directory AI_SDK_MODULES names.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.clients import MODULES, clean_env, node22

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).with_name("ai_sdk_turns.mjs")
ALIASES = {"AI_PACKAGE": "ai-7.0.173", "AI_OPENAI_PACKAGE": "ai-sdk-openai-4.0.118"}


def packages() -> dict[str, str]:
    """Where the SDK's two packages are, as the script's environment names them."""
    own = os.environ.get("AI_SDK_MODULES")
    if own:
        return {"AI_SDK_MODULES": own, "AI_PACKAGE": "ai", "AI_OPENAI_PACKAGE": "@ai-sdk/openai"}
    for alias in ALIASES.values():
        if not (MODULES / alias).exists():
            pytest.skip(f"{alias} is not installed in .tools (make test installs it from tests/clients/package.json)")
    return {"AI_SDK_MODULES": str(MODULES), **ALIASES}


def test_a_second_turn_sends_the_first_by_reference_and_is_answered(gateway, token, emulator_log, tmp_path):
    env = clean_env(tmp_path, SBC_BASE_URL=f"{gateway.url}/v1", SBC_API_KEY=token, SBC_MODEL="claude-4-sonnet",
                    **packages())
    run = subprocess.run([node22(), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["first"] == "The tool returned: 18C and sunny in Paris" and result["steps"] == 2
    assert "synthetic answer" in result["second"]
    # The SDK sent the first answer as {"type": "item_reference", "id": "msg_..."}: Bedrock got its text.
    sent = [[block.get("text") for block in message["content"]] for message in emulator_log()[-1]["body"]["messages"]]
    assert sent == [["What is the weather? Use get_weather city=Paris"], [result["first"]], ["And tomorrow?"]]
