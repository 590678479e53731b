"""Keeping quotas in step with the admin: defaults for new identities, and an instant local refresh on change."""

from __future__ import annotations

from tokens.models import Quota
from tokens.quotas import limits_forget, quota_defaults


def quota_for_new_identity(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        Quota.objects.get_or_create(identity=instance, defaults=quota_defaults())


def quota_changed(sender, instance, **kwargs) -> None:
    limits_forget(instance.identity_id)
