"""Request validation by field rules, shared by chat completions and the Responses API.

Every top-level field of a request has one rule: a function of (field name, value, context) that checks
the value and returns what it contributes to the request, raises InvalidRequest naming the field, or
accepts and drops it (`dropped`, which notes the name in the request's adaptations). A field no rule
knows is dropped and noted as `unknown:<name>`: clients add fields faster than any table, and the
`x-sbc-adapted` header tells the caller what was left out (see `gateway.compat`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import InvalidRequest
from gateway.compat import Adaptations


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides its own value, and where it notes what it adapted or dropped."""

    body: dict
    max_messages: int
    adaptations: Adaptations = field(default_factory=Adaptations)


Rule = Callable[[str, object, Context], dict]


def dropped(name: str, value: object, ctx: Context) -> dict:
    """Accepted and left out: Bedrock has nothing like it and leaving it out changes nothing relied on."""
    ctx.adaptations.note(name)
    return {}


def rejected(reason: str) -> Rule:
    def rule(name: str, value: object, ctx: Context) -> dict:
        raise InvalidRequest(f"`{name}` is not supported: {reason}", param=name)

    return rule


def apply_rules(
    body: object, rules: dict[str, Rule], *, max_messages: int, adaptations: Adaptations | None = None
) -> dict:
    """What the fields of `body` contribute, rule by rule; InvalidRequest naming the first bad field.

    The result's `adaptations` holds the names of what was adapted or dropped.
    """
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object", param=None)
    ctx = Context(body=body, max_messages=max_messages, adaptations=adaptations or Adaptations())
    fields: dict = {}
    for name, value in body.items():
        rule = rules.get(name)
        if rule is None:
            ctx.adaptations.note(f"unknown:{name}")
        elif value is not None:  # JSON null means "not given", as the OpenAI SDK sends it
            fields.update(rule(name, value, ctx))
    fields["adaptations"] = ctx.adaptations
    return fields
