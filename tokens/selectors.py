"""Reads of identities and tokens for the CLI, the admin and the Secrets Manager sync."""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import Q, QuerySet
from django.utils import timezone

from tokens.models import ApiToken, Identity
from tokens.quotas import limits_for


def identity_get(*, name: str) -> Identity | None:
    return Identity.objects.filter(name=name.strip()).first()


def token_get(*, token_id: str) -> ApiToken | None:
    return ApiToken.objects.select_related("identity").filter(token_id=token_id.strip()).first()


def tokens_live() -> QuerySet[ApiToken]:
    """Tokens that are neither revoked nor expired (their identity may be deactivated)."""
    return ApiToken.objects.select_related("identity").filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def tokens_dead() -> QuerySet[ApiToken]:
    """Revoked or expired tokens."""
    return ApiToken.objects.select_related("identity").filter(
        Q(revoked_at__isnull=False) | Q(expires_at__lte=timezone.now())
    )


def token_list(*, identity: Identity | None = None, include_inactive: bool = False) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.select_related("identity") if include_inactive else tokens_live()
    if identity is not None:
        tokens = tokens.filter(identity=identity)
    return tokens.order_by("identity__name", "-created_at")


def token_limits(token: ApiToken) -> dict:
    """The limits that apply to `token` (its identity's quota), as recorded next to it in Secrets Manager.

    Only the limits that are set appear; an empty dict means unlimited. The alert share is not a limit and
    stays out.
    """
    limits = asdict(limits_for(token.identity_id))
    limits.pop("alert_percent")
    return {key: sorted(value) if isinstance(value, frozenset) else value for key, value in limits.items() if value}
