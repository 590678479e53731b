"""Writes for identities and tokens: issuing and revoking. Reads live in `tokens.selectors`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tokens import keyformat
from tokens.models import ApiToken, Identity
from tokens.ttl import BadTTL, format_ttl, parse_ttl


@dataclass(frozen=True)
class IssuedToken:
    token: str          # shown exactly once, never stored
    record: ApiToken

    @property
    def token_id(self) -> str:
        return self.record.token_id

    @property
    def expires_at(self) -> datetime:
        return self.record.expires_at


def ttl_validate(ttl: str) -> timedelta:
    """The lifetime `ttl` stands for, or BadTTL when it is malformed or above TOKEN_MAX_TTL."""
    delta = parse_ttl(ttl)
    ceiling = parse_ttl(settings.TOKEN_MAX_TTL)
    if delta > ceiling:
        raise BadTTL(f"Invalid TTL {ttl!r}: the maximum is {format_ttl(ceiling)}")
    return delta


def identity_get_or_create(*, name: str) -> Identity:
    identity, _ = Identity.objects.get_or_create(name=name.strip())
    return identity


@transaction.atomic
def token_issue(*, identity: Identity, ttl: str, name: str = "", created_by: str = "") -> IssuedToken:
    lifetime = ttl_validate(ttl)
    token, parsed = keyformat.generate()
    record = ApiToken.objects.create(
        token_id=parsed.token_id,
        digest=parsed.digest,
        identity=identity,
        name=name[:100],
        created_by=created_by[:200],
        expires_at=timezone.now() + lifetime,
    )
    return IssuedToken(token=token, record=record)


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke `token`; False when it was already revoked."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    from tokens.authentication import token_cache_forget

    token_cache_forget(token.digest)
    return bool(updated)
