"""End to end: the Vercel AI SDK's default OpenAI provider (the Responses API, `store` left at its default),
set up exactly as the README tells users, works through the gateway."""

from __future__ import annotations

import json
import shutil

import pytest

from gateway.compat.clients import client
from tests.clients import bedrock_calls, clean_env, installed, metered, node22, pinned, run, tool_results

pytestmark = pytest.mark.e2e
SCENARIO = "vercel_ai.mjs"


@pytest.fixture(params=pinned("ai"))
def sdk(request, gateway, issue, tmp_path):
    """sdk(script_text, model=...) -> what the script printed, run as an ES module beside the pinned SDK."""
    [provider] = pinned("ai-sdk-openai")
    modules = tmp_path / "node_modules"
    (modules / "@ai-sdk").mkdir(parents=True)
    # The user's `import ... from "ai"` resolves to the pinned aliases, as after `npm install ai @ai-sdk/openai`.
    (modules / "ai").symlink_to(installed(f"ai-{request.param}", "package.json").parent)
    (modules / "@ai-sdk" / "openai").symlink_to(installed(f"ai-sdk-openai-{provider}", "package.json").parent)
    shutil.copy(f"{__file__.rsplit('/', 1)[0]}/{SCENARIO}", tmp_path / SCENARIO)
    identity = f"vercel-ai-{request.node.callspec.id}@test"
    key = issue(identity)

    def _run(model: str, scenario: bool = False) -> str:
        script = client("vercel-ai").text(root=gateway.url, key=key, model=model)
        if scenario:  # the README's provider setup, then the tool loop instead of its one call
            setup = script[: script.index("\nconst { text }")]
            script = (
                f'{setup}\nimport {{ conversation }} from "./{SCENARIO}";\nawait conversation(openai, "{model}");\n'
            )
        (tmp_path / "main.mjs").write_text(script)
        done = run([node22(), "main.mjs"], cwd=tmp_path, env=clean_env(tmp_path))
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    _run.identity = identity
    return _run


@pytest.mark.parametrize("model", ["claude-4-sonnet", "gpt-4o"])
def test_vercel_ai_answers_a_first_turn(sdk, emulator_log, records, model):
    assert "synthetic answer" in sdk(model)
    calls = bedrock_calls(emulator_log)
    metered(records, sdk.identity, model, len(calls))


def test_vercel_ai_runs_a_tool_loop_and_a_second_turn_with_the_first_ones_messages(sdk, emulator_log, records):
    one, two = (json.loads(line) for line in sdk("claude-4-sonnet", scenario=True).splitlines())
    assert one["text"].startswith("The tool returned: sbc-vercel-ok:bedrock") and one["steps"] == 2
    assert "synthetic answer" in two["text"]
    calls = bedrock_calls(emulator_log)
    assert any("sbc-vercel-ok:bedrock" in result for result in tool_results(calls))
    assert "sbc-vercel-ok:bedrock" in str(calls[-1]["body"]["messages"][:-1]), "the second turn carried the first"
    metered(records, sdk.identity, "claude-4-sonnet", len(calls))
