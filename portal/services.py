"""Portal reads and writes: the signed-in user's identity, their keys, and the lifetimes they may pick."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone

from gateway.selectors import model_table
from tokens.models import ApiToken, Identity
from tokens.quotas import limits_for
from tokens.services import IssuedToken, token_issue, token_revoke, ttl_validate
from tokens.ttl import BadTTL
from usage.quota_use import QuotaUse, Refusal, quota_use, refusal_now
from usage.windows import calendar


class IdentityUnavailable(Exception):
    """The identity named after the user exists already and belongs to someone else (or to nobody yet)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class KeyLimitReached(Exception):
    pass


def identity_name_for(user) -> str:
    return (user.email or user.get_username()).strip()[:200]


def identity_for_user(*, user) -> Identity:
    """The user's identity: the one an admin linked, else one created now and named after the user.

    An identity of that name that is not linked to this user is never taken over silently: names
    come from emails and usernames, and a coincidence must not hand someone another identity's keys.
    """
    identity = Identity.objects.filter(user=user).first()
    if identity is not None:
        return identity
    name = identity_name_for(user)
    try:  # get_or_create's own transaction, never nested in one of ours: Aurora DSQL has no savepoints
        identity, _ = Identity.objects.get_or_create(name=name, defaults={"user": user})
    except IntegrityError:  # a concurrent first request linked one to this user already
        identity = Identity.objects.filter(user=user).first()
        if identity is not None:
            return identity
        raise IdentityUnavailable(name) from None
    if identity.user_id != user.pk:
        raise IdentityUnavailable(name)
    return identity


def portal_ttl_choices() -> list[str]:
    """PORTAL_TTL_CHOICES that TOKEN_MAX_TTL allows, shortest first, one per lifetime (7d and 1w are one)."""
    allowed: dict = {}
    for ttl in (t.strip() for t in settings.PORTAL_TTL_CHOICES):
        try:
            allowed.setdefault(ttl_validate(ttl), ttl)
        except BadTTL:
            continue
    return [allowed[delta] for delta in sorted(allowed)]


def portal_tokens(*, identity: Identity) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(identity=identity).order_by("-created_at")


def portal_token_get(*, identity: Identity, token_id: str) -> ApiToken | None:
    """One of the identity's own tokens; another identity's token id finds nothing."""
    return ApiToken.objects.select_related("identity").filter(identity=identity, token_id=token_id.strip()).first()


def portal_key_create(*, identity: Identity, user, name: str, ttl: str) -> IssuedToken:
    limit = settings.PORTAL_MAX_ACTIVE_KEYS
    if (
        limit
        and portal_tokens(identity=identity).filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).count()
        >= limit
    ):
        raise KeyLimitReached(f"You already have {limit} active keys: revoke one you no longer use first.")
    return token_issue(identity=identity, ttl=ttl, name=name, created_by=f"portal:{user.get_username()}")


def portal_key_revoke(*, token: ApiToken, user) -> bool:
    return token_revoke(token=token, revoked_by=f"portal:{user.get_username()}")


@dataclass(frozen=True)
class ModelChoice:
    name: str
    provider: str


def portal_models(*, identity: Identity) -> list[ModelChoice]:
    """Chat aliases the identity may call: listed ones, narrowed by its quota's allowed models."""
    limits = limits_for(identity.pk)
    specs = sorted((s for s in model_table().specs.values() if s.listed and s.kind == "chat"), key=lambda s: s.name)
    return [ModelChoice(s.name, s.provider) for s in specs if limits.allows(s.name, s.base_model_id)]


def portal_default_model(models: list[ModelChoice], requested: str = "") -> str:
    names = [m.name for m in models]
    for candidate in (requested, settings.DEFAULT_MODEL):
        if candidate in names:
            return candidate
    return names[0] if names else settings.DEFAULT_MODEL


@dataclass(frozen=True)
class Standing:
    """The identity against its quotas, for the banner on every portal page."""

    refusal: Refusal | None
    near: list[QuotaUse]  # at or past the alert share, not used up


def portal_standing(*, identity: Identity) -> Standing:
    limits = limits_for(identity.pk)
    now = calendar.clock()
    uses = quota_use(identity.pk, limits, now)
    share = limits.alert_percent or 100
    near = [use for use in uses if not use.exhausted and use.percent >= share]
    return Standing(refusal_now(identity.pk, uses, now), near)
