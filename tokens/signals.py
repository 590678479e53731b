"""Keeping tokens and quotas in step with the admin: defaults for new identities, an instant local refresh on a
quota change, and offboarding: a Django user deactivated or deleted takes its identity's keys with it.
"""

from __future__ import annotations

from tokens.models import Identity, Quota
from tokens.quotas import limits_forget, quota_defaults
from tokens.services import identity_revoke_all


def quota_for_new_identity(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        Quota.objects.get_or_create(identity=instance, defaults=quota_defaults())


def quota_changed(sender, instance, **kwargs) -> None:
    limits_forget(instance.identity_id)


def _offboard(user, why: str) -> None:
    identity = Identity.objects.filter(user_id=user.pk).first()
    if identity is not None:
        identity_revoke_all(identity=identity, revoked_by=f"offboarding: user {user.get_username()} {why}"[:200])


def user_deactivated(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    """A user saved inactive loses its identity's keys at once; re-activating the user does not bring them back."""
    if raw or created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    _offboard(instance, "deactivated")


def user_deleted(sender, instance, **kwargs) -> None:
    """Before a user is deleted (its identity then outlives it, unlinked), the identity's keys are revoked."""
    _offboard(instance, "deleted")
