"""Attack class: huge bodies sent to pages outside /v1 (security finding 6). A sign-in page must not read, nor
spool to disk, a body of hundreds of megabytes before refusing it: every non-/v1 path refuses a body above
SITE_MAX_REQUEST_BYTES with a 413, before reading past the limit, whether it is announced (Content-Length) or
chunked. The gateway runs as configured (uvicorn workers) with the default limit of 1 MiB."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.e2e

SENT_AT_MOST = 64 * 1024 * 1024  # what the client is ready to send; the gateway must answer long before
CHUNK = b"x" * 65536


def head(path: str, framing: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


def read_answer(sock: socket.socket, answer: bytes) -> bytes:
    sock.setblocking(True)
    sock.settimeout(30)
    try:
        while b"</html>" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    except (ConnectionResetError, TimeoutError):
        pass
    return answer


def send_chunked(url: str, path: str) -> tuple[bytes, int]:
    """POST a chunked body of up to SENT_AT_MOST bytes, stopping as soon as an answer arrives or the gateway
    stops reading: (the answer, body bytes sent)."""
    parts = urlsplit(url)
    sent, answer = 0, b""
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head(path, "Transfer-Encoding: chunked"))
        sock.setblocking(False)
        frame = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
        pending = memoryview(b"")
        while sent < SENT_AT_MOST:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                try:
                    answer += sock.recv(65536)
                except ConnectionResetError:
                    pass
                break
            if not writable:
                break  # the gateway neither reads nor answers
            if not pending:
                pending = memoryview(frame)
            try:
                written = sock.send(pending)
            except (BrokenPipeError, ConnectionResetError):
                break
            pending = pending[written:]
            sent += written
        return read_answer(sock, answer), sent


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_huge_chunked_post_to_a_sign_in_page_is_refused_before_it_is_read(gateway, path):
    answer, sent = send_chunked(gateway.url, path)
    text = answer.decode(errors="replace")
    assert text.startswith("HTTP/1.1 413"), text[:300]
    assert "Request too large" in text and "1,048,576 bytes" in text
    assert sent < SENT_AT_MOST / 2, f"the gateway read {sent} bytes before answering"


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/keys/"])
def test_an_announced_huge_body_is_refused_before_a_byte_is_read(gateway, path):
    parts = urlsplit(gateway.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head(path, "Content-Length: 314572800") + b"username=")
        answer = read_answer(sock, b"").decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:300]
    assert "Request too large" in answer


def test_sign_in_forms_of_ordinary_size_are_still_read(gateway):
    """A form just under the limit reaches Django: the sign-in page answers it (403: no CSRF token), not a 413."""
    body = b"username=alice&password=" + b"p" * (1024 * 1024 - 40)
    response = httpx.post(
        gateway.url + "/accounts/login/",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert response.status_code == 403
