"""The shared revocation generation: how a revoke in one process reaches every worker's token cache."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from tokens.models import RevocationGeneration

Generation = tuple


def revocation_generation_get() -> Generation:
    """The current generation, compared for equality only (one primary-key read).

    The time of the last bump is part of it, so a restored or rolled-back counter that reaches the
    same number again still counts as a change.
    """
    row = (
        RevocationGeneration.objects.filter(pk=RevocationGeneration.SINGLETON)
        .values_list("value", "changed_at")
        .first()
    )
    return tuple(row) if row else (0, None)


def revocation_generation_bump() -> None:
    """Tell every worker that tokens may have stopped being valid; part of the caller's transaction.

    The row is created if missing with INSERT ... ON CONFLICT DO NOTHING rather than by catching a duplicate: a
    caught error would need a savepoint, which Aurora DSQL does not have (the caller's transaction would be lost).
    """
    bumped = RevocationGeneration.objects.filter(pk=RevocationGeneration.SINGLETON)
    if bumped.update(value=F("value") + 1, changed_at=timezone.now()):
        return
    RevocationGeneration.objects.bulk_create(
        [RevocationGeneration(pk=RevocationGeneration.SINGLETON, value=0)], ignore_conflicts=True
    )
    bumped.update(value=F("value") + 1, changed_at=timezone.now())
