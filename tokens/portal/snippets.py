"""Ready-to-paste setup for coding tools and SDKs, given the gateway's base URL, a key and a model (pure)."""
from __future__ import annotations

import json
from dataclasses import dataclass

KEY_PLACEHOLDER = "sbc_YOUR_KEY"
MODEL_MARK = "__SBC_MODEL__"   # the model picker swaps this in the browser; the server fills it in too


@dataclass(frozen=True)
class Snippet:
    slug: str
    title: str
    how: str            # one line: where the text goes
    template: str       # the text with MODEL_MARK where the model goes

    def render(self, model: str) -> str:
        return self.template.replace(MODEL_MARK, model)


def _continue_json(base_url: str, key: str) -> str:
    config = {"models": [{"title": f"{MODEL_MARK} (Bedrock)", "provider": "openai", "model": MODEL_MARK,
                          "apiBase": base_url, "apiKey": key}]}
    return json.dumps(config, indent=2)


def setup_snippets(*, base_url: str, key: str = "") -> list[Snippet]:
    """Snippets for each supported tool; `base_url` ends in /v1, `key` is empty when not known."""
    key = key or KEY_PLACEHOLDER
    m = MODEL_MARK
    return [
        Snippet("env", "Environment variables", "Add to your shell profile; most OpenAI tools read these.",
                f'export OPENAI_API_KEY="{key}"\nexport OPENAI_BASE_URL="{base_url}"\n'
                f'export OPENAI_API_BASE="{base_url}"  # older tools read this name\n'),
        Snippet("cursor", "Cursor", "Settings → Models: paste the key under OpenAI API Key, switch on "
                "Override OpenAI Base URL, and add the model name.",
                f"OpenAI API Key:            {key}\nOverride OpenAI Base URL:  {base_url}\n"
                f"Add model:                 {m}\n"),
        Snippet("continue-yaml", "Continue (config.yaml)", "Add to ~/.continue/config.yaml.",
                f"name: Bedrock gateway\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: {m} (Bedrock)\n"
                f"    provider: openai\n    model: {m}\n    apiBase: {base_url}\n    apiKey: {key}\n"
                f"    roles: [chat, edit, apply]\n"),
        Snippet("continue-json", "Continue (config.json)", "Older Continue versions: merge into ~/.continue/config.json.",
                _continue_json(base_url, key) + "\n"),
        Snippet("cline", "Cline", "Cline settings: API Provider \u201cOpenAI Compatible\u201d, then fill in:",
                f"Base URL:  {base_url}\nAPI Key:   {key}\nModel ID:  {m}\n"),
        Snippet("aider", "Aider", "Run in your project directory.",
                f'export OPENAI_API_BASE="{base_url}"\nexport OPENAI_API_KEY="{key}"\naider --model openai/{m}\n'),
        Snippet("python", "OpenAI Python SDK", "pip install openai, then:",
                f'from openai import OpenAI\n\nclient = OpenAI(base_url="{base_url}", api_key="{key}")\n'
                f'reply = client.chat.completions.create(\n    model="{m}",\n'
                f'    messages=[{{"role": "user", "content": "Hello!"}}],\n)\n'
                f"print(reply.choices[0].message.content)\n"),
        Snippet("curl", "curl", "From any shell:",
                f'curl {base_url}/chat/completions \\\n  -H "Authorization: Bearer {key}" \\\n'
                f'  -H "Content-Type: application/json" \\\n'
                f'  -d \'{{"model": "{m}", "messages": [{{"role": "user", "content": "Hello!"}}]}}\'\n'),
    ]
