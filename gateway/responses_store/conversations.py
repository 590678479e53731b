"""Conversations (`/v1/conversations`): created with the client's items, grown by the responses added to them."""

from __future__ import annotations

from django.utils import timezone

from core.errors import InvalidRequest, NotFound
from gateway.models import Conversation
from gateway.responses_store.items import with_ids
from gateway.responses_store.store import STORAGE_OFF, conversation_items, live_conversations, retention
from gateway.translate.responses_input import input_messages
from gateway.translate.responses_response import new_id

MAX_ITEMS = 20  # what OpenAI accepts at creation
CONVERSATION_FIELDS = ("items", "metadata")


def conversation_object(conversation: Conversation) -> dict:
    return {
        "id": conversation.id,
        "object": "conversation",
        "created_at": int(conversation.created_at.timestamp()),
        "metadata": conversation.metadata,
    }


def _checked_items(items: object) -> list:
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise InvalidRequest(f"`items` must be a list of at most {MAX_ITEMS} items", param="items")
    if items:
        input_messages(items, None)  # the same checks as a request's `input`; errors name input[k]
    return items


def _checked_metadata(metadata: object) -> dict:
    if (
        not isinstance(metadata, dict)
        or len(metadata) > 16
        or not all(isinstance(key, str) and isinstance(value, str) for key, value in metadata.items())
    ):
        raise InvalidRequest("`metadata` must be an object of at most 16 string values", param="metadata")
    return metadata


def conversation_create(identity_id: int, body: object) -> Conversation:
    kept_for = retention()
    if kept_for is None:
        raise InvalidRequest(f"Conversations are not available: {STORAGE_OFF}", param=None)
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object", param=None)
    unknown = [name for name in body if name not in CONVERSATION_FIELDS]
    if unknown:
        raise InvalidRequest(f"Unrecognized field `{unknown[0]}`; expected: items, metadata", param=unknown[0])
    conversation_id, now = new_id("conv"), timezone.now()
    items = with_ids(_checked_items(body.get("items") or []), conversation_id)
    return Conversation.objects.create(
        id=conversation_id,
        identity_id=identity_id,
        created_at=now,
        expires_at=now + kept_for,
        items=items,
        metadata=_checked_metadata(body.get("metadata") or {}),
    )


def conversation_get(identity_id: int, conversation_id: str) -> Conversation:
    conversation = live_conversations(identity_id).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(f"Conversation with id '{conversation_id}' not found.", param="conversation_id")
    return conversation


def conversation_update(identity_id: int, conversation_id: str, body: object) -> Conversation:
    conversation = conversation_get(identity_id, conversation_id)
    if not isinstance(body, dict) or "metadata" not in body:
        raise InvalidRequest("`metadata` is required", param="metadata")
    conversation.metadata = _checked_metadata(body["metadata"])
    conversation.save(update_fields=["metadata"])
    return conversation


def conversation_delete(identity_id: int, conversation_id: str) -> None:
    """Deletes the conversation and, with it, the responses added to it: their items are its content."""
    conversation_get(identity_id, conversation_id).delete()


def conversation_item_list(identity_id: int, conversation_id: str) -> list[dict]:
    return conversation_items(conversation_get(identity_id, conversation_id))
