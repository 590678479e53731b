"""Attack class: credentials through another channel, and hand-picked hostile bearer values. Only `Authorization: Bearer
<token>` authenticates /v1 (and `x-api-key` on Anthropic's endpoints); hostile headers are refused without a database
query. Fuzzed bearer values: test_attack_bearer_fuzz.py."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from django.test import RequestFactory

from core.errors import AuthenticationFailed, InvalidToken
from tests.security.conftest import assert_openai_error
from tokens import keyformat
from tokens.authentication import BearerTokenAuthentication, token_authenticate, token_cache_forget

HELLO = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hello"}]}


def forged_with_valid_checksum() -> str:
    """A token of the right shape and checksum that was never issued."""
    return keyformat.generate()[0]


def flip_one_character(token: str) -> str:
    index = len(token) - 10
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


HOSTILE_VALUES = [
    "' OR '1'='1",
    "sbc_' UNION SELECT digest FROM tokens_apitoken --",
    "sbc_aaaaaaaaaaaa_' OR 1=1; DROP TABLE tokens_apitoken; --aaaaaaaaaaaaaaaaaa",
    "%00",
    "sbc_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "\u202e\u0000",
    "x" * 10_000,
    "sbc_" + "A" * 12 + "_" + "B" * 38,
    "sbc_" + "A" * 12 + "_" + "B" * 38 + "\u0000",
    "Bearer sbc_x",
    "{{7*7}}",
    "../../etc/passwd",
]


# ---- in-process: nothing malformed reaches the database -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE_VALUES + ["", " ", "\t"])
def test_a_malformed_token_is_refused_without_a_database_query(django_assert_num_queries, value):
    token_cache_forget()
    with django_assert_num_queries(0):
        with pytest.raises(InvalidToken):
            token_authenticate(value)


@pytest.mark.django_db
def test_a_single_changed_character_is_refused_without_a_database_query(django_assert_num_queries):
    token = flip_one_character(keyformat.generate()[0])
    with django_assert_num_queries(0):
        with pytest.raises(InvalidToken):
            token_authenticate(token)


HEADER_VALUES = [f"Bearer {v}" for v in HOSTILE_VALUES] + [
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Token abc",
    "bearer",
    "Bearer  ",
    "Digest x",
    "sbc_only_a_token",
    "Bearer\u0000x",
]


@pytest.mark.django_db
@pytest.mark.parametrize("header", HEADER_VALUES)
def test_the_authentication_class_refuses_hostile_headers_without_a_query(django_assert_num_queries, header):
    request = RequestFactory().post("/v1/chat/completions", HTTP_AUTHORIZATION=header, REMOTE_ADDR="192.0.2.10")
    token_cache_forget()
    with django_assert_num_queries(0):
        with pytest.raises((AuthenticationFailed, InvalidToken)):
            BearerTokenAuthentication().authenticate(request)


# ---- through the live gateway ---------------------------------------------------------------------------


def raw_request(server, header_lines: list[bytes]) -> str:
    """Send a request with exactly these header lines (httpx refuses some of them) and return the answer."""
    url = urlsplit(server.url)
    body = b'{"messages": [{"role": "user", "content": "Hello"}]}'
    head = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + b"".join(line + b"\r\n" for line in header_lines)
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.e2e
@pytest.mark.parametrize("value", [v for v in HOSTILE_VALUES if v.isprintable()])
def test_hostile_bearer_values_get_the_invalid_key_error_and_are_never_echoed(gateway, value):
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions", json=HELLO, headers={"Authorization": f"Bearer {value}".encode()}
    )
    error = assert_openai_error(response, 401, 403)
    assert error["code"] == "invalid_api_key"
    assert value.strip() not in response.text or len(value.strip()) < 3


@pytest.mark.e2e
@pytest.mark.parametrize(
    "line",
    [
        b"Authorization: Bearer x\x00y",
        b"Authorization: Bearer sbc_\xff\xfe",
        b"Authorization: Bearer " + b"A" * 16_000,
        b"Authorization: Bearer \xe2\x80\xae\x00",
        b"Authorization: Bearer sbc_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\x00",
        b"Authorization:  Bearer   sbc_x",
        b"Authorization: Bearer x\r\nX-Injected: 1",
    ],
)
def test_raw_hostile_header_lines_are_refused_cleanly(gateway, line):
    answer = raw_request(gateway, [line])
    status = int(answer.split(" ", 2)[1])
    assert status in (400, 401, 403), answer[:300]
    assert "Traceback" not in answer
    if status != 400:  # a header gunicorn itself refuses (NUL, bare CR) never reaches the application
        assert '"invalid_api_key"' in answer


@pytest.mark.e2e
@pytest.mark.parametrize("size", [100_000, 4_000_000])
def test_an_endless_header_is_cut_off_with_a_431_and_the_worker_keeps_serving(gateway, token, size):
    """The HTTP parser sets no limit of its own: past 64 kB of head the connection is answered and closed,
    instead of the worker buffering whatever the client keeps sending."""
    url = urlsplit(gateway.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ")
        sent, answer = 0, b""
        try:
            while sent < size and not answer:
                sock.sendall(b"A" * 16_384)
                sent += 16_384
                sock.settimeout(0.01 if sent < 80_000 else 2)
                try:
                    answer = sock.recv(4096)
                except TimeoutError:
                    pass
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert sent < 1_000_000, "the answer came once the head passed the limit"
    assert httpx.get(f"{gateway.url}/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.e2e
def test_two_authorization_headers_never_authenticate_with_the_wrong_one(gateway, token):
    answer = raw_request(gateway, [b"Authorization: Bearer nonsense", f"Authorization: Bearer {token}".encode()])
    assert answer.split(" ", 2)[1] in ("400", "401", "403"), answer[:300]


@pytest.mark.e2e
def test_an_unknown_token_with_a_valid_checksum_gets_the_same_answer_as_revoked_and_expired(
    gateway, issue, django_db_blocker
):
    from datetime import timedelta

    from django.utils import timezone

    from tokens.models import ApiToken
    from tokens.services import token_revoke

    revoked, expired = issue("revoked@test"), issue("expired@test")
    with django_db_blocker.unblock():
        token_revoke(token=ApiToken.objects.get(digest=keyformat.digest(revoked)))
        ApiToken.objects.filter(digest=keyformat.digest(expired)).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    import time

    time.sleep(1.2)  # the revocation generation reaches every worker within a second
    bodies = set()
    for offered in (forged_with_valid_checksum(), revoked, expired, flip_one_character(revoked)):
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions", json=HELLO, headers={"Authorization": f"Bearer {offered}"}
        )
        assert_openai_error(response, 403)
        bodies.add(response.content)
    assert len(bodies) == 1


@pytest.mark.e2e
@pytest.mark.parametrize(
    "where",
    [
        "query api_key",
        "query key",
        "query access_token",
        "api-key",
        "x-api-key",
        "cookie",
        "openai-api-key",
        "proxy-authorization",
    ],
)
def test_credentials_outside_the_authorization_header_are_ignored(gateway, token, where):
    url, headers = f"{gateway.url}/v1/chat/completions", {}
    if where.startswith("query"):
        url += f"?{where.split()[1]}={token}"
    elif where == "cookie":
        headers["Cookie"] = f"api_key={token}; sessionid={token}; token={token}"
    else:
        headers[where] = token
    error = assert_openai_error(httpx.post(url, json=HELLO, headers=headers), 401)
    assert error["code"] == "invalid_api_key"
    models = httpx.get(url.replace("/chat/completions", "/models"), headers=headers)
    if where == "x-api-key":  # Anthropic's clients list models with their key in x-api-key, and get its shape
        assert models.status_code == 200 and models.json()["data"][0]["type"] == "model"
    else:
        assert_openai_error(models, 401)


@pytest.fixture
def staff_session_cookie(django_db_setup, django_db_blocker, settings):
    """The session cookie of a signed-in superuser, committed so the live gateway knows the session."""
    import uuid

    from django.contrib.auth import get_user_model
    from django.test import Client

    with django_db_blocker.unblock():
        user = get_user_model().objects.create_superuser(f"root-{uuid.uuid4().hex[:8]}", password="pw-Secret-123456")
        web = Client()
        web.force_login(user)
        assert web.get("/admin/").status_code == 200
    return settings.SESSION_COOKIE_NAME, web.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.e2e
def test_a_valid_admin_session_never_authenticates_the_api(gateway, staff_session_cookie, token):
    name, value = staff_session_cookie
    cookies = {name: value, "csrftoken": "x" * 32}
    for method, path in (("GET", "/v1/models"), ("POST", "/v1/chat/completions")):
        response = httpx.request(method, gateway.url + path, json=HELLO if method == "POST" else None, cookies=cookies)
        assert_openai_error(response, 401)
    # the session still works where it belongs, so the refusal above is not a dead cookie
    admin = httpx.get(f"{gateway.url}/admin/", cookies=cookies)
    assert admin.status_code == 200 and "Tokens, usage and models" in admin.text
    # a bearer plus the cookie is the bearer's identity and nothing more
    both = httpx.post(
        f"{gateway.url}/v1/chat/completions", json=HELLO, cookies=cookies, headers={"Authorization": f"Bearer {token}"}
    )
    assert both.status_code == 200
