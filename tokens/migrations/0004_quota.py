"""Quotas belong to identities: the model moves here from the usage app, its table (usage_quota) unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0003_identity_name_validator"),
        ("usage", "0004_usage_adapted"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Quota",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "tokens_per_day",
                            models.PositiveBigIntegerField(blank=True, help_text="Calendar UTC day.", null=True),
                        ),
                        (
                            "tokens_per_month",
                            models.PositiveBigIntegerField(blank=True, help_text="Calendar UTC month.", null=True),
                        ),
                        (
                            "usd_per_month",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                help_text="Spend per calendar UTC month, at the prices in Model prices.",
                                max_digits=12,
                                null=True,
                            ),
                        ),
                        ("requests_per_minute", models.PositiveIntegerField(blank=True, null=True)),
                        ("tokens_per_minute", models.PositiveIntegerField(blank=True, null=True)),
                        (
                            "concurrent_streams",
                            models.PositiveIntegerField(
                                blank=True, help_text="Requests in flight at once, streamed or not.", null=True
                            ),
                        ),
                        (
                            "allowed_models",
                            models.TextField(
                                blank=True,
                                help_text="Model names or Bedrock ids, one per line or comma-separated. Empty: every model.",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "identity",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE, related_name="quota", to="tokens.identity"
                            ),
                        ),
                    ],
                    options={"db_table": "usage_quota"},
                ),
            ]
        ),
    ]
