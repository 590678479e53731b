"""Usage records (the ledger), per-model prices, and the shared counters that enforce quotas."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from tokens.models import Identity


class UsageRecord(models.Model):
    """One row per authenticated API request, written once when the request settles."""

    request_id = models.CharField(max_length=40, unique=True)
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_records"
    )
    identity_name = models.CharField(max_length=200, help_text="Kept when the identity is deleted.")
    token_id = models.CharField(max_length=12, blank=True)
    endpoint = models.CharField(max_length=40)
    model_requested = models.CharField(max_length=300)
    model_resolved = models.CharField(max_length=300, blank=True)
    region = models.CharField(max_length=30, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0, help_text="Includes cache reads and writes.")
    completion_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0, help_text="Prompt tokens read from Bedrock's cache.")
    cache_write_tokens = models.PositiveIntegerField(default=0)
    usage_estimated = models.BooleanField(default=False, help_text="Bedrock sent no usage (client went away).")
    cost_usd = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal(0))
    latency_ms = models.PositiveIntegerField(default=0)
    streamed = models.BooleanField(default=False)
    status = models.PositiveSmallIntegerField()
    finish_reason = models.CharField(max_length=30, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    client = models.CharField(max_length=60, blank=True)
    disconnected = models.BooleanField(default=False)
    adapted = models.CharField(
        max_length=400, blank=True, help_text="What the gateway adapted or dropped from the request (names only)."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["identity", "created_at"]),
            models.Index(fields=["model_requested", "created_at"]),
            models.Index(fields=["token_id", "created_at"]),  # a key's spend this month
        ]

    def __str__(self) -> str:
        return self.request_id


class UsageDashboard(UsageRecord):
    """The admin's usage dashboard: a proxy so that it is listed (and permissioned) with the usage app."""

    class Meta:
        proxy = True
        verbose_name = "usage dashboard"
        verbose_name_plural = "usage dashboard"


class ModelPrice(models.Model):
    """USD per million tokens for an alias name or a Bedrock model id (without the inference-profile prefix)."""

    model = models.CharField(
        max_length=300,
        unique=True,
        help_text="An alias (claude-4-sonnet) or a Bedrock model id "
        "(anthropic.claude-sonnet-4-20250514-v1:0). An alias's own price wins.",
    )
    input_per_million = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    output_per_million = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    cache_read_per_million = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    cache_write_per_million = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model"]

    def __str__(self) -> str:
        return self.model


class UsageCounter(models.Model):
    """Tokens, spend and requests of one identity in one window; changed only by single conditional statements."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=6)  # minute, day, month
    start = models.DateTimeField()
    requests = models.BigIntegerField(default=0)
    tokens = models.BigIntegerField(default=0)
    cost_micros = models.BigIntegerField(default=0, help_text="Millionths of a US dollar.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity", "period", "start"], name="usage_counter_window")]

    def __str__(self) -> str:
        return f"{self.period} window of {self.identity_id} from {self.start:%Y-%m-%d %H:%M}"


class ConcurrencyLease(models.Model):
    """A request in flight; a lease left by a crashed worker stops counting when it expires."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    request_id = models.CharField(max_length=40, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.request_id


class PendingReservation(models.Model):
    """An admitted request not yet settled: written with its admission, deleted with its settlement, its expiry
    pushed forward by its process's heartbeat. One whose expiry passed belongs to a process that is gone: the reaper
    (`usage.reaper`) settles it at its estimate with an `interrupted` usage record."""

    request_id = models.CharField(max_length=40, unique=True)
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    tokens = models.BigIntegerField(default=0, help_text="The reserved estimate.")
    cost_micros = models.BigIntegerField(default=0)
    windows = models.CharField(max_length=200, blank=True, help_text="The windows taken in the database.")
    lease = models.CharField(max_length=8, blank=True)  # database, redis or empty
    identity_name = models.CharField(max_length=200)
    token_id = models.CharField(max_length=12, blank=True)
    endpoint = models.CharField(max_length=40)
    model_requested = models.CharField(max_length=300)
    model_resolved = models.CharField(max_length=300, blank=True)
    streamed = models.BooleanField(default=False)
    client = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.request_id


class BudgetAlert(models.Model):
    """One alert per identity, quota and window: its share crossed (`near`) or requests refused (`over`).

    The unique constraint makes the alert once per window across every worker: whoever inserts the row
    delivers it.
    """

    NEAR, OVER = "near", "over"

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="budget_alerts")
    quota = models.CharField(max_length=20)  # tokens_per_day, tokens_per_month, usd_per_month
    window_start = models.DateTimeField()
    level = models.CharField(max_length=4, choices=[(NEAR, "near the quota"), (OVER, "refused by the quota")])
    used = models.BigIntegerField(help_text="Tokens, or millionths of a US dollar, when it was raised.")
    limit = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    delivered_to = models.CharField(max_length=200, blank=True, help_text="The channels that took the alert.")
    error = models.CharField(max_length=500, blank=True, help_text="Why a channel failed, if one did.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["identity", "quota", "window_start", "level"], name="budget_alert_once")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.identity_id} {self.level} {self.quota} from {self.window_start:%Y-%m-%d}"
