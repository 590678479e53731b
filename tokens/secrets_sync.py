"""Reconciling Secrets Manager with the token table both ways (the scheduled `sync_secrets` command).

Only this deployment's secrets are reconciled (those tagged with its DEPLOYMENT_ID, see `tokens.secrets_manager`):
whatever a failed push or delete left undone is finished, and secrets of its revoked, expired or unknown tokens are
deleted. A live token whose secret is missing gets it pushed again; only with SECRETS_SYNC_REVOKE_MISSING=on is a
secret deleted by hand taken as a revocation. Another deployment's secrets are never deleted and its tokens are
never revoked, whatever prefix the two share.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from tokens.mirroring import State, mirror_state_record, token_mirror_push
from tokens.secrets_manager import MirrorError, get_mirror, secret_name
from tokens.selectors import tokens_dead, tokens_live
from tokens.services import token_revoke

log = logging.getLogger("sbc.tokens")
HAND_REVOKED_BY = "sync_secrets: secret deleted in Secrets Manager"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)  # live tokens whose secret was missing (pushed again)
    revoked: list[str] = field(default_factory=list)  # tokens whose secret was deleted by hand (when that revokes)
    deleted: list[str] = field(default_factory=list)  # secrets of revoked, expired or unknown tokens
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "revoked": self.revoked, "deleted": self.deleted, "errors": self.errors}


def secrets_sync() -> SyncReport:
    """Reconcile both ways. Raises MirrorError when Secrets Manager cannot even be listed."""
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
                    mirror_state_record(token, State.SYNCED)
            elif (
                token.mirror_state == State.SYNCED
                and settings.SECRETS_SYNC_REVOKE_MISSING
                and not mirror.exists(token.token_id)  # ListSecrets lags; only a consistent read may revoke
            ):
                token_revoke(token=token, revoked_by=HAND_REVOKED_BY)
                report.revoked.append(token.token_id)
            elif token_mirror_push(token=token):  # missing, or there without this deployment's tag: (re)stored
                report.created.append(token.token_id)
            else:
                report.errors.append(f"{token.token_id}: {token.mirror_error}")
        except MirrorError as exc:
            report.errors.append(f"{token.token_id}: {exc}")
    dead = {token.token_id: token for token in tokens_dead()}
    leftovers = {
        token_id
        for token_id, token in dead.items()
        if token.mirror_state in (State.SYNCED, State.PENDING, State.FAILED)
    }
    for token_id in sorted((listed - known) | leftovers):
        dead_token = dead.get(token_id)
        try:
            mirror.delete(token_id)
        except MirrorError as exc:
            report.errors.append(f"{token_id}: {exc}")
            continue
        if dead_token is not None:
            mirror_state_record(dead_token, State.DELETED)
        if token_id in listed:
            report.deleted.append(secret_name(token_id))
    log.info(
        "secrets synced: created=%d revoked=%d deleted=%d errors=%d",
        len(report.created),
        len(report.revoked),
        len(report.deleted),
        len(report.errors),
    )
    return report
