"""Writing the audit trail: who is acting (`acting_as`), what changed (`audit_changes`), and one entry per action
(`audit_record`), also emitted as an `audit` event on the `sbc.events` logger once the change is committed (the
same logger, and so the same CloudWatch shipping, as the usage events of `usage.events`).

The actor comes from the caller when it knows it (a token's `revoked_by`), else from `acting_as`: the
middleware sets it for each web request (admin:NAME or portal:NAME), the token commands set `cli`; anything
else is `system`.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import orjson
from django.db import models, transaction

from audit.models import AuditEntry

events_log = logging.getLogger("sbc.events")
HIDDEN = "(hidden)"
SYSTEM = "system"

_actor: contextvars.ContextVar[str | Callable[[], str] | None] = contextvars.ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(actor: str | Callable[[], str]) -> Iterator[None]:
    """Entries written inside are by `actor` (a name, or a function that gives it when first needed)."""
    reset = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(reset)


def current_actor() -> str:
    actor = _actor.get()
    if callable(actor):
        actor = actor()
    return (actor or SYSTEM)[:200]


def plain(value: Any) -> Any:
    """A field's value as JSON holds it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds") if value.tzinfo else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def audit_changes(before: dict[str, Any], after: dict[str, Any], *, secret: frozenset[str] = frozenset()) -> dict:
    """{field: [before, after]} for each field whose value differs; a secret field's values are hidden."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in secret:
            changes[name] = [HIDDEN if old not in (None, "") else old, HIDDEN if new not in (None, "") else new]
        else:
            changes[name] = [plain(old), plain(new)]
    return changes


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    changes: dict | None = None,
    actor: str | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Write one entry (part of the caller's transaction) and emit its event once that commits."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    entry = AuditEntry.objects.create(
        actor=(actor or current_actor())[:200],
        action=action,
        object_type=object_type[:100],
        object_id=object_id[:64],
        object_repr=object_repr[:200],
        changes_json=orjson.dumps(changes).decode() if changes else "",
    )
    transaction.on_commit(partial(audit_emit, entry))
    return entry


def audit_revoked(token: models.Model, *, actor: str = "") -> AuditEntry:
    """The entry for a token just revoked (its `revoked_at` and `revoked_by` are the "after")."""
    revoked_by = getattr(token, "revoked_by", "")
    changes = audit_changes(
        {"revoked_at": None, "revoked_by": ""},
        {"revoked_at": getattr(token, "revoked_at", None), "revoked_by": revoked_by},
    )
    return audit_record(action=AuditEntry.Action.REVOKE, obj=token, changes=changes, actor=actor or revoked_by)


def audit_emit(entry: AuditEntry) -> None:
    if not events_log.isEnabledFor(logging.INFO):
        return
    payload = {
        "event": "audit",
        "timestamp": entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object": entry.object_repr,
        "changes": entry.changes,
    }
    events_log.info(orjson.dumps(payload).decode())
