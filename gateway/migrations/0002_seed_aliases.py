"""Seeds the product's model aliases with today's Bedrock ids; admins edit them afterwards."""

from django.db import migrations

CLAUDE = dict(
    owned_by="anthropic",
    profile="required",
    supports_tools=True,
    supports_streaming_tools=True,
    supports_images=True,
    context_window=200_000,
)

ALIASES = [
    # The product description's table.
    dict(
        name="claude-4-opus",
        bedrock_model_id="anthropic.claude-opus-4-1-20250805-v1:0",
        reasoning="budget",
        prompt_caching=True,
        max_output_tokens=32_000,
        **CLAUDE,
    ),
    dict(
        name="claude-4-sonnet",
        bedrock_model_id="anthropic.claude-sonnet-4-20250514-v1:0",
        reasoning="budget",
        prompt_caching=True,
        max_output_tokens=64_000,
        **CLAUDE,
    ),
    dict(
        name="claude-3.5-sonnet",
        bedrock_model_id="anthropic.claude-3-5-sonnet-20241022-v2:0",
        max_output_tokens=8192,
        **CLAUDE,
    ),
    dict(
        name="claude-3.5-haiku",
        bedrock_model_id="anthropic.claude-3-5-haiku-20241022-v1:0",
        max_output_tokens=8192,
        prompt_caching=True,
        **{**CLAUDE, "supports_images": False},
    ),
    dict(
        name="llama-3.3-70b",
        bedrock_model_id="meta.llama3-3-70b-instruct-v1:0",
        owned_by="meta",
        profile="required",
        supports_streaming_tools=False,
        supports_images=False,
        context_window=128_000,
        max_output_tokens=8192,
    ),
    dict(
        name="llama-3.1-405b",
        bedrock_model_id="meta.llama3-1-405b-instruct-v1:0",
        owned_by="meta",
        profile="optional",
        supports_streaming_tools=False,
        supports_images=False,
        context_window=128_000,
        max_output_tokens=4096,
    ),
    dict(
        name="mistral-large",
        bedrock_model_id="mistral.mistral-large-2407-v1:0",
        owned_by="mistral",
        profile="optional",
        supports_streaming_tools=False,
        supports_images=False,
        context_window=128_000,
        max_output_tokens=8192,
    ),
    # Newer Claude models.
    dict(
        name="claude-sonnet-4.5",
        bedrock_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
        sampling="one",
        reasoning="budget",
        prompt_caching=True,
        max_output_tokens=64_000,
        **CLAUDE,
    ),
    dict(
        name="claude-haiku-4.5",
        bedrock_model_id="anthropic.claude-haiku-4-5-20251001-v1:0",
        sampling="one",
        reasoning="budget",
        prompt_caching=True,
        max_output_tokens=64_000,
        **CLAUDE,
    ),
    dict(
        name="claude-opus-4.5",
        bedrock_model_id="anthropic.claude-opus-4-5-20251101-v1:0",
        sampling="one",
        reasoning="budget",
        prompt_caching=True,
        max_output_tokens=64_000,
        **CLAUDE,
    ),
    dict(
        name="claude-sonnet-4.6",
        bedrock_model_id="anthropic.claude-sonnet-4-6",
        sampling="one",
        reasoning="adaptive",
        prompt_caching=True,
        max_output_tokens=64_000,
        **CLAUDE,
    ),
    dict(
        name="claude-opus-4.6",
        bedrock_model_id="anthropic.claude-opus-4-6-v1",
        sampling="one",
        reasoning="adaptive",
        prompt_caching=True,
        max_output_tokens=128_000,
        **CLAUDE,
    ),
    # Embeddings (InvokeModel).
    dict(
        name="titan-embed-text-v2",
        bedrock_model_id="amazon.titan-embed-text-v2:0",
        kind="embedding",
        owned_by="amazon",
        profile="optional",
        supports_tools=False,
        supports_streaming_tools=False,
        supports_images=False,
        context_window=8192,
        max_output_tokens=0,
    ),
    dict(
        name="cohere-embed-english-v3",
        bedrock_model_id="cohere.embed-english-v3",
        kind="embedding",
        owned_by="cohere",
        profile="optional",
        supports_tools=False,
        supports_streaming_tools=False,
        supports_images=False,
        context_window=512,
        max_output_tokens=0,
    ),
    dict(
        name="cohere-embed-multilingual-v3",
        bedrock_model_id="cohere.embed-multilingual-v3",
        kind="embedding",
        owned_by="cohere",
        profile="optional",
        supports_tools=False,
        supports_streaming_tools=False,
        supports_images=False,
        context_window=512,
        max_output_tokens=0,
    ),
]

# Drop-in names that clients hard-code, pointing at the product's aliases.
COMPAT = {"gpt-4": "claude-4-sonnet", "gpt-4o": "claude-4-sonnet", "gpt-3.5-turbo": "claude-3.5-haiku"}


def _put(ModelAlias, name, fields):
    """Update the alias or create it, without update_or_create's row lock (Aurora DSQL takes no FOR UPDATE)."""
    if not ModelAlias.objects.filter(name=name).update(**fields):
        ModelAlias.objects.create(name=name, **fields)


def seed(apps, schema_editor):
    ModelAlias = apps.get_model("gateway", "ModelAlias")
    for fields in ALIASES:
        _put(ModelAlias, fields["name"], {key: value for key, value in fields.items() if key != "name"})
    for name, target in COMPAT.items():
        _put(
            ModelAlias,
            name,
            {"alias_of": ModelAlias.objects.get(name=target), "bedrock_model_id": "", "owned_by": "sbc"},
        )


def unseed(apps, schema_editor):
    ModelAlias = apps.get_model("gateway", "ModelAlias")
    ModelAlias.objects.filter(name__in=list(COMPAT)).delete()
    ModelAlias.objects.filter(name__in=[a["name"] for a in ALIASES]).delete()


class Migration(migrations.Migration):
    dependencies = [("gateway", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
