"""Reservations in flight are kept as rows, so that a crashed worker's are settled by the reaper.

One CREATE TABLE with its foreign key and unique request id (Aurora DSQL cannot add a required foreign key to an
existing table, and takes no DDL with DML in one transaction: this migration has no data step).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0006_budget_alerts"),
        ("usage", "0006_budget_alerts"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingReservation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("request_id", models.CharField(max_length=40, unique=True)),
                ("expires_at", models.DateTimeField()),
                ("tokens", models.BigIntegerField(default=0, help_text="The reserved estimate.")),
                ("cost_micros", models.BigIntegerField(default=0)),
                (
                    "windows",
                    models.CharField(blank=True, help_text="The windows taken in the database.", max_length=200),
                ),
                ("lease", models.CharField(blank=True, max_length=8)),
                ("identity_name", models.CharField(max_length=200)),
                ("token_id", models.CharField(blank=True, max_length=12)),
                ("endpoint", models.CharField(max_length=40)),
                ("model_requested", models.CharField(max_length=300)),
                ("model_resolved", models.CharField(blank=True, max_length=300)),
                ("streamed", models.BooleanField(default=False)),
                ("client", models.CharField(blank=True, max_length=60)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "identity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tokens.identity"
                    ),
                ),
            ],
        ),
    ]
