"""Model aliases: what a requested model name means on Bedrock and what that model can do."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from core.fields import JSONTextField


class ModelAlias(models.Model):
    class Kind(models.TextChoices):
        CHAT = "chat", "Chat (Converse)"
        EMBEDDING = "embedding", "Embedding (InvokeModel)"

    class Profile(models.TextChoices):
        REQUIRED = "required", "Needs a cross-region inference profile"
        OPTIONAL = "optional", "Base model id works on demand"

    class Sampling(models.TextChoices):
        BOTH = "both", "temperature and top_p"
        ONE = "one", "temperature or top_p, not both"
        NONE = "none", "no sampling parameters"

    class StructuredOutput(models.TextChoices):
        NATIVE = "native", "Native (outputConfig.textFormat)"
        TOOL = "tool", "Forced tool call"

    class Reasoning(models.TextChoices):
        NONE = "none", "No reasoning"
        BUDGET = "budget", "Thinking with a token budget"
        ADAPTIVE = "adaptive", "Adaptive thinking with effort"

    name = models.CharField(max_length=100, unique=True, help_text="What clients send as `model`.")
    alias_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="aliases",
        help_text="Make this name an alias of another one (e.g. gpt-4o -> claude-4-sonnet).",
    )
    bedrock_model_id = models.CharField(
        max_length=300, blank=True, help_text="Base Bedrock model id, e.g. anthropic.claude-sonnet-4-20250514-v1:0"
    )
    profile = models.CharField(max_length=10, choices=Profile.choices, default=Profile.REQUIRED)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHAT)
    owned_by = models.CharField(max_length=50, default="anthropic")
    supports_tools = models.BooleanField(default=True)
    supports_streaming_tools = models.BooleanField(default=True)
    supports_images = models.BooleanField(default=True)
    sampling = models.CharField(max_length=5, choices=Sampling.choices, default=Sampling.BOTH)
    reasoning = models.CharField(max_length=10, choices=Reasoning.choices, default=Reasoning.NONE)
    prompt_caching = models.BooleanField(default=False, help_text="Add cache points automatically.")
    structured_output = models.CharField(
        max_length=10,
        choices=StructuredOutput.choices,
        default=StructuredOutput.TOOL,
        help_text="How response_format json_schema is honoured.",
    )
    context_window = models.PositiveIntegerField(default=200_000)
    max_output_tokens = models.PositiveIntegerField(default=8192)
    is_enabled = models.BooleanField(default=True)
    is_listed = models.BooleanField(default=True, help_text="Shown in /v1/models.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "model alias"
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.alias_of_id and self.alias_of_id == self.pk:
            raise ValidationError({"alias_of": "A name cannot be an alias of itself."})
        if not self.alias_of_id and not self.bedrock_model_id:
            raise ValidationError({"bedrock_model_id": "Give a Bedrock model id or make this an alias."})


class Conversation(models.Model):
    """A Responses API conversation (`conv_...`): the items it was created with; responses added to it hold the
    rest. It lives RESPONSES_RETENTION_DAYS past its last response."""

    id = models.CharField(primary_key=True, max_length=64)
    identity = models.ForeignKey("tokens.Identity", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    metadata = JSONTextField(default=dict)
    items = JSONTextField(default=list)  # the client's own items, each with its id

    class Meta:
        indexes = [models.Index(fields=["identity", "expires_at"], name="gateway_conv_identity_exp")]

    def __str__(self) -> str:
        return self.id


class StoredResponse(models.Model):
    """A `response` object kept for `previous_response_id`, `item_reference` and `GET /v1/responses/{id}`:
    one row, written once when the answer is complete. Its items are the client's own conversation."""

    id = models.CharField(primary_key=True, max_length=64)
    identity = models.ForeignKey("tokens.Identity", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    chain = JSONTextField(default=list)  # ids of the responses before this one (previous_response_id), oldest first
    input_items = JSONTextField(default=list)  # this request's input, item references resolved, each with its id
    body = JSONTextField()  # the response object; reasoning items keep Claude's signature

    class Meta:
        indexes = [models.Index(fields=["conversation", "created_at"], name="gateway_resp_conv_created")]

    def __str__(self) -> str:
        return self.id


class ThreadTurn(models.Model):
    """One turn of an Anthropic message thread (the `message-threads` beta): the messages the turn sent and the
    reply, kept under the reply's id so that `thread: continue` from it can rebuild the whole conversation.
    Kept as long as stored responses (RESPONSES_RETENTION_DAYS), for the identity that made it only."""

    id = models.CharField(primary_key=True, max_length=128)  # the reply's message id (`msg_...`)
    identity = models.ForeignKey("tokens.Identity", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    chain = JSONTextField(default=list)  # ids of the turns before this one, oldest first
    fields = JSONTextField(default=dict)  # what the thread was created with (system, tools): a continue keeps them
    messages = JSONTextField(default=list)  # this turn's new messages, then the reply as an assistant message

    def __str__(self) -> str:
        return self.id
