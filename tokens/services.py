"""Writes for identities and tokens: issuing, revoking, (de)activating. Reads live in `tokens.selectors`.

The database is the source of truth; Secrets Manager is updated after the commit (`tokens.mirroring`),
and a failure there is recorded on the token for `sync_secrets` to finish.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.recorder import audit_revoked
from core.db_retry import retry_on_conflict
from tokens import keyformat
from tokens.authentication import token_cache_forget
from tokens.mirroring import token_mirror_delete, token_mirror_push
from tokens.models import ApiToken, Identity
from tokens.revocation import revocation_generation_bump
from tokens.secrets_manager import get_mirror
from tokens.ttl import BadTTL, format_ttl, parse_ttl

log = logging.getLogger("sbc.tokens")


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown exactly once, never stored
    record: ApiToken

    def __repr__(self) -> str:  # keeps the token out of tracebacks and debug output
        return f"IssuedToken(token_id={self.record.token_id!r})"

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
    """The identity called `name`, created when missing; ValidationError for a name that is not allowed."""
    name = name.strip()
    identity = Identity.objects.filter(name=name).first()
    if identity is None:
        Identity._meta.get_field("name").run_validators(name)
        identity, _ = Identity.objects.get_or_create(name=name)
    return identity


@retry_on_conflict
def _identity_active_write(identity_pk: int, active: bool) -> None:
    with transaction.atomic():
        Identity.objects.filter(pk=identity_pk).update(is_active=active)
        if not active:
            revocation_generation_bump()


def identity_set_active(*, identity: Identity, active: bool) -> None:
    """Activate or deactivate; a deactivated identity's tokens stop working on the next request."""
    _identity_active_write(identity.pk, active)
    identity.is_active = active
    if not active:
        token_cache_forget()
        log.info("identity deactivated: identity=%s", identity.name)


def token_issue(*, identity: Identity, ttl: str, name: str = "", created_by: str = "") -> IssuedToken:
    """A new token for `identity`; its secret is created in Secrets Manager once the row is committed."""
    lifetime = ttl_validate(ttl)
    token, parsed = keyformat.generate()
    state = ApiToken.MirrorState.PENDING if get_mirror().enabled else ApiToken.MirrorState.DISABLED

    @retry_on_conflict
    def insert() -> ApiToken:
        with transaction.atomic():
            record = ApiToken.objects.create(
                token_id=parsed.token_id,
                digest=parsed.digest,
                identity=identity,
                name=name.strip()[:100],
                created_by=created_by[:200],
                expires_at=timezone.now() + lifetime,
                mirror_state=state,
            )
            if state == ApiToken.MirrorState.PENDING:
                transaction.on_commit(lambda: token_mirror_push(token=record))
        return record

    record = insert()
    log.info("token issued: token_id=%s identity=%s by=%s", record.token_id, identity.name, created_by)
    return IssuedToken(token=token, record=record)


def token_revoke(*, token: ApiToken, revoked_by: str = "") -> bool:
    """Revoke `token` everywhere on the next request; False when it was already revoked.

    Its secret is deleted after the commit; if Secrets Manager is down the token stays revoked and
    `sync_secrets` deletes the secret later.
    """

    @retry_on_conflict
    def update() -> int:
        with transaction.atomic():
            updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_by=revoked_by[:200]
            )
            if updated:
                revocation_generation_bump()
                if token.mirror_state != ApiToken.MirrorState.DISABLED:
                    transaction.on_commit(lambda: token_mirror_delete(token=token))
        return updated

    updated = update()
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    token_cache_forget(token.digest)
    if updated:
        log.info("token revoked: token_id=%s by=%s", token.token_id, revoked_by)
        audit_revoked(token)  # every revoke, whoever made it: admin, portal, CLI, sync, offboarding
    return bool(updated)


def identity_revoke_all(*, identity: Identity, revoked_by: str = "") -> int:
    """Revoke every unrevoked token of `identity`; how many were revoked."""
    tokens = list(ApiToken.objects.select_related("identity").filter(identity=identity, revoked_at__isnull=True))
    return sum(token_revoke(token=token, revoked_by=revoked_by) for token in tokens)
