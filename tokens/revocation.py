"""The shared revocation generation: how a revoke in one process reaches every worker's token cache."""

from __future__ import annotations

from django.db import IntegrityError, transaction
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
    """Tell every worker that tokens may have stopped being valid; part of the caller's transaction."""
    updated = RevocationGeneration.objects.filter(pk=RevocationGeneration.SINGLETON).update(
        value=F("value") + 1, changed_at=timezone.now()
    )
    if updated:
        return
    try:
        with transaction.atomic():
            RevocationGeneration.objects.create(pk=RevocationGeneration.SINGLETON, value=1)
    except IntegrityError:  # another process created it first
        RevocationGeneration.objects.filter(pk=RevocationGeneration.SINGLETON).update(
            value=F("value") + 1, changed_at=timezone.now()
        )
