"""Remote image URLs are refused with a 400 naming the field, and the gateway never connects to them (no SSRF)."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.security.conftest import assert_openai_error

pytestmark = pytest.mark.e2e


class Listener:
    """A loopback TCP port that records every connection made to it (standing in for an internal service)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def internal_service():
    listener = Listener()
    yield listener
    listener.close()


def image_request(url) -> dict:
    return {
        "model": "claude-4-sonnet",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": url},
                ],
            }
        ],
    }


@pytest.mark.parametrize("shape", ["object", "bare string"])
@pytest.mark.parametrize("scheme", ["http", "https", "HTTP"])
def test_a_remote_image_url_is_refused_and_never_fetched(post, emulator_log, internal_service, scheme, shape):
    url = f"{scheme}://127.0.0.1:{internal_service.port}/latest/meta-data/cat.png"
    response = post(image_request({"url": url, "detail": "high"} if shape == "object" else url))
    error = assert_openai_error(response, 400)
    assert error["param"] == "messages[0].content[1].image_url"
    assert "Remote image URLs are not fetched" in error["message"] and "data:" in error["message"]
    assert internal_service.connections == 0
    assert emulator_log() == [], "nothing reached Bedrock either"


def test_an_anthropic_url_image_source_is_not_fetched_by_the_gateway(post, internal_service):
    body = {
        "model": "claude-4-sonnet",
        "max_tokens": 16,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "url", "url": f"http://127.0.0.1:{internal_service.port}/cat.png"},
                    },
                    {"type": "text", "text": "Describe it"},
                ],
            }
        ],
    }
    response = post(body, path="/v1/messages")
    assert response.status_code < 500, response.text[:300]
    assert internal_service.connections == 0


def test_image_urls_in_tool_results_and_text_are_just_text(post, internal_service):
    url = f"http://127.0.0.1:{internal_service.port}/x.png"
    response = post(
        {
            "model": "claude-4-sonnet",
            "max_tokens": 16,
            "messages": [{"role": "user", "content": f"Look at {url} and ![img]({url})"}],
        }
    )
    assert response.status_code == 200, response.text[:300]
    assert internal_service.connections == 0


def test_an_inline_data_url_is_still_accepted(post):
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
        "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    response = post({**image_request({"url": pixel}), "max_tokens": 16})
    assert response.status_code == 200, response.text[:300]
