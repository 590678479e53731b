"""Stored Responses API responses and conversations, kept RESPONSES_RETENTION_DAYS for state across requests."""

import django.db.models.deletion
from django.db import migrations, models

from core.fields import JSONTextField


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0003_modelalias_structured_output"),
        ("tokens", "0003_identity_name_validator"),
    ]

    operations = [
        migrations.CreateModel(
            name="Conversation",
            fields=[
                ("id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("metadata", JSONTextField(default=dict)),
                ("items", JSONTextField(default=list)),
                (
                    "identity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tokens.identity"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="StoredResponse",
            fields=[
                ("id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("chain", JSONTextField(default=list)),
                ("input_items", JSONTextField(default=list)),
                ("body", JSONTextField()),
                (
                    "conversation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="responses",
                        to="gateway.conversation",
                    ),
                ),
                (
                    "identity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tokens.identity"
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["identity", "expires_at"], name="gateway_conv_identity_exp"),
        ),
        migrations.AddIndex(
            model_name="storedresponse",
            index=models.Index(fields=["conversation", "created_at"], name="gateway_resp_conv_created"),
        ),
    ]
