"""Keeping Secrets Manager in step with the token table: push after issue, delete after revoke, sync.

The database decides whether a token works. Each token records its mirror state (pending, synced,
failed, deleted), so an outage never leaves the two sides silently different: `secrets_sync` (the
`sync_secrets` command, run on a schedule) finishes whatever a failed call left undone, and revokes a
token whose secret an operator deleted by hand.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field


from tokens.mirror import MirrorError, SecretPayload, get_mirror, secret_name
from tokens.models import ApiToken
from tokens.selectors import token_limits, tokens_dead, tokens_live

log = logging.getLogger("sbc.tokens")
State = ApiToken.MirrorState
HAND_REVOKED_BY = "sync_secrets: secret deleted in Secrets Manager"


def _payload(token: ApiToken) -> SecretPayload:
    return SecretPayload(token_id=token.token_id, identity=token.identity.name, digest=token.digest,
                         expires_at=token.expires_at.isoformat(timespec="seconds"), limits=token_limits(token))


def _record(token: ApiToken, state: str, error: str = "") -> None:
    ApiToken.objects.filter(pk=token.pk).update(mirror_state=state, mirror_error=error[:2000])
    token.mirror_state, token.mirror_error = state, error[:2000]


def token_mirror_push(*, token: ApiToken) -> bool:
    """Create the token's secret; records synced, or failed with the reason. True when stored."""
    mirror = get_mirror()
    if not mirror.enabled:
        return False
    try:
        mirror.put(_payload(token))
    except MirrorError as exc:
        _record(token, State.FAILED, str(exc))
        log.warning("secret not stored: token_id=%s error=%s", token.token_id, exc)
        return False
    _record(token, State.SYNCED)
    return True


def token_mirror_delete(*, token: ApiToken) -> bool:
    """Delete the token's secret; records deleted, or keeps the state with the reason. True when gone."""
    mirror = get_mirror()
    if not mirror.enabled:
        return False
    try:
        mirror.delete(token.token_id)
    except MirrorError as exc:
        _record(token, token.mirror_state, str(exc))
        log.warning("secret not deleted: token_id=%s error=%s", token.token_id, exc)
        return False
    _record(token, State.DELETED)
    return True


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)          # live tokens whose secret was missing
    revoked: list[str] = field(default_factory=list)          # tokens whose secret was deleted by hand
    deleted: list[str] = field(default_factory=list)          # secrets of revoked, expired or unknown tokens
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "revoked": self.revoked, "deleted": self.deleted, "errors": self.errors}


def secrets_sync() -> SyncReport:
    """Reconcile both ways. Raises MirrorError when Secrets Manager cannot even be listed."""
    from tokens.services import token_revoke

    mirror = get_mirror()
    report = SyncReport()
    if not mirror.enabled:
        return report
    listed = mirror.list_token_ids()
    known: set[str] = set()
    for token in tokens_live():
        known.add(token.token_id)
        try:
            if token.token_id in listed:
                if token.mirror_state != State.SYNCED:
                    _record(token, State.SYNCED)
            elif token.mirror_state == State.SYNCED:
                # ListSecrets lags; only a strongly consistent read may revoke a token.
                if not mirror.exists(token.token_id):
                    token_revoke(token=token, revoked_by=HAND_REVOKED_BY)
                    report.revoked.append(token.token_id)
            elif token_mirror_push(token=token):
                report.created.append(token.token_id)
            else:
                report.errors.append(f"{token.token_id}: {token.mirror_error}")
        except MirrorError as exc:
            report.errors.append(f"{token.token_id}: {exc}")
    dead = {token.token_id: token for token in tokens_dead()}
    leftovers = {token_id for token_id, token in dead.items()
                 if token.mirror_state in (State.SYNCED, State.PENDING, State.FAILED)}
    for token_id in sorted((listed - known) | leftovers):
        token = dead.get(token_id)
        try:
            mirror.delete(token_id)
        except MirrorError as exc:
            report.errors.append(f"{token_id}: {exc}")
            continue
        if token is not None:
            _record(token, State.DELETED)
        if token_id in listed:
            report.deleted.append(secret_name(token_id))
    log.info("secrets synced: created=%d revoked=%d deleted=%d errors=%d", len(report.created),
             len(report.revoked), len(report.deleted), len(report.errors))
    return report
