"""The tools the gateway is tested with: how a user sets each one up, and what works through it.

One source for the README's compatibility matrix, the portal's setup snippets and the end-to-end tests,
which configure each tool with exactly the text rendered here, so what users are told is what is tested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

FEATURES = ("streaming", "tools", "images", "thinking", "caching", "state")


@dataclass(frozen=True)
class Client:
    slug: str
    title: str
    api: str  # the gateway API it speaks
    how: str  # one line: where the text goes
    template: str  # str.format fields: root (no /v1), v1, key, model
    language: str = ""  # for the README's code fence
    versions: str = ""  # versions the end-to-end tests run; empty: set up by hand only
    features: dict = field(default_factory=dict)
    example_model: str = "claude-4-sonnet"

    def text(self, *, root: str, key: str, model: str) -> str:
        root = root.rstrip("/")
        return self.template.format(root=root, v1=f"{root}/v1", key=key, model=model)


YES, UNTESTED, CLIENT = "yes", "untested", "client"
# What each tool's end-to-end tests exercise through the gateway ("client": the tool keeps the conversation).
AGENT_LOOP = {
    "streaming": YES,
    "tools": YES,
    "images": UNTESTED,
    "thinking": UNTESTED,
    "caching": UNTESTED,
    "state": CLIENT,
}
EVERYTHING = {name: YES for name in FEATURES}
CHAT_TOOL = AGENT_LOOP  # set up by hand only: `versions` is empty, so the matrix says untested


def _json(config: dict) -> str:
    """`config` as indented JSON whose {root}/{v1}/{key}/{model} stay template fields."""
    text = json.dumps(config, indent=2).replace("{", "{{").replace("}", "}}")
    for name in ("root", "v1", "key", "model"):
        text = text.replace("{{" + name + "}}", "{" + name + "}")
    return text + "\n"


def _continue_json() -> str:
    return _json(
        {
            "models": [
                {
                    "title": "{model} (Bedrock)",
                    "provider": "openai",
                    "model": "{model}",
                    "apiBase": "{v1}",
                    "apiKey": "{key}",
                }
            ]
        }
    )


def _opencode_json() -> str:
    provider = {
        "npm": "@ai-sdk/openai-compatible",
        "name": "Simple Bedrock Connector",
        "options": {"baseURL": "{v1}", "apiKey": "{key}"},
        "models": {"{model}": {"name": "{model}"}},
    }
    return _json({"$schema": "https://opencode.ai/config.json", "provider": {"sbc": provider}, "model": "sbc/{model}"})


CLIENTS: tuple[Client, ...] = (
    Client(
        "env",
        "Environment variables",
        "chat",
        "Add to your shell profile; most OpenAI tools read these.",
        'export OPENAI_API_KEY="{key}"\nexport OPENAI_BASE_URL="{v1}"\n'
        'export OPENAI_API_BASE="{v1}"  # older tools read this name\n',
        "bash",
        features=CHAT_TOOL,
    ),
    Client(
        "claude-code",
        "Claude Code",
        "messages",
        "Add to your shell profile, then run `claude`. Leave `ANTHROPIC_MODEL` out to use Claude Code's own "
        "default model. Claude Code knows the context window only of Anthropic's own model names: with an alias "
        "it assumes a large one and compacts late, so prefer the Anthropic id of the same model "
        "(`claude-sonnet-4-20250514` for `claude-4-sonnet`).",
        'export ANTHROPIC_BASE_URL="{root}"\nexport ANTHROPIC_AUTH_TOKEN="{key}"\nexport ANTHROPIC_MODEL="{model}"\n',
        "bash",
        versions="2.1.330, 2.1.331, 2.1.332",
        features={**EVERYTHING, "images": UNTESTED, "state": CLIENT},
    ),
    Client(
        "codex",
        "Codex CLI",
        "responses",
        "Add to ~/.codex/config.toml, export the key, then run `codex`.",
        'model = "{model}"\nmodel_provider = "sbc"\n\n[model_providers.sbc]\nname = "Simple Bedrock Connector"\n'
        'base_url = "{v1}"\nwire_api = "responses"\nenv_key = "SBC_API_KEY"\n\n'
        '# and in your shell profile:\n# export SBC_API_KEY="{key}"\n',
        "toml",
        versions="0.169.0, 0.169.1, 0.171.0",
        features={**AGENT_LOOP, "thinking": YES},
    ),
    Client(
        "opencode",
        "opencode",
        "chat",
        "Save as ~/.config/opencode/opencode.json, then run `opencode` (in scripts: `opencode run`, the task on "
        "stdin; `opencode run --continue` carries on the last session).",
        _opencode_json(),
        "json",
        versions="1.18.33",
        features=AGENT_LOOP,
    ),
    Client(
        "cline-cli",
        "Cline CLI",
        "chat",
        'Run once to save the provider in ~/.cline, then `cline "task"` (tools are auto-approved in that '
        "mode); `cline` alone, or `cline --id <session>` to carry on a session, opens the terminal UI.",
        "cline auth -p openai-compatible -b {v1} -k {key} -m {model}\n",
        "bash",
        versions="3.0.65",
        features=AGENT_LOOP,
    ),
    Client(
        "copilot-cli",
        "GitHub Copilot CLI",
        "chat",
        "Add to your shell profile, then run `copilot`: it calls the gateway instead of GitHub, no GitHub "
        'sign-in needed. In scripts: `copilot -p "task" --allow-all-tools`, and `--continue` to carry on.',
        'export COPILOT_PROVIDER_TYPE="openai"\nexport COPILOT_PROVIDER_BASE_URL="{v1}"\n'
        'export COPILOT_PROVIDER_API_KEY="{key}"\nexport COPILOT_MODEL="{model}"\n',
        "bash",
        versions="1.0.102",
        features=AGENT_LOOP,
    ),
    Client(
        "vercel-ai",
        "Vercel AI SDK",
        "responses",
        "npm install ai @ai-sdk/openai (ai 7 needs Node.js 22), then, in an ES module:",
        'import {{ createOpenAI }} from "@ai-sdk/openai";\nimport {{ generateText }} from "ai";\n\n'
        'const openai = createOpenAI({{ baseURL: "{v1}", apiKey: "{key}" }});\n\n'
        'const {{ text }} = await generateText({{ model: openai("{model}"), prompt: "Hello!" }});\n'
        "console.log(text);\n",
        "js",
        versions="ai 7.0.173, @ai-sdk/openai 4.0.118",
        features={**AGENT_LOOP, "streaming": UNTESTED, "state": YES},
    ),
    Client(
        "cursor",
        "Cursor",
        "chat",
        "Settings → Models: paste the key under OpenAI API Key, switch on Override OpenAI Base URL, and add "
        "the model name. Cursor calls from its own servers: the gateway must be reachable from the internet.",
        "OpenAI API Key:            {key}\nOverride OpenAI Base URL:  {v1}\nAdd model:                 {model}\n",
        features=CHAT_TOOL,
    ),
    Client(
        "continue-yaml",
        "Continue (config.yaml)",
        "chat",
        "Add to ~/.continue/config.yaml.",
        "name: Simple Bedrock Connector\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: {model} (Bedrock)\n"
        "    provider: openai\n    model: {model}\n    apiBase: {v1}\n    apiKey: {key}\n"
        "    roles: [chat, edit, apply]\n",
        "yaml",
        features=CHAT_TOOL,
    ),
    Client(
        "continue-json",
        "Continue (config.json)",
        "chat",
        "Older Continue versions: merge into ~/.continue/config.json.",
        _continue_json(),
        "json",
        features=CHAT_TOOL,
    ),
    Client(
        "cline",
        "Cline",
        "chat",
        "Cline settings: API Provider “OpenAI Compatible”, then fill in:",
        "Base URL:  {v1}\nAPI Key:   {key}\nModel ID:  {model}\n",
        features=CHAT_TOOL,
    ),
    Client(
        "aider",
        "Aider",
        "chat",
        "Run in your project directory.",
        'export OPENAI_API_BASE="{v1}"\nexport OPENAI_API_KEY="{key}"\naider --model openai/{model}\n',
        "bash",
        features=CHAT_TOOL,
    ),
    Client(
        "python",
        "OpenAI Python SDK",
        "chat",
        "pip install openai, then:",
        'from openai import OpenAI\n\nclient = OpenAI(base_url="{v1}", api_key="{key}")\n'
        'reply = client.chat.completions.create(\n    model="{model}",\n'
        '    messages=[{{"role": "user", "content": "Hello!"}}],\n)\nprint(reply.choices[0].message.content)\n',
        "python",
        versions="openai 3.60.0",
        features={**EVERYTHING, "state": CLIENT},
    ),
    Client(
        "openai-agents",
        "OpenAI Agents SDK (Python)",
        "responses",
        "pip install openai-agents, then (tracing off: its traces would otherwise go to OpenAI's servers):",
        "from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled\n"
        "from openai import AsyncOpenAI\n\n"
        'set_default_openai_client(AsyncOpenAI(base_url="{v1}", api_key="{key}"), use_for_tracing=False)\n'
        "set_tracing_disabled(True)\n\n"
        'agent = Agent(name="Assistant", instructions="Be brief.", model="{model}")\n'
        'print(Runner.run_sync(agent, "Hello!").final_output)\n',
        "python",
        versions="openai-agents 0.24.0",
        features={**AGENT_LOOP, "streaming": UNTESTED, "state": YES},
    ),
    Client(
        "anthropic-python",
        "Anthropic Python SDK",
        "messages",
        "pip install anthropic, then (the gateway's root, without /v1):",
        "import anthropic\n\n"
        'client = anthropic.Anthropic(base_url="{root}", api_key="{key}")\n'
        "reply = client.messages.create(\n"
        '    model="{model}", max_tokens=1024, messages=[{{"role": "user", "content": "Hello!"}}]\n)\n'
        "print(reply.content[0].text)\n",
        "python",
        versions="anthropic 2.17.0",
        features={**EVERYTHING, "state": CLIENT},
    ),
    Client(
        "curl",
        "curl",
        "chat",
        "From any shell:",
        'curl {v1}/chat/completions \\\n  -H "Authorization: Bearer {key}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        '  -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": "Hello!"}}]}}\'\n',
        "bash",
        features=CHAT_TOOL,
    ),
)


def client(slug: str) -> Client:
    return next(c for c in CLIENTS if c.slug == slug)
