"""Attack class: an oddly written path. `//v1`, `/V1`, dot segments, encoded slashes, trailing dots and `;`
parameters never reach another view or skip authentication: gunicorn decodes `%2F`/`%76` before routing, so an
encoded path is the same route with the same authentication, and anything else meant for /v1 gets the API's JSON
404 without running any view. Paths are sent raw (httpx would normalise some of them)."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e


def raw_get(server, path: bytes, token: str | None) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(server.url)
    auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""
    head = b"GET " + path + b" HTTP/1.0\r\nHost: 127.0.0.1\r\n" + auth + b"Connection: close\r\n\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head_bytes, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split(" ")[1]), {k.lower(): v for k, v in headers.items()}, body


def assert_api_json(status: int, headers: dict, body: bytes, *statuses: int) -> dict:
    assert status in statuses, (status, body[:300])
    assert headers["content-type"].startswith("application/json"), body[:300]
    return json.loads(body)["error"]


# The same route as /v1/models once gunicorn decodes the path: the same view, the same authentication.
SAME_ROUTE = [b"/v1%2Fmodels", b"/v1%2fmodels", b"/%76%31/models", b"/v1/models?x=1", b"http://evil/v1/models"]
# Meant for the API, but no route: the API's JSON 404 (405 where the method is the only thing wrong).
NO_ROUTE = [
    b"//v1/models",
    b"/V1/models",
    b"/v1//models",
    b"/v1",
    b"//v1/chat/completions",
    b"/v1/../admin/",
    b"/v1/%2e%2e/admin/",
    b"/v1/./models",
    b"/v1/models/",
    b"/v1/models.",
    b"/v1/chat/completions.",
    b"/v1/chat/completions/",
    b"/v1/models;x",
    b"/v1/models%00",
    b"/v1./models",
    b"/v1../models",
    b"/./v1/models",
    b"/v1;/models",
    b"/v1\\models",
    b"/V1./chat/completions",
]


@pytest.mark.parametrize("path", SAME_ROUTE)
def test_an_encoded_path_is_the_same_route_with_the_same_authentication(gateway, token, path):
    error = assert_api_json(*raw_get(gateway, path, None), 401)
    assert error["code"] == "invalid_api_key"
    status, headers, body = raw_get(gateway, path, token)
    assert status == 200 and json.loads(body)["object"] == "list"


@pytest.mark.parametrize("path", NO_ROUTE)
def test_an_odd_path_meant_for_the_api_is_a_json_404_with_or_without_a_token(gateway, token, path):
    for offered in (None, token, "sbc_not_a_token"):
        error = assert_api_json(*raw_get(gateway, path, offered), 404, 405)
        assert error["message"]


@pytest.mark.parametrize("path", [b"/admin/../v1/models", b"/admin/%2e%2e/v1/models", b"/keys/../v1/models"])
def test_dot_segments_never_lead_into_the_api_from_another_prefix(gateway, token, path):
    """Under the admin or the portal prefix, their own sign-in or not-found page answers: never the API's data."""
    status, headers, body = raw_get(gateway, path, token)
    assert status in (302, 404) and b'"object":"list"' not in body
    assert not headers.get("location", "").startswith("/v1")
