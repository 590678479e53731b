"""Anthropic message threads: each turn kept under its reply's id, for `thread: continue`."""

import django.db.models.deletion
from django.db import migrations, models

from core.fields import JSONTextField


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0004_stored_responses"),
        ("tokens", "0003_identity_name_validator"),
    ]

    operations = [
        migrations.CreateModel(
            name="ThreadTurn",
            fields=[
                ("id", models.CharField(max_length=128, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("chain", JSONTextField(default=list)),
                ("fields", JSONTextField(default=dict)),
                ("messages", JSONTextField(default=list)),
                (
                    "identity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tokens.identity"
                    ),
                ),
            ],
        ),
    ]
