"""Request validation by field rules, shared by chat completions and the Responses API.

Every top-level field of a request has one rule: a function of (field name, value, context) that checks
the value and returns what it contributes to the request, raises InvalidRequest naming the field, or
accepts and drops it (`ignored`). Unknown fields are refused, so a typo never passes silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from gateway.errors import InvalidRequest


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides its own value."""

    body: dict
    max_messages: int


Rule = Callable[[str, object, Context], dict]


def ignored(name: str, value: object, ctx: Context) -> dict:
    return {}


def rejected(reason: str) -> Rule:
    def rule(name: str, value: object, ctx: Context) -> dict:
        raise InvalidRequest(f"`{name}` is not supported: {reason}", param=name)
    return rule


def apply_rules(body: object, rules: dict[str, Rule], *, max_messages: int) -> dict:
    """What the fields of `body` contribute, rule by rule; InvalidRequest naming the first bad field."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object", param=None)
    ctx = Context(body=body, max_messages=max_messages)
    fields: dict = {}
    for name, value in body.items():
        rule = rules.get(name)
        if rule is None:
            raise InvalidRequest(f"Unrecognized request argument supplied: {name}", param=name)
        if value is not None:       # JSON null means "not given", as the OpenAI SDK sends it
            fields.update(rule(name, value, ctx))
    return fields
