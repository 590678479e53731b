"""Identities (people and pipelines), their quotas and their API tokens; only a token's SHA-256 digest is stored."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

# What a Secrets Manager tag value accepts, since the name is the secret's `identity` tag.
IDENTITY_NAME_VALIDATOR = RegexValidator(
    r"^[\w.:/=+@ -]+$", "Use letters, digits, spaces and . : / = + - @ _ only (e.g. jane.doe@dev or ci-pipeline)."
)


class Identity(models.Model):
    name = models.CharField(
        max_length=200, unique=True, validators=[IDENTITY_NAME_VALIDATOR], help_text="e.g. jane.doe@dev or ci-pipeline"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="identity",
        help_text="Django user who manages this identity's keys",
    )
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "identities"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    class MirrorState(models.TextChoices):
        DISABLED = "disabled", "Mirror off"
        PENDING = "pending", "Pending"
        SYNCED = "synced", "In Secrets Manager"
        FAILED = "failed", "Failed (retried by sync_secrets)"
        DELETED = "deleted", "Secret deleted"

    token_id = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=200, blank=True, help_text="who or what revoked the token")
    last_used_at = models.DateTimeField(null=True, blank=True)
    mirror_state = models.CharField(max_length=10, choices=MirrorState.choices, default=MirrorState.DISABLED)
    mirror_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["identity", "revoked_at", "expires_at"])]
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def __str__(self) -> str:
        return f"{self.token_id} ({self.identity.name})"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class RevocationGeneration(models.Model):
    """One row whose `value` grows with every revoke or deactivation.

    Every worker polls it (about once a second) and drops its cached token lookups when it moves, so a
    revoke made in any process takes effect everywhere without waiting for the lookup cache to expire.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    value = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"revocation generation {self.value}"


class Quota(models.Model):
    """An identity's limits. Empty (or 0) means unlimited."""

    identity = models.OneToOneField(Identity, on_delete=models.CASCADE, related_name="quota")
    tokens_per_day = models.PositiveBigIntegerField(null=True, blank=True, help_text="Calendar UTC day.")
    tokens_per_month = models.PositiveBigIntegerField(null=True, blank=True, help_text="Calendar UTC month.")
    usd_per_month = models.DecimalField(
        "USD per month",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Spend per calendar UTC month, at the prices in Model prices.",
    )
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    tokens_per_minute = models.PositiveIntegerField(null=True, blank=True)
    concurrent_streams = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests in flight at once, streamed or not."
    )
    allowed_models = models.TextField(
        blank=True, help_text="Model names or Bedrock ids, one per line or comma-separated. Empty: every model."
    )
    alert_percent = models.PositiveSmallIntegerField(
        "alert at (% of a quota)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Notify once per day or month when its token or spend quota reaches this share, and when "
        "requests are refused. Empty: no alerts.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "usage_quota"  # created by the usage app, which owned quotas before tokens did

    def __str__(self) -> str:
        return f"Quota for {self.identity_id}"

    def clean(self) -> None:
        if len(self.allowed_models) > 10_000:
            raise ValidationError({"allowed_models": "Too long."})
