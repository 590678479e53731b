"""Adds the structured-output capability, native only for the Claude 4.5+ aliases Bedrock documents it for."""

from django.db import migrations, models

from core.dsql_migrations import operations as dsql

NATIVE = ["claude-sonnet-4.5", "claude-haiku-4.5", "claude-opus-4.5", "claude-sonnet-4.6", "claude-opus-4.6"]


def mark_native(apps, schema_editor):
    apps.get_model("gateway", "ModelAlias").objects.filter(name__in=NATIVE).update(structured_output="native")


class Migration(migrations.Migration):
    dependencies = [("gateway", "0002_seed_aliases")]
    operations = [
        dsql.AddField(
            model_name="modelalias",
            name="structured_output",
            field=models.CharField(
                choices=[("native", "Native (outputConfig.textFormat)"), ("tool", "Forced tool call")],
                default="tool",
                help_text="How response_format json_schema is honoured.",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_native, migrations.RunPython.noop),
    ]
