"""Seeds per-model prices for the default aliases, in USD per million tokens.

These are AWS Bedrock on-demand list prices for us-east-1 as published when this was written. They
are list prices to be checked against https://aws.amazon.com/bedrock/pricing/ (and your own
discounts or region) and edited in the admin under Usage > Model prices. Keyed by Bedrock base
model id, so every alias of a model (gpt-4o -> claude-4-sonnet) and its inference profiles share it.
"""

from decimal import Decimal

from django.db import migrations

# model id: (input, output, cache read, cache write)
PRICES = {
    "anthropic.claude-opus-4-1-20250805-v1:0": ("15", "75", "1.50", "18.75"),
    "anthropic.claude-sonnet-4-20250514-v1:0": ("3", "15", "0.30", "3.75"),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": ("3", "15", "0.30", "3.75"),
    "anthropic.claude-3-5-haiku-20241022-v1:0": ("0.80", "4", "0.08", "1.00"),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ("3", "15", "0.30", "3.75"),
    "anthropic.claude-haiku-4-5-20251001-v1:0": ("1", "5", "0.10", "1.25"),
    "anthropic.claude-opus-4-5-20251101-v1:0": ("5", "25", "0.50", "6.25"),
    "anthropic.claude-sonnet-4-6": ("3", "15", "0.30", "3.75"),
    "anthropic.claude-opus-4-6-v1": ("5", "25", "0.50", "6.25"),
    "meta.llama3-3-70b-instruct-v1:0": ("0.72", "0.72", "0", "0"),
    "meta.llama3-1-405b-instruct-v1:0": ("2.40", "2.40", "0", "0"),
    "mistral.mistral-large-2407-v1:0": ("2", "6", "0", "0"),
    "amazon.titan-embed-text-v2:0": ("0.02", "0", "0", "0"),
    "cohere.embed-english-v3": ("0.10", "0", "0", "0"),
    "cohere.embed-multilingual-v3": ("0.10", "0", "0", "0"),
}


def seed(apps, schema_editor):
    ModelPrice = apps.get_model("usage", "ModelPrice")
    for model, (inp, out, read, write) in PRICES.items():
        ModelPrice.objects.get_or_create(
            model=model,
            defaults=dict(
                input_per_million=Decimal(inp),
                output_per_million=Decimal(out),
                cache_read_per_million=Decimal(read),
                cache_write_per_million=Decimal(write),
            ),
        )


def unseed(apps, schema_editor):
    apps.get_model("usage", "ModelPrice").objects.filter(model__in=list(PRICES)).delete()


class Migration(migrations.Migration):
    dependencies = [("usage", "0001_ledger_quotas_prices")]
    operations = [migrations.RunPython(seed, unseed)]
