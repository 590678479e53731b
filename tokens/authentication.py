"""Bearer-token authentication for the /v1 API: `Authorization: Bearer <token>` (and, for Anthropic's API only,
`x-api-key: <token>`, which is how Anthropic's clients send `ANTHROPIC_API_KEY`).

A malformed token or a bad checksum is rejected before any database query. Successful lookups are
cached in-process for TOKEN_CACHE_SECONDS. Every revoke (and identity deactivation) bumps a shared
revocation generation in the database; each process reads it at most once per
REVOCATION_CHECK_SECONDS and ignores cached lookups made under an older generation, so a revoke takes
effect in every worker within about a second. If that read fails, TOKEN_CACHE_SECONDS is the bound.
A refused look-up is counted per client address and per key id; past the limit it is answered 429 instead of
403 (see `tokens.throttle`). A valid token is always looked up first, so failures never lock it out.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication

from core.cache import ProcessCache, on_forget_all
from core.db_breaker import breaker as database_breaker
from core.errors import AuthenticationFailed, InvalidToken
from tokens import keyformat
from tokens.models import ApiToken
from tokens.revocation import Generation, revocation_generation_get
from tokens.throttle import auth_failure_record, client_address

LAST_USED_GRANULARITY = timedelta(minutes=1)
REVOCATION_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Caller:
    """Who is calling: what the rest of the request needs to know about the token's identity."""

    token_pk: int
    token_id: str
    identity_id: int
    identity_name: str
    expires_at: datetime

    is_authenticated = True


_callers: ProcessCache[tuple[Generation, Caller]] = ProcessCache(
    "authenticated tokens", ttl=lambda: settings.TOKEN_CACHE_SECONDS, max_entries=50_000
)  # digest -> ...
_last_used_written: ProcessCache[datetime] = ProcessCache("last-used writes", max_entries=50_000)  # token pk ->
_lock = threading.Lock()
_generation: dict = {}


@on_forget_all
def _generation_forget() -> None:
    _generation.update(value=(0, None), checked_at=float("-inf"))


_generation_forget()


def _current_generation(now_mono: float) -> Generation:
    """The revocation generation, read from the database at most once per REVOCATION_CHECK_SECONDS."""
    if now_mono - _generation["checked_at"] < REVOCATION_CHECK_SECONDS:
        return _generation["value"]
    try:
        value = revocation_generation_get()
    except DatabaseError as exc:
        database_breaker.failed(exc)
        return _generation["value"]
    with _lock:
        if value != _generation["value"]:
            _callers.forget()
        _generation.update(value=value, checked_at=now_mono)
    return value


def token_cache_forget(digest: str | None = None) -> None:
    if digest is None:
        _callers.forget()
    else:
        _callers.forget(digest)


def _lookup(parsed: keyformat.ParsedToken) -> Caller | None:
    now = timezone.now()
    row = (
        ApiToken.objects.filter(
            digest=parsed.digest,
            token_id=parsed.token_id,
            revoked_at__isnull=True,
            expires_at__gt=now,
            identity__is_active=True,
        )
        .values_list("pk", "identity_id", "identity__name", "expires_at", "last_used_at")
        .first()
    )
    database_breaker.succeeded()
    if row is None:
        return None
    pk, identity_id, identity_name, expires_at, last_used_at = row
    if last_used_at is not None:
        _last_used_written.put(last_used_at, pk)
    return Caller(pk, parsed.token_id, identity_id, identity_name, expires_at)


def _touch_last_used(caller: Caller) -> None:
    now = timezone.now()
    previous = _last_used_written.get(caller.token_pk)
    if previous is not None and now - previous < LAST_USED_GRANULARITY:
        return
    _last_used_written.put(now, caller.token_pk)
    ApiToken.objects.filter(pk=caller.token_pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
    ).update(last_used_at=now)


def token_authenticate(raw: str) -> Caller:
    """The caller behind a raw bearer token, or InvalidToken."""
    parsed = keyformat.parse(raw)
    if parsed is None:
        raise InvalidToken()
    now_mono = time.monotonic()
    generation = _current_generation(now_mono)
    # While the database is down, a remembered token is not enough: the request must find the database answering.
    cached = None if database_breaker.is_open() else _callers.get(parsed.digest)
    if cached and cached[0] == generation and cached[1].expires_at > timezone.now():
        caller = cached[1]
    else:
        found = _lookup(parsed)
        if found is None:
            token_cache_forget(parsed.digest)
            raise InvalidToken()
        caller = found
        _callers.put((generation, caller), parsed.digest)
    _touch_last_used(caller)
    return caller


def token_authenticate_from(request, raw: str) -> Caller:
    """token_authenticate, whose refusals are counted per client address and per key id (tokens.throttle): past
    the limit of either, a refused token gets 429 instead of 403. A valid token is checked before the buckets, so
    other people's failures (behind the same proxy, or guessing secrets for the same key id) never lock it out.
    """
    try:
        return token_authenticate(raw)
    except InvalidToken:
        parsed = keyformat.parse(raw)
        if parsed is not None:  # only failures that cost a database look-up count
            auth_failure_record(client_address(request), parsed.token_id)
        raise


def bearer_token(authorization: str) -> str:
    """The token in an Authorization header value, or AuthenticationFailed."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed()
    return token.strip()


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            raise AuthenticationFailed()
        caller = token_authenticate_from(request, bearer_token(header))
        return caller, caller.token_id

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="sbc"'


class ApiKeyOrBearerAuthentication(BearerTokenAuthentication):
    """Anthropic's clients send the key as `x-api-key` (ANTHROPIC_API_KEY) or as a bearer (ANTHROPIC_AUTH_TOKEN)."""

    def authenticate(self, request):
        api_key = request.META.get("HTTP_X_API_KEY", "").strip()
        if not api_key:
            return super().authenticate(request)
        caller = token_authenticate_from(request, api_key)
        return caller, caller.token_id
