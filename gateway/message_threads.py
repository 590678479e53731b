"""Anthropic message threads (the `message-threads-2026-08-12` beta), kept per identity like stored responses.

Anthropic's SDK (2.17 and later) runs `tool_runner()` over a thread by default: the first turn sends
`"thread": {"type": "create"}` with the whole conversation, and each later one
`"thread": {"type": "continue", "previous_message_id": "msg_..."}` with only the messages the server lacks, and
without `system` and `tools`, which the thread keeps. The gateway keeps each turn (what it sent and the reply)
under the reply's id, and rebuilds the whole conversation before Bedrock is called, so the model sees what it
would have seen without a thread; the turns before the new messages carry one cache point, so Claude's prompt
cache still covers them.

A thread the gateway cannot keep for a request (storage off, or a field threads do not take) is refused with
the SDK's documented `thread_unsupported_request` error, after which the SDK sends the conversation whole; a
continue from a reply this identity does not hold (never kept, expired, another identity's) is
`thread_not_found` (404), after which the SDK replays the whole conversation under a new thread. Never a 200
that loses the conversation.

Kept for RESPONSES_RETENTION_DAYS and purged with the stored responses; like them, the rows are the client's
own conversation and never reach a log, an event, a usage record or the admin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from core.errors import InvalidRequest, ThreadNotFound, ThreadUnsupported
from gateway.models import ThreadTurn
from gateway.responses_store.store import STORAGE_OFF, retention
from gateway.translate.anthropic_request.cache import cache_marks

log = logging.getLogger("sbc.threads")

THREADS_BETA = "message-threads-2026-08-12"
CREATE_ONLY = ("system", "tools")  # kept by the thread; a continue that sends them is refused, as Anthropic does
# Request fields a threaded request cannot have here, by the names Anthropic's SDK reads in `unsupported`:
# context management edits what the server holds, which a rebuilt conversation cannot follow.
UNSUPPORTED = ("context_management",)
MAX_CACHE_POINTS = 4  # Claude takes at most four `cache_control` blocks in a request
UNCACHEABLE = ("thinking", "redacted_thinking")


@dataclass
class Thread:
    """The thread one request belongs to: what it continues, and the turn it adds once its reply is complete."""

    identity_id: int
    chain: list[str]
    fields: dict[str, Any]
    sent: list[Any] = field(default_factory=list)  # the messages this turn adds

    def keep(self, reply: dict[str, Any]) -> bool:
        """Keeps the turn under the reply's id (one INSERT); False when that failed. Never fails the request: a
        later continue from an unkept reply is `thread_not_found`, and the SDK replays the conversation."""
        kept_for = retention()
        reply_id = reply.get("id")
        if kept_for is None or not isinstance(reply_id, str) or not reply_id:
            return False
        now = timezone.now()
        try:
            ThreadTurn.objects.create(
                id=reply_id,
                identity_id=self.identity_id,
                created_at=now,
                expires_at=now + kept_for,
                chain=self.chain,
                fields=self.fields,
                messages=[*self.sent, {"role": "assistant", "content": reply.get("content") or []}],
            )
        except Exception as error:  # noqa: BLE001 - the client has its answer; only the error's kind is logged
            log.error("could not keep thread turn %s: %s", reply_id, type(error).__name__)
            return False
        return True


def thread_open(identity_id: int, data: Any) -> tuple[Any, Thread | None]:
    """(the request as Bedrock must see it: the whole conversation and no `thread`, the thread it belongs to).
    A request without `thread` (or with `thread: false`) comes back as it is, with no thread."""
    if not isinstance(data, dict) or "thread" not in data:
        return data, None
    ask = data["thread"]
    rest = {name: value for name, value in data.items() if name != "thread"}
    if ask is None or ask is False:
        return rest, None
    kind = ask.get("type") if isinstance(ask, dict) else None
    if kind not in ("create", "continue"):
        raise InvalidRequest("`thread.type` must be `create` or `continue`.", param="thread.type")
    unsupported = [name for name in UNSUPPORTED if rest.get(name) is not None]
    if unsupported:
        raise ThreadUnsupported(
            f"A thread cannot be kept with {', '.join(f'`{name}`' for name in unsupported)}: send the whole "
            "conversation without `thread`.",
            unsupported=unsupported,
            param="thread",
        )
    if retention() is None:
        raise ThreadUnsupported(f"Threads are not kept here: {STORAGE_OFF}.", unsupported=[], param="thread")
    messages = rest.get("messages")
    if not isinstance(messages, list):
        raise InvalidRequest("`messages` must be a list.", param="messages")
    if kind == "create":
        fields = {name: rest[name] for name in CREATE_ONLY if name in rest}
        return rest, Thread(identity_id, chain=[], fields=fields, sent=messages)
    return _continued(identity_id, ask, rest, messages)


def _continued(identity_id: int, ask: dict, rest: dict, messages: list) -> tuple[dict, Thread]:
    previous = ask.get("previous_message_id")
    if not isinstance(previous, str) or not previous:
        raise InvalidRequest(
            "`thread.previous_message_id` is required to continue a thread.", param="thread.previous_message_id"
        )
    repeated = [name for name in CREATE_ONLY if name in rest]
    if repeated:
        raise InvalidRequest(
            f"Cannot change {' and '.join(f'`{name}`' for name in repeated)} on a thread: it keeps the ones it was "
            "created with. Start a new thread to change them.",
            param=repeated[0],
        )
    turns = _turns(identity_id, previous)
    head = turns[-1]
    prior = [message for turn in turns for message in turn.messages]
    whole = {**rest, **head.fields, "messages": [*_with_cache_point(prior, rest, head.fields), *messages]}
    return whole, Thread(identity_id, chain=[*head.chain, head.pk], fields=head.fields, sent=messages)


def _turns(identity_id: int, previous: str) -> list[ThreadTurn]:
    """The turns up to the reply `previous`, oldest first; any of them gone is `thread_not_found`."""
    live = ThreadTurn.objects.filter(identity_id=identity_id, expires_at__gt=timezone.now())
    head = live.filter(pk=previous).first()
    if head is None:
        raise ThreadNotFound(f"Thread message with id '{previous}' not found.", param="thread.previous_message_id")
    found = {turn.pk: turn for turn in live.filter(pk__in=head.chain)} if head.chain else {}
    if len(found) != len(set(head.chain)):
        raise ThreadNotFound(
            f"Thread message with id '{previous}' continues a turn that has expired.",
            param="thread.previous_message_id",
        )
    return [*(found[pk] for pk in head.chain), head]


def _with_cache_point(prior: list, rest: dict, fields: dict) -> list:
    """The kept turns as this request sends them: their own cache points dropped (each was set for the turn that
    sent it first), and one on their last cacheable block when the request has room for it."""
    turns = [_without_cache_control(message) for message in prior]
    marks = cache_marks([fields.get("tools"), fields.get("system"), rest.get("messages")])
    if sum(1 for _ in marks) >= MAX_CACHE_POINTS:
        return turns
    for message in reversed(turns):
        blocks = message.get("content")
        if isinstance(blocks, str) and blocks:
            message["content"] = [{"type": "text", "text": blocks, "cache_control": {"type": "ephemeral"}}]
            return turns
        for block in reversed(blocks if isinstance(blocks, list) else []):
            if isinstance(block, dict) and block.get("type") not in UNCACHEABLE:
                block["cache_control"] = {"type": "ephemeral"}
                return turns
    return turns


def _without_cache_control(message: Any) -> Any:
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return dict(message) if isinstance(message, dict) else message
    content = [
        {name: value for name, value in block.items() if name != "cache_control"} if isinstance(block, dict) else block
        for block in message["content"]
    ]
    return {**message, "content": content}


def threads_purge() -> int:
    """Deletes expired thread turns."""
    return ThreadTurn.objects.filter(expires_at__lte=timezone.now()).delete()[0]
