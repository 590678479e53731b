"""Quotas now belong to the tokens app (tokens.0004), which keeps this app's table: only the state moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0004_usage_adapted"),
        ("tokens", "0004_quota"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Quota")]),
    ]
