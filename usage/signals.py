"""Keeping quotas and price caches in step with the admin: defaults for new identities, instant local refresh."""
from __future__ import annotations


def quota_for_new_identity(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        from usage.limits import quota_defaults
        from usage.models import Quota

        Quota.objects.get_or_create(identity=instance, defaults=quota_defaults())


def quota_changed(sender, instance, **kwargs) -> None:
    from usage.limits import limits_forget

    limits_forget(instance.identity_id)


def price_changed(sender, instance, **kwargs) -> None:
    from usage.pricing import prices_forget

    prices_forget()
