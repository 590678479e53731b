"""Model aliases in the admin: add a Bedrock model, rename one, point a compatibility name at another, hide it."""

from __future__ import annotations

from django.contrib import admin

from core.admin_search import BoundedSearchMixin
from gateway.models import ModelAlias
from gateway.registry import MAX_ALIAS_DEPTH
from gateway.selectors import model_table_forget


@admin.register(ModelAlias)
class ModelAliasAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "target",
        "kind_of_target",
        "reasoning_of_target",
        "caching_of_target",
        "structured_output_of_target",
        "context_of_target",
        "is_enabled",
        "is_listed",
    )
    list_filter = ("kind", "owned_by", "reasoning", "prompt_caching", "structured_output", "is_enabled", "is_listed")
    list_editable = ("is_enabled", "is_listed")
    search_fields = ("name", "bedrock_model_id", "alias_of__name")
    autocomplete_fields = ("alias_of",)
    readonly_fields = ("created_at", "updated_at", "capabilities_of_target")
    alias_fieldsets = (
        (None, {"fields": ("name", "alias_of", "is_enabled", "is_listed")}),
        ("From the model it points at", {"fields": ("capabilities_of_target",)}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )
    fieldsets = (
        (None, {"fields": ("name", "alias_of", "bedrock_model_id", "kind", "owned_by", "is_enabled", "is_listed")}),
        ("Calling Bedrock", {"fields": ("profile", "sampling", "context_window", "max_output_tokens")}),
        (
            "Capabilities",
            {
                "fields": (
                    "supports_tools",
                    "supports_streaming_tools",
                    "supports_images",
                    "reasoning",
                    "prompt_caching",
                    "structured_output",
                )
            },
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Bedrock model", ordering="bedrock_model_id")
    def target(self, alias: ModelAlias) -> str:
        return f"→ {alias.alias_of.name}" if alias.alias_of_id else alias.bedrock_model_id

    # An alias is called with its target's settings: the list and the form show those, not the alias row's own.
    @staticmethod
    def effective(alias: ModelAlias) -> ModelAlias:
        target = alias
        for _ in range(MAX_ALIAS_DEPTH):
            if target.alias_of is None:
                break
            target = target.alias_of
        return target

    @admin.display(description="kind")
    def kind_of_target(self, alias: ModelAlias) -> str:
        return self.effective(alias).get_kind_display()

    @admin.display(description="reasoning")
    def reasoning_of_target(self, alias: ModelAlias) -> str:
        return self.effective(alias).get_reasoning_display()

    @admin.display(description="prompt caching", boolean=True)
    def caching_of_target(self, alias: ModelAlias) -> bool:
        return self.effective(alias).prompt_caching

    @admin.display(description="structured output")
    def structured_output_of_target(self, alias: ModelAlias) -> str:
        return self.effective(alias).get_structured_output_display()

    @admin.display(description="context window")
    def context_of_target(self, alias: ModelAlias) -> str:
        return f"{self.effective(alias).context_window:,}"

    @admin.display(description="capabilities")
    def capabilities_of_target(self, alias: ModelAlias) -> str:
        target = self.effective(alias)
        return (
            f"{target.name} ({target.bedrock_model_id}): {target.get_kind_display()}, "
            f"reasoning {target.get_reasoning_display()}, tools {'yes' if target.supports_tools else 'no'}, "
            f"images {'yes' if target.supports_images else 'no'}, prompt caching "
            f"{'on' if target.prompt_caching else 'off'}, context window {target.context_window:,}, "
            f"max output {target.max_output_tokens:,} tokens. Edit them on {target.name}."
        )

    def get_fieldsets(self, request, obj=None):
        return self.alias_fieldsets if obj is not None and obj.alias_of_id else self.fieldsets

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("alias_of__alias_of")

    # A change applies in this process at once and in every other within MODEL_CACHE_SECONDS.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        model_table_forget()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        model_table_forget()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        model_table_forget()
