"""Reading and writing stored responses: what a request continues, its item references, and the one write."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.errors import InvalidRequest, NotFound
from gateway.models import Conversation, StoredResponse
from gateway.responses_store.items import key_of, with_ids
from gateway.translate.responses_input import NOTHING_STORED, Stored

log = logging.getLogger("sbc.responses")
STORAGE_OFF = "this gateway keeps no responses (storage is off); send the whole conversation in `input`"


def retention() -> timedelta | None:
    """How long a response is kept; None when storage is off."""
    days = settings.RESPONSES_RETENTION_DAYS
    return timedelta(days=days) if days else None


def live_responses(identity_id: int):
    """The identity's responses that have not expired (those in a live conversation live as long as it does)."""
    now = timezone.now()
    return StoredResponse.objects.filter(identity_id=identity_id).filter(
        Q(expires_at__gt=now) | Q(conversation__expires_at__gt=now)
    )


def live_conversations(identity_id: int):
    return Conversation.objects.filter(identity_id=identity_id, expires_at__gt=timezone.now())


def response_get(identity_id: int, response_id: str) -> StoredResponse:
    row = live_responses(identity_id).filter(pk=response_id).first()
    if row is None:
        raise NotFound(f"Response with id '{response_id}' not found.", param="response_id")
    return row


def response_delete(identity_id: int, response_id: str) -> None:
    if not live_responses(identity_id).filter(pk=response_id).delete()[0]:
        raise NotFound(f"Response with id '{response_id}' not found.", param="response_id")


def items_of(rows) -> list[dict]:
    """The items of stored responses in order: each one's input, then its output."""
    return [item for row in rows for item in (*row.input_items, *(row.body.get("output") or []))]


def chain_rows(identity_id: int, row: StoredResponse, param: str = "previous_response_id") -> list[StoredResponse]:
    """The responses before `row` in its previous_response_id chain, oldest first; a gap (expired) is a 404."""
    if not row.chain:
        return []
    found = {r.pk: r for r in live_responses(identity_id).filter(pk__in=row.chain).only("id", "input_items", "body")}
    if len(found) != len(set(row.chain)):
        raise NotFound(f"Response with id '{row.pk}' continues a response that has expired.", param=param)
    return [found[pk] for pk in row.chain]


def conversation_items(conversation: Conversation) -> list[dict]:
    rows = conversation.responses.order_by("created_at", "id").only("id", "input_items", "body")
    return [*conversation.items, *items_of(rows)]


def resolve(identity_id: int, item_ids: list[str]) -> dict[str, dict]:
    """The identity's live stored items with these ids, found through the key each id carries (one query; a second
    only for ids no response holds)."""
    keys = {key_of(item_id) for item_id in item_ids}
    wanted = set(item_ids)
    rows = live_responses(identity_id).filter(pk__in=[f"resp_{key}" for key in keys]).only("id", "input_items", "body")
    found = {item["id"]: item for item in items_of(rows) if isinstance(item, dict) and item.get("id") in wanted}
    rest = {key_of(item_id) for item_id in wanted - set(found)}
    if rest:  # items a conversation was created with
        conversations = live_conversations(identity_id).filter(pk__in=[f"conv_{key}" for key in rest]).only("items")
        found.update(
            {
                item["id"]: item
                for conversation in conversations
                for item in conversation.items
                if isinstance(item, dict) and item.get("id") in wanted
            }
        )
    return found


@dataclass
class State:
    """What one request continues: the items put before its input, and where its response is kept."""

    stored: Stored = NOTHING_STORED
    chain: list[str] = field(default_factory=list)  # ids of the responses it continues, oldest first
    conversation_id: str | None = None


def state_for(
    identity_id: int, *, previous_response_id: str | None = None, conversation_id: str | None = None
) -> State:
    """Loads what the request continues; another identity's id, or an expired one, is a 404 naming the field."""
    if retention() is None:
        for name, value in (("previous_response_id", previous_response_id), ("conversation", conversation_id)):
            if value:
                raise InvalidRequest(f"`{name}` is not supported: {STORAGE_OFF}", param=name)
        return State()
    lookup = lambda ids: resolve(identity_id, ids)  # noqa: E731
    if previous_response_id:
        row = live_responses(identity_id).filter(pk=previous_response_id).first()
        if row is None:
            raise NotFound(
                f"Previous response with id '{previous_response_id}' not found.", param="previous_response_id"
            )
        rows = [*chain_rows(identity_id, row), row]
        return State(Stored(prior=tuple(items_of(rows)), resolve=lookup), chain=[r.pk for r in rows])
    if conversation_id:
        conversation = live_conversations(identity_id).filter(pk=conversation_id).first()
        if conversation is None:
            raise NotFound(f"Conversation with id '{conversation_id}' not found.", param="conversation")
        return State(
            Stored(prior=tuple(conversation_items(conversation)), prior_param="conversation", resolve=lookup),
            conversation_id=conversation_id,
        )
    return State(Stored(resolve=lookup))


@dataclass
class Keeper:
    """Keeps one response once its answer is complete; never fails the request (the answer is already made)."""

    identity_id: int
    state: State
    input_items: tuple

    def keep(self, body: dict) -> bool:
        """Writes the response (one INSERT; a conversation's expiry moves too); False when that failed."""
        kept_for = retention()
        if kept_for is None or body.get("status") not in ("completed", "incomplete"):
            return False
        now = timezone.now()
        try:
            StoredResponse.objects.create(
                id=body["id"],
                identity_id=self.identity_id,
                created_at=now,
                expires_at=now + kept_for,
                conversation_id=self.state.conversation_id,
                chain=self.state.chain,
                input_items=with_ids(self.input_items, body["id"]),
                body=body,
            )
            if self.state.conversation_id:
                Conversation.objects.filter(pk=self.state.conversation_id).update(expires_at=now + kept_for)
        except Exception as error:  # noqa: BLE001 - the client has its answer; only the error's kind is logged
            log.error("could not store response %s: %s", body.get("id"), type(error).__name__)
            return False
        return True


def purge_expired() -> tuple[int, int]:
    """Deletes expired conversations (with their responses) and expired responses outside a conversation."""
    now = timezone.now()
    conversations = Conversation.objects.filter(expires_at__lte=now).delete()[1].get("gateway.Conversation", 0)
    responses = StoredResponse.objects.filter(expires_at__lte=now, conversation__isnull=True).delete()[0]
    return responses, conversations
