"""Model aliases in the admin: add a Bedrock model, rename one, point a compatibility name at another, hide it."""

from __future__ import annotations

from django.contrib import admin

from core.admin_search import BoundedSearchMixin
from gateway.models import ModelAlias
from gateway.selectors import model_table_forget


@admin.register(ModelAlias)
class ModelAliasAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "target",
        "kind",
        "reasoning",
        "prompt_caching",
        "structured_output",
        "context_window",
        "is_enabled",
        "is_listed",
    )
    list_filter = ("kind", "owned_by", "reasoning", "prompt_caching", "structured_output", "is_enabled", "is_listed")
    list_editable = ("is_enabled", "is_listed")
    search_fields = ("name", "bedrock_model_id", "alias_of__name")
    autocomplete_fields = ("alias_of",)
    readonly_fields = ("created_at", "updated_at")
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

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("alias_of")

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
