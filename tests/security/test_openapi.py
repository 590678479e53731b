"""The published OpenAPI description of /v1, and Schemathesis fuzzing the live gateway from it.

The fuzzing is bounded (25 examples per operation and mode, no deadline) so the suite stays short. Every
answer must be below 500, documented (status, content type, body), and every error must carry the
endpoint's error body: OpenAI's `{"error": {"message", "type", "param", "code"}}`, or Anthropic's on
/v1/messages. The examples are the same on every run, so the suite's verdict does not depend on luck;
FUZZ_RANDOM=1 draws new ones. For a deeper run: FUZZ_RANDOM=1 FUZZ_EXAMPLES=500; FUZZ_STRICT=1 also requires
every request the schema forbids to be refused (it finds places where the gateway is more lenient than its
description).
"""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import ERROR_KEYS, assert_openai_error

pytestmark = pytest.mark.e2e

OPERATIONS = [
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/responses"),
    ("POST", "/v1/embeddings"),
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages/count_tokens"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/{model_id}"),
    ("GET", "/v1/responses/{response_id}"),
    ("DELETE", "/v1/responses/{response_id}"),
    ("GET", "/v1/responses/{response_id}/input_items"),
    ("POST", "/v1/conversations"),
    ("GET", "/v1/conversations/{conversation_id}"),
    ("POST", "/v1/conversations/{conversation_id}"),
    ("DELETE", "/v1/conversations/{conversation_id}"),
    ("GET", "/v1/conversations/{conversation_id}/items"),
]
EXAMPLES_PER_MODE = int(os.environ.get("FUZZ_EXAMPLES", "25"))  # raise for a deeper run
STRICT = os.environ.get("FUZZ_STRICT") == "1"
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_schema_is_published_without_a_token_and_describes_every_operation(gateway):
    response = httpx.get(f"{gateway.url}/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for method, path in OPERATIONS:
        operation = schema["paths"][path][method.lower()]
        assert operation["security"], f"{method} {path} documents no credential"
        errors = "AnthropicError" if path.startswith("/v1/messages") else "OpenAIError"
        for status in ("401", "403", "404", "429", "503"):
            assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{errors}"
            }, (method, path, status)
        if method == "POST" and "{" not in path:
            assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert "400" in operation["responses"] and "413" in operation["responses"]
    error = schema["components"]["schemas"]["OpenAIError"]["properties"]["error"]
    assert set(error["required"]) == ERROR_KEYS
    bearer = schema["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert httpx.get(f"{gateway.url}/v1/openapi.json").content == response.content, "the same document every time"
    assert_openai_error(httpx.post(f"{gateway.url}/v1/openapi.json", json={}), 405)


def test_every_v1_route_is_in_the_document():
    """A new /v1 endpoint needs its entry in gateway/openapi/views.py (DOCUMENTED_ROUTES), or this fails."""
    from gateway import urls
    from gateway.openapi.views import DOCUMENTED_ROUTES

    served = {str(p.pattern) for p in urls.urlpatterns if str(p.pattern).startswith("v1/")}
    served -= {"v1/openapi.json", "^v1/.*$"}
    assert served == {str(p.pattern) for p in DOCUMENTED_ROUTES.urlpatterns}


@pytest.fixture(scope="module")
def published_schema(gateway):
    """The published schema minus its security section: every fuzzed request carries a valid bearer token.

    Credentials get their own tests (test_attack_credential_channels.py); left in, Schemathesis would spend most
    examples on invented `x-api-key` and `Authorization` values that end at the 401/403 before any body is read.
    """
    raw = httpx.get(f"{gateway.url}/v1/openapi.json").json()
    raw["components"].pop("securitySchemes", None)
    for operations in raw["paths"].values():
        for operation in operations.values():
            operation.pop("security", None)
    schema = schemathesis.openapi.from_dict(raw)
    schema.location = f"{gateway.url}/v1/openapi.json"
    return schema


MESSAGES_HI = {"model": "claude-4-sonnet", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
@pytest.mark.parametrize(
    "extra",
    [{"tools": [{"name": {"x": 1}}]}, {"tools": [{"name": "ok"}], "tool_choice": {"type": "tool", "name": ["ok"]}}],
    ids=["tool name", "tool_choice name"],
)
def test_a_tool_name_that_is_not_a_string_is_a_400_on_the_messages_api(gateway, token, path, extra):
    response = httpx.post(gateway.url + path, json={**MESSAGES_HI, **extra}, headers={"x-api-key": token}, timeout=30)
    assert response.status_code == 400, response.text[:300]


def assert_error_body(path: str, response) -> None:
    """A 4xx answer is JSON in the endpoint's error shape, with a message and no traceback."""
    content_type = response.headers.get("content-type", [""])  # schemathesis keeps every value of a header
    assert content_type[0].startswith("application/json"), response.text[:300]
    assert "Traceback" not in response.text
    body = response.json()
    if path.startswith("/v1/messages"):
        assert body["type"] == "error" and set(body["error"]) == {"type", "message"}, body
    else:
        assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


# GET operations take no body and a free-form path, so there is no invalid input to generate for them.
FUZZED = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if method == "POST" or mode is GenerationMode.POSITIVE
]


@pytest.mark.parametrize("method, path, mode", FUZZED, ids=[f"{m} {p} {g.value}" for m, p, g in FUZZED])
def test_fuzzed_requests_never_get_a_server_error_and_errors_are_well_formed(
    published_schema, token, method, path, mode
):
    operation = published_schema[path][method]
    checks = list(CHECKS)
    if STRICT and mode is GenerationMode.NEGATIVE and not path.startswith("/v1/messages"):
        # The OpenAI endpoints refuse what the schema forbids; Anthropic's pass unknown fields on (documented).
        checks.append(negative_data_rejection)
    headers = {"Authorization": f"Bearer {token}"}
    answered: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        response = case.call(headers=headers, timeout=60)
        answered.append(response.status_code)
        case.validate_response(response, checks=checks, headers=headers)
        if response.status_code >= 400:
            assert_error_body(path, response)

    fuzz()
    assert answered, "no request was sent"
