"""A new key shown exactly once after a redirect (POST/redirect/GET): no reload or Back mints another.

The key never rests anywhere readable: the session (server-side) holds it sealed with a fresh Fernet key,
and that one-time key rides in a short-lived HttpOnly cookie scoped to the page that shows it. Neither half
alone reveals anything, the first view takes both away, and the seal expires after HOLD_SECONDS. The key
is never in a URL, a message or a log.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "sbc_new_key"
COOKIE = "sbc_new_key_view"
HOLD_SECONDS = 300


@dataclass(frozen=True)
class Shown:
    token_id: str
    key: str


def key_hold(request: HttpRequest, response: HttpResponse, *, token_id: str, key: str, path: str) -> None:
    """Keep `key` for one view of the page at `path` (the redirect's target)."""
    view_key = Fernet.generate_key()
    request.session[SESSION_KEY] = {"token_id": token_id, "sealed": Fernet(view_key).encrypt(key.encode()).decode()}
    response.set_cookie(
        COOKIE,
        view_key.decode(),
        max_age=HOLD_SECONDS,
        path=path,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure(),
    )


def key_take(request: HttpRequest, response: HttpResponse, *, path: str) -> Shown | None:
    """The held key, once; None when it was shown already, has expired, or was never held for this browser."""
    held = request.session.pop(SESSION_KEY, None)
    view_key = request.COOKIES.get(COOKIE)
    response.delete_cookie(COOKIE, path=path, samesite="Strict")
    if not isinstance(held, dict) or not view_key:
        return None
    try:
        key = Fernet(view_key.encode()).decrypt(str(held.get("sealed", "")).encode(), ttl=HOLD_SECONDS).decode()
    except (InvalidToken, ValueError):
        return None
    return Shown(token_id=str(held.get("token_id", "")), key=key)
