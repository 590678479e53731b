"""Ready-to-paste setup for coding tools and SDKs, given the gateway's base URL, a key and a model (pure).

The texts are the client matrix's (`gateway.compat.clients`): the README and the end-to-end tests use the
same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.compat.clients import CLIENTS

KEY_PLACEHOLDER = "sbc_YOUR_KEY"
MODEL_MARK = "__SBC_MODEL__"  # the model picker swaps this in the browser; the server fills it in too


@dataclass(frozen=True)
class Snippet:
    slug: str
    title: str
    how: str  # one line: where the text goes
    template: str  # the text with MODEL_MARK where the model goes

    def render(self, model: str) -> str:
        return self.template.replace(MODEL_MARK, model)


def setup_snippets(*, base_url: str, key: str = "") -> list[Snippet]:
    """Snippets for each supported tool; `base_url` ends in /v1, `key` is empty when not known."""
    root = base_url.rstrip("/").removesuffix("/v1")
    return [
        Snippet(c.slug, c.title, c.how, c.text(root=root, key=key or KEY_PLACEHOLDER, model=MODEL_MARK))
        for c in CLIENTS
    ]
