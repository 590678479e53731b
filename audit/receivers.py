"""What the audit trail records by itself: every save and delete of the rows an admin or a user acts on.

Models are named here by label, not imported, so the audit app stays below the apps it watches. Revokes are
queryset updates (no save signal), so their callers record them with `audit_revoked`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from audit.models import AuditEntry
from audit.recorder import audit_changes, audit_record


@dataclass(frozen=True)
class Watched:
    secret: frozenset[str] = frozenset()  # recorded as changed, never with a value
    ignored: frozenset[str] = frozenset()  # bookkeeping the gateway itself writes (last use, timestamps)
    created: str = AuditEntry.Action.CREATE
    saves: bool = True  # False: only deletes are recorded


WATCHED = {
    "tokens.Identity": Watched(),
    "tokens.ApiToken": Watched(
        secret=frozenset({"digest"}),
        ignored=frozenset({"last_used_at", "mirror_state", "mirror_error"}),
        created=AuditEntry.Action.ISSUE,
    ),
    "tokens.Quota": Watched(ignored=frozenset({"updated_at"})),
    "gateway.ModelAlias": Watched(ignored=frozenset({"created_at", "updated_at"})),
    "usage.ModelPrice": Watched(ignored=frozenset({"updated_at"})),
    "auth.User": Watched(secret=frozenset({"password"}), ignored=frozenset({"last_login"})),
    "auth.Group": Watched(),
    # A sign-in lock-out: deleting it lifts the lock-out, which is recorded; its creation is a failed sign-in, not
    # an action, and the request data it keeps is left out.
    "axes.AccessAttempt": Watched(ignored=frozenset({"get_data", "post_data", "http_accept"}), saves=False),
}


def _fields(model: type[models.Model], watched: Watched, update_fields=None) -> list[str]:
    """The attribute names of the fields recorded (`update_fields` narrows them, as the save does)."""
    names = []
    for field in model._meta.concrete_fields:
        if field.name in watched.ignored or field.primary_key:
            continue
        if update_fields is not None and field.name not in update_fields and field.attname not in update_fields:
            continue
        names.append(field.attname)
    return names


def _values(instance: models.Model, names: list[str]) -> dict:
    return {name: getattr(instance, name) for name in names}


def _watched(sender) -> Watched | None:
    return WATCHED.get(sender._meta.label) if not sender._meta.proxy else None


def before_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    watched = _watched(sender)
    instance._audit_before = None
    if watched is None or not watched.saves or raw or instance._state.adding or instance.pk is None:
        return
    names = _fields(sender, watched, update_fields)
    if names:
        instance._audit_before = sender._base_manager.filter(pk=instance.pk).values(*names).first()


def after_save(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    watched = _watched(sender)
    if watched is None or not watched.saves or raw:
        return
    if created:
        names = _fields(sender, watched)
        after = {name: value for name, value in _values(instance, names).items() if value not in (None, "")}
        changes = audit_changes({}, after, secret=watched.secret)
        # A row that names who created it (a token's created_by) is recorded as theirs.
        audit_record(action=watched.created, obj=instance, changes=changes, actor=getattr(instance, "created_by", None))
        return
    before = getattr(instance, "_audit_before", None)
    if before is None:
        return
    changes = audit_changes(before, _values(instance, list(before)), secret=watched.secret)
    if changes:
        audit_record(action=AuditEntry.Action.CHANGE, obj=instance, changes=changes)


def after_delete(sender, instance, **kwargs) -> None:
    watched = _watched(sender)
    if watched is None:
        return
    before = {k: v for k, v in _values(instance, _fields(sender, watched)).items() if v not in (None, "")}
    audit_record(
        action=AuditEntry.Action.DELETE, obj=instance, changes=audit_changes(before, {}, secret=watched.secret)
    )


def connect_all() -> None:
    for label in WATCHED:
        try:
            model = apps.get_model(label)
        except LookupError:  # an app this deployment does not install
            continue
        uid = f"audit-{label}"
        post_delete.connect(after_delete, sender=model, dispatch_uid=f"{uid}-delete")
        if not WATCHED[label].saves:
            continue
        pre_save.connect(before_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(after_save, sender=model, dispatch_uid=f"{uid}-post")
