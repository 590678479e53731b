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
    api: str                      # the gateway API it speaks
    how: str                      # one line: where the text goes
    template: str                 # str.format fields: root (no /v1), v1, key, model
    language: str = ""            # for the README's code fence
    versions: str = ""            # versions the end-to-end tests run; empty: set up by hand only
    features: dict = field(default_factory=dict)
    example_model: str = "claude-4-sonnet"

    def text(self, *, root: str, key: str, model: str) -> str:
        root = root.rstrip("/")
        return self.template.format(root=root, v1=f"{root}/v1", key=key, model=model)


YES, NO = "yes", "no"
ALL = {name: YES for name in FEATURES}
CHAT_TOOL = {**ALL, "state": "client"}


def _continue_json() -> str:
    config = {"models": [{"title": "{model} (Bedrock)", "provider": "openai", "model": "{model}",
                          "apiBase": "{v1}", "apiKey": "{key}"}]}
    return json.dumps(config, indent=2).replace("{", "{{").replace("}", "}}") \
        .replace("{{model}}", "{model}").replace("{{v1}}", "{v1}").replace("{{key}}", "{key}")


CLIENTS: tuple[Client, ...] = (
    Client("claude-code", "Claude Code", "messages",
           "Add to your shell profile, then run `claude`. Leave `ANTHROPIC_MODEL` out to use Claude Code's own "
           "default model.",
           'export ANTHROPIC_BASE_URL="{root}"\nexport ANTHROPIC_AUTH_TOKEN="{key}"\n'
           'export ANTHROPIC_MODEL="{model}"\n', "bash", features=ALL),
    Client("codex", "Codex CLI", "responses",
           "Add to ~/.codex/config.toml, export the key, then run `codex`.",
           'model = "{model}"\nmodel_provider = "sbc"\n\n[model_providers.sbc]\nname = "Simple Bedrock Connector"\n'
           'base_url = "{v1}"\nwire_api = "responses"\nenv_key = "SBC_API_KEY"\n\n'
           '# and in your shell profile:\n# export SBC_API_KEY="{key}"\n', "toml",
           versions="0.169.0, 0.169.1, 0.171.0", features=CHAT_TOOL),
    Client("env", "Environment variables", "chat",
           "Add to your shell profile; most OpenAI tools read these.",
           'export OPENAI_API_KEY="{key}"\nexport OPENAI_BASE_URL="{v1}"\n'
           'export OPENAI_API_BASE="{v1}"  # older tools read this name\n', "bash", features=CHAT_TOOL),
    Client("cursor", "Cursor", "chat",
           "Settings → Models: paste the key under OpenAI API Key, switch on Override OpenAI Base URL, and add "
           "the model name. Cursor calls from its own servers: the gateway must be reachable from the internet.",
           "OpenAI API Key:            {key}\nOverride OpenAI Base URL:  {v1}\nAdd model:                 {model}\n",
           features=CHAT_TOOL),
    Client("continue-yaml", "Continue (config.yaml)", "chat", "Add to ~/.continue/config.yaml.",
           "name: Bedrock gateway\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: {model} (Bedrock)\n"
           "    provider: openai\n    model: {model}\n    apiBase: {v1}\n    apiKey: {key}\n"
           "    roles: [chat, edit, apply]\n", "yaml", features=CHAT_TOOL),
    Client("continue-json", "Continue (config.json)", "chat",
           "Older Continue versions: merge into ~/.continue/config.json.", _continue_json() + "\n", "json",
           features=CHAT_TOOL),
    Client("cline", "Cline", "chat", "Cline settings: API Provider “OpenAI Compatible”, then fill in:",
           "Base URL:  {v1}\nAPI Key:   {key}\nModel ID:  {model}\n", features=CHAT_TOOL),
    Client("aider", "Aider", "chat", "Run in your project directory.",
           'export OPENAI_API_BASE="{v1}"\nexport OPENAI_API_KEY="{key}"\naider --model openai/{model}\n', "bash",
           features=CHAT_TOOL),
    Client("python", "OpenAI Python SDK", "chat", "pip install openai, then:",
           'from openai import OpenAI\n\nclient = OpenAI(base_url="{v1}", api_key="{key}")\n'
           'reply = client.chat.completions.create(\n    model="{model}",\n'
           '    messages=[{{"role": "user", "content": "Hello!"}}],\n)\nprint(reply.choices[0].message.content)\n',
           "python", versions="openai 1.x and 2.x", features=CHAT_TOOL),
    Client("curl", "curl", "chat", "From any shell:",
           'curl {v1}/chat/completions \\\n  -H "Authorization: Bearer {key}" \\\n'
           '  -H "Content-Type: application/json" \\\n'
           '  -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": "Hello!"}}]}}\'\n', "bash",
           features=CHAT_TOOL),
)


def client(slug: str) -> Client:
    return next(c for c in CLIENTS if c.slug == slug)
