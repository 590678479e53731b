"""Keeping Secrets Manager in step with the token table: the secret pushed after issue, deleted after revoke.

The database decides whether a token works. Each token records its mirror state (pending, synced,
failed, deleted), so an outage never leaves the two sides silently different: `tokens.secrets_sync` (the
`sync_secrets` command, run on a schedule) finishes whatever a failed call left undone.
"""

from __future__ import annotations

import logging

from tokens.models import ApiToken
from tokens.secrets_manager import MirrorError, SecretPayload, get_mirror
from tokens.selectors import token_limits

log = logging.getLogger("sbc.tokens")
State = ApiToken.MirrorState


def _payload(token: ApiToken) -> SecretPayload:
    return SecretPayload(
        token_id=token.token_id,
        identity=token.identity.name,
        digest=token.digest,
        expires_at=token.expires_at.isoformat(timespec="seconds"),
        limits=token_limits(token),
    )


def mirror_state_record(token: ApiToken, state: str, error: str = "") -> None:
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
        mirror_state_record(token, State.FAILED, str(exc))
        log.warning("secret not stored: token_id=%s error=%s", token.token_id, exc)
        return False
    mirror_state_record(token, State.SYNCED)
    return True


def token_mirror_delete(*, token: ApiToken) -> bool:
    """Delete the token's secret; records deleted, or keeps the state with the reason. True when gone."""
    mirror = get_mirror()
    if not mirror.enabled:
        return False
    try:
        mirror.delete(token.token_id)
    except MirrorError as exc:
        mirror_state_record(token, token.mirror_state, str(exc))
        log.warning("secret not deleted: token_id=%s error=%s", token.token_id, exc)
        return False
    mirror_state_record(token, State.DELETED)
    return True
