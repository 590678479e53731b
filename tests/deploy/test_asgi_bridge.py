"""The WSGI environ the ASGI server hands the API's handler: built as gunicorn builds it, so nothing a client
sends reaches a view differently under the ASGI worker than under Lambda's WSGI entry point."""

from __future__ import annotations

from sbcproject.api_bridge import environ_for


def scope(path: str = "/v1/models", headers: list[tuple[bytes, bytes]] | None = None, **extra) -> dict:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"a=1",
        "headers": headers or [],
        "server": ("127.0.0.1", 8000),
        "client": ("10.0.0.7", 51000),
        "scheme": "http",
        "http_version": "1.1",
        **extra,
    }


def test_a_header_spelled_with_underscores_cannot_pass_for_a_forwarded_header():
    environ = environ_for(scope(headers=[(b"x_forwarded_for", b"1.2.3.4"), (b"x-real-ip", b"5.6.7.8")]), b"")
    assert "HTTP_X_FORWARDED_FOR" not in environ
    assert environ["HTTP_X_REAL_IP"] == "5.6.7.8"
    assert environ["REMOTE_ADDR"] == "10.0.0.7"


def test_repeated_headers_are_joined_and_the_body_length_is_what_was_read():
    headers = [(b"accept", b"a"), (b"accept", b"b"), (b"transfer-encoding", b"chunked"), (b"content-type", b"x/y")]
    environ = environ_for(scope(headers=headers), b"12345")
    assert environ["HTTP_ACCEPT"] == "a,b"
    assert environ["CONTENT_LENGTH"] == "5" and environ["wsgi.input"].read() == b"12345"
    assert environ["CONTENT_TYPE"] == "x/y" and environ["QUERY_STRING"] == "a=1"


def test_a_non_ascii_path_reaches_django_as_wsgi_servers_pass_it():
    environ = environ_for(scope(path="/v1/modèles"), b"")
    assert environ["PATH_INFO"] == "/v1/modèles".encode().decode("latin-1")
