"""Django admin for identities and tokens: list, filter, issue (shown once, after a redirect), revoke.

A token's value is shown once, on the page the issuing POST redirects to (held sealed for that one view,
see `core.one_time`): never in messages, a URL or a LogEntry; the digest is never displayed. The usage app
adds this month's spend to both lists (`usage.spend_admin`).
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from core.admin_search import BoundedSearchMixin
from core.one_time import key_hold, key_take
from tokens.models import ApiToken, Identity, Quota
from tokens.offboarding_admin import register as register_user_admin
from tokens.secrets_manager import get_mirror, secret_name
from tokens.selectors import tokens_live
from tokens.services import identity_revoke_all, identity_set_active, token_issue, token_revoke, ttl_validate
from tokens.ttl import BadTTL

if TYPE_CHECKING:  # the type checker's own helper, not installed where the gateway runs
    from django_stubs_ext import WithAnnotations

TTL_CHOICES = ("1d", "7d", "30d", "90d", "180d", "365d")
PRICE_TABLE = Path("deploy") / "cost" / "prices.toml"  # the table `make cost` prices every shape from
TOKEN_FIELDS = (
    "token_id",
    "identity",
    "name",
    "status",
    "created_at",
    "created_by",
    "expires_at",
    "revoked_at",
    "revoked_by",
    "last_used_at",
    "mirror_state",
    "mirror_error",
)


def secret_price() -> dict[str, Any] | None:
    """Secrets Manager's price per secret a month, from the price table; None when this package has no table."""
    try:
        table = tomllib.loads((Path(settings.BASE_DIR) / PRICE_TABLE).read_text())
        secret = table["price"]["secret"]
        return {"usd": Decimal(str(secret["usd"])), "region": table["region"], "read": secret["read"]}
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return None


def mirror_cost() -> dict[str, Any]:
    """What the Secrets Manager mirror costs a month at today's count of live tokens (one secret each)."""
    live, price = tokens_live().count(), secret_price()
    return {
        "enabled": get_mirror().enabled,
        "live": live,
        "price": price,
        "monthly": price["usd"] * live if price else None,
    }


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked"))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


def _ttl_choices() -> list[tuple[str, str]]:
    allowed = []
    for ttl in dict.fromkeys((*TTL_CHOICES, settings.TOKEN_DEFAULT_TTL)):
        try:
            allowed.append((ttl_validate(ttl), ttl))
        except BadTTL:
            continue
    return [(ttl, ttl) for _, ttl in sorted(allowed)]


class IssueTokenForm(forms.Form):
    identity = forms.ModelChoiceField(queryset=Identity.objects.filter(is_active=True))
    name = forms.CharField(max_length=100, required=False, help_text="a label, e.g. 'laptop' or 'ci'")
    ttl = forms.ChoiceField(label="Lifetime", choices=_ttl_choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ttl"].initial = settings.TOKEN_DEFAULT_TTL


def _who(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


class TokenInline(admin.TabularInline):
    model = ApiToken
    fields = ("token_id", "name", "status", "expires_at", "last_used_at", "mirror_state")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class QuotaInline(admin.StackedInline):
    model = Quota
    can_delete = False
    extra = 0
    max_num = 1
    fields = (
        ("tokens_per_day", "tokens_per_month", "usd_per_month"),
        ("requests_per_minute", "tokens_per_minute", "concurrent_streams"),
        "allowed_models",
    )
    verbose_name = verbose_name_plural = "Quota and rate limits (empty = unlimited)"


class LiveTokens(TypedDict):
    live_tokens: int  # annotated by IdentityAdmin.get_queryset


@admin.register(Identity)
class IdentityAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display: tuple[str, ...] = ("name", "user", "is_active", "active_tokens", "created_at")
    list_filter: ClassVar[tuple[Any, ...]] = ("is_active",)
    search_fields = ("name", "user__username", "notes")
    readonly_fields = ("created_at",)
    inlines = [QuotaInline, TokenInline]
    actions = ["revoke_all_tokens"]

    def get_queryset(self, request):
        live = Q(tokens__revoked_at__isnull=True, tokens__expires_at__gt=timezone.now())
        return super().get_queryset(request).annotate(live_tokens=Count("tokens", filter=live))

    @admin.display(description="active tokens", ordering="live_tokens")
    def active_tokens(self, obj: WithAnnotations[Identity, LiveTokens]) -> int:
        return obj.live_tokens

    def has_delete_permission(self, request, obj=None):
        # Deleting would erase the tokens' audit trail; deactivate the identity instead.
        return False

    def save_model(self, request, obj, form, change):
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            identity_set_active(identity=obj, active=False)

    @admin.action(description="Revoke all tokens of selected identities", permissions=["change"])
    def revoke_all_tokens(self, request, queryset):
        total = 0
        for identity in queryset:
            count = identity_revoke_all(identity=identity, revoked_by=_who(request))
            if count:
                self.log_change(request, identity, f"Revoked all {count} token(s)")
            total += count
        self.message_user(request, f"Revoked {total} token(s) of {queryset.count()} identities.", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display: tuple[str, ...] = ("token_id", "identity", "name", "status", "expires_at", "last_used_at")
    list_filter = (StatusFilter, "mirror_state", "identity")
    list_select_related = ("identity",)
    search_fields = ("token_id", "name", "identity__name")
    fields = TOKEN_FIELDS
    readonly_fields = tuple(f for f in TOKEN_FIELDS if f != "name")
    actions = ["revoke_selected"]
    change_list_template = "admin/tokens/apitoken/change_list.html"

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row is the audit trail

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "mirror_cost": mirror_cost()})

    def get_urls(self):
        issue = path("issue/", self.admin_site.admin_view(self.issue_view), name="tokens_apitoken_issue")
        issued = path("issued/", self.admin_site.admin_view(self.issued_view), name="tokens_apitoken_issued")
        revoke = path(
            "<path:object_id>/revoke/", self.admin_site.admin_view(self.revoke_view), name="tokens_apitoken_revoke"
        )
        return [issue, issued, revoke, *super().get_urls()]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Revoke one token from its own page, after a confirmation page (a GET never revokes)."""
        token = self.get_object(request, object_id)
        if token is None:
            raise Http404("No such token")
        if not self.has_change_permission(request, token):
            raise PermissionDenied
        change_page = reverse("admin:tokens_apitoken_change", args=[token.pk])
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            if token_revoke(token=token, revoked_by=_who(request)):
                self.log_change(request, token, "Revoked")
                self.message_user(request, f"Token {token.token_id} is revoked.", messages.SUCCESS)
            else:
                self.message_user(request, f"Token {token.token_id} was already revoked.", messages.INFO)
            return HttpResponseRedirect(change_page)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Revoke token {token.token_id}?",
            "token": token,
        }
        return TemplateResponse(request, "admin/tokens/apitoken/revoke.html", context)

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:tokens_apitoken_issue"))

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueTokenForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Issue token",
            "form": form,
            "media": self.media + form.media,
        }
        if request.method == "POST" and form.is_valid():
            issued = token_issue(
                identity=form.cleaned_data["identity"],
                ttl=form.cleaned_data["ttl"],
                name=form.cleaned_data["name"],
                created_by=_who(request),
            )
            self.log_addition(request, issued.record, [{"added": {}}])
            target = reverse("admin:tokens_apitoken_issued")
            onward = HttpResponseRedirect(target)  # a reload of what follows can never issue another token
            key_hold(request, onward, token_id=issued.record.token_id, key=issued.token, path=target)
            return onward
        response = TemplateResponse(request, "admin/tokens/apitoken/issue.html", context)
        add_never_cache_headers(response)
        return response

    def issued_view(self, request: HttpRequest) -> HttpResponse:
        """The token just issued, shown once; on a reload, a plain word that it is no longer shown."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Token issued"}
        response = TemplateResponse(request, "admin/tokens/apitoken/issued.html", context)
        add_never_cache_headers(response)
        shown = key_take(request, response, path=reverse("admin:tokens_apitoken_issued"))
        record = ApiToken.objects.select_related("identity").filter(token_id=shown.token_id).first() if shown else None
        if shown is None or record is None:
            context.update(title="Token no longer shown", gone=True)
            return response
        context.update(
            token=shown.key, record=record, mirror=get_mirror().enabled, secret_name=secret_name(record.token_id)
        )
        return response

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("identity"):
            if token_revoke(token=token, revoked_by=_who(request)):
                self.log_change(request, token, "Revoked")
                revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


register_user_admin()  # the user admin, saying which keys deactivating or deleting a user stops
