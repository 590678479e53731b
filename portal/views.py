"""Portal pages: "My keys" with creation (the key shown once), revoke with confirmation, setup snippets
and "Test connection".

A new key is shown once, on the page the creating POST redirects to (held sealed for that one view, see
`core.one_time`), and, when its owner posts it back to test it, in that response: never in a URL,
messages or a log line. Every portal response is `no-store`, and every change is a POST checked for CSRF.
Every page of a signed-in identity carries its standing: a banner when its requests are refused, and
which limit refuses them.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from core.one_time import key_hold, key_take
from portal.connection import ConnectionResult, connection_test
from portal.forms import ConnectionTestForm, KeyCreateForm, TokenIdForm
from portal.services import (
    IdentityUnavailable,
    KeyLimitReached,
    identity_for_user,
    portal_default_model,
    portal_key_create,
    portal_key_revoke,
    portal_models,
    portal_standing,
    portal_token_get,
    portal_tokens,
    portal_ttl_choices,
)
from portal.snippets import MODEL_MARK, setup_snippets
from tokens import keyformat
from tokens.ttl import BadTTL
from usage.charts import fmt_usd
from usage.selectors import usage_month_by_token
from usage.windows import calendar

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def portal_response(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    identity = getattr(request, "identity", None)
    if identity is not None and "standing" not in context:
        context = {**context, "standing": portal_standing(identity=identity)}
    response = TemplateResponse(request, template, context, status=status)
    add_never_cache_headers(response)  # includes no-store: a key on the page must not be kept by any cache
    response["Content-Security-Policy"] = CSP
    return response


def portal_page(view):
    """Signed-in users only; attaches `request.identity`, or explains why the user has none."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            request.identity = identity_for_user(user=request.user)
        except IdentityUnavailable as exc:
            return portal_response(request, "portal/no_identity.html", {"name": exc.name}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _with_spend(identity) -> list[tuple]:
    """(token, what it spent this month as text) for each of the identity's keys, newest first."""
    spend = usage_month_by_token(identity_id=identity.pk, now=calendar.clock())
    rows = []
    for token in portal_tokens(identity=identity):
        spent = spend.get(token.token_id)
        text = (
            f"{fmt_usd(spent.cost_usd)} · {spent.requests:,} request{'s' if spent.requests != 1 else ''}"
            if spent
            else ""
        )
        rows.append((token, text))
    return rows


def _keys_context(
    request: HttpRequest,
    *,
    form: KeyCreateForm | None = None,
    issued=None,
    key: str = "",
    result: ConnectionResult | None = None,
    model: str = "",
) -> dict:
    identity = request.identity
    models = portal_models(identity=identity)
    model = portal_default_model(models, model or request.GET.get("model", ""))
    base_url = f"{settings.PUBLIC_BASE_URL}/v1"
    snippets = [(s, s.render(model)) for s in setup_snippets(base_url=base_url, key=key)]
    return {
        "identity": identity,
        "tokens": _with_spend(identity),
        "form": form or KeyCreateForm(ttl_choices=portal_ttl_choices()),
        "issued": issued,
        "key": key,
        "models": models,
        "model": model,
        "base_url": base_url,
        "snippets": snippets,
        "model_mark": MODEL_MARK,
        "result": result,
        "max_ttl": settings.TOKEN_MAX_TTL,
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("portal-keys" if request.user.is_authenticated else settings.LOGIN_URL)


@require_GET
@portal_page
def keys(request: HttpRequest) -> HttpResponse:
    return portal_response(request, "portal/keys.html", _keys_context(request))


@require_POST
@portal_page
def key_create(request: HttpRequest) -> HttpResponse:
    form = KeyCreateForm(request.POST, ttl_choices=portal_ttl_choices())
    if not request.identity.is_active:
        form.add_error(None, "Your identity is deactivated: ask an admin to reactivate it.")
    if not form.is_valid():
        return portal_response(request, "portal/keys.html", _keys_context(request, form=form), status=400)
    try:
        issued = portal_key_create(
            identity=request.identity, user=request.user, name=form.cleaned_data["name"], ttl=form.cleaned_data["ttl"]
        )
    except (KeyLimitReached, BadTTL) as exc:
        form.add_error(None, str(exc))
        return portal_response(request, "portal/keys.html", _keys_context(request, form=form), status=400)
    response = redirect("portal-key-new")
    key_hold(request, response, token_id=issued.record.token_id, key=issued.token, path=reverse("portal-key-new"))
    return response


@require_GET
@portal_page
def key_new(request: HttpRequest) -> HttpResponse:
    """The key just created, shown once; on a reload or Back, a plain word that it is no longer shown."""
    response = portal_response(request, "portal/keys.html", {})
    shown = key_take(request, response, path=reverse("portal-key-new"))
    issued = portal_token_get(identity=request.identity, token_id=shown.token_id) if shown else None
    response.context_data.update(_keys_context(request, issued=issued, key=shown.key if issued else ""))
    response.context_data["key_gone"] = issued is None
    return response


@require_POST
@portal_page
def key_revoke(request: HttpRequest) -> HttpResponse:
    form = TokenIdForm(request.POST)
    token = (
        portal_token_get(identity=request.identity, token_id=form.cleaned_data["token_id"]) if form.is_valid() else None
    )
    if token is None:
        raise Http404("No such key")
    if not form.cleaned_data["confirm"]:
        return portal_response(request, "portal/revoke_confirm.html", {"token": token})
    if portal_key_revoke(token=token, user=request.user):
        messages.success(request, f"Key {token.token_id} is revoked: requests with it are now refused.")
    else:
        messages.info(request, f"Key {token.token_id} was already revoked.")
    return redirect("portal-keys")


@require_POST
@portal_page
def key_test(request: HttpRequest) -> HttpResponse:
    """Send one small request with a key the user just created (or pasted); show the answer or the error."""
    form = ConnectionTestForm(request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        result = ConnectionResult(False, 400, request.POST.get("model", ""), error="Give a key and a model.")
    else:
        key, model = form.cleaned_data["key"], form.cleaned_data["model"]
        parsed = keyformat.parse(key)
        if parsed is None or portal_token_get(identity=request.identity, token_id=parsed.token_id) is None:
            result = ConnectionResult(False, 400, model, error="That is not one of your keys.")
        else:
            result = connection_test(key=key, model=model, host=request.get_host())
    if wants_json:
        response = JsonResponse(result.as_dict())
        add_never_cache_headers(response)
        return response
    key = form.cleaned_data.get("key", "") if form.is_valid() and result.status != 400 else ""
    context = _keys_context(request, key=key, result=result, model=result.model)
    return portal_response(request, "portal/keys.html", context)
