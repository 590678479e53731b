"""Items as they are stored and listed: ids for the client's items, secrets kept out, lists in OpenAI's page shape."""

from __future__ import annotations

import copy

from core.errors import InvalidRequest

INPUT_ID_BASE = 0x8000  # input items count from here, output items from 0 (see ResponseShape.item_id)
ID_PREFIXES = {"message": "msg", "function_call": "fc", "function_call_output": "fco", "reasoning": "rs"}
ENCRYPTED = "reasoning.encrypted_content"
TEXT_PART = {"assistant": "output_text"}
MAX_LIMIT = 100


def key_of(stored_id: str) -> str:
    """The 32 hex digits an id carries: a response's or conversation's own, and its items'."""
    return stored_id.partition("_")[2][:32]


def _normal(item: dict) -> dict:
    """An input item in the shape OpenAI lists it: `type` given, text content as parts."""
    item = {"type": "message", **item} if "type" not in item else dict(item)
    if item["type"] == "message" and isinstance(item.get("content"), str):
        item["content"] = [{"type": TEXT_PART.get(item.get("role"), "input_text"), "text": item["content"]}]
    return item


def with_ids(items, owner_id: str) -> list:
    """The client's items, each with an id; a new id carries `owner_id`'s key so it is found from the id alone."""
    key, kept = key_of(owner_id), []
    for k, item in enumerate(items):
        if isinstance(item, dict):
            item = _normal(item)
            if not item.get("id"):
                item["id"] = f"{ID_PREFIXES.get(item['type'], 'item')}_{key}{INPUT_ID_BASE + k:04x}"
        kept.append(item)
    return kept


def without_secrets(item: dict, *, encrypted: bool) -> dict:
    """`item` as the client sees it: reasoning keeps its signed thinking only when asked for."""
    if encrypted or item.get("type") != "reasoning" or "encrypted_content" not in item:
        return item
    return {key: value for key, value in item.items() if key != "encrypted_content"}


def body_for_client(body: dict, *, encrypted: bool) -> dict:
    """The stored `response` object as the client sees it (see `without_secrets`)."""
    if encrypted:
        return body
    shown = copy.copy(body)
    shown["output"] = [without_secrets(item, encrypted=False) for item in body.get("output") or []]
    return shown


def wants_encrypted(params) -> bool:
    """Whether the query string's `include` / `include[]` asks for reasoning.encrypted_content."""
    return ENCRYPTED in params.getlist("include") + params.getlist("include[]")


def page(items: list[dict], params, *, default_order: str = "desc") -> dict:
    """OpenAI's list object for `items` (oldest first), by the query's `limit`, `order` and `after`."""
    order = params.get("order") or default_order
    if order not in ("asc", "desc"):
        raise InvalidRequest("`order` must be asc or desc", param="order")
    try:
        limit = int(params.get("limit") or 20)
    except ValueError:
        raise InvalidRequest("`limit` must be a whole number", param="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"`limit` must be between 1 and {MAX_LIMIT}", param="limit")
    ordered = items if order == "asc" else items[::-1]
    after = params.get("after")
    if after:
        ids = [item.get("id") for item in ordered]
        if after not in ids:
            raise InvalidRequest(f"No item with id '{after}' in this list", param="after")
        ordered = ordered[ids.index(after) + 1 :]
    data = ordered[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(ordered) > limit,
    }
