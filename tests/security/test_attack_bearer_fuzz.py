"""Attack class: a fuzzed bearer token (quotes, SQL, NUL, 10 kB, any Unicode, near-valid tokens). Whatever the value,
it never reaches SQL as text (at most its SHA-256 digest does, as a bound parameter, and only for a well-formed
key with a valid checksum), it is never echoed, and the answer is the API's 401/403, never a 5xx.

Hand-picked hostile values and the other credential channels: test_attack_credential_channels.py."""

from __future__ import annotations

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InvalidToken
from tests.security.conftest import assert_openai_error
from tokens import keyformat
from tokens.authentication import token_authenticate, token_cache_forget

SQLISH = ["'", '"', "' OR '1'='1", "'; DROP TABLE tokens_apitoken; --", "\\", "%", "_", "\x00", "UNION SELECT", "*/"]


def near_valid(draw) -> str:
    """A well-formed token, then one edit: a character changed, added or removed, or a suffix appended."""
    token = keyformat.generate()[0]
    index = draw(st.integers(0, len(token) - 1))
    extra = draw(st.sampled_from(SQLISH + ["A", "\u00e9", " "]))
    edits = [
        token[:index] + extra + token[index + 1 :],
        token[:index] + extra + token[index:],
        token[:index] + token[index + 1 :],
        token + extra,
    ]
    return draw(st.sampled_from(edits))


bearer_values = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=80).map(lambda s: "sbc_" + s),
    st.lists(st.sampled_from(SQLISH + ["sbc_", "A", "9", "_", " "]), max_size=40).map("".join),
    st.composite(lambda draw: near_valid(draw))(),
    st.integers(1_000, 12_000).map(lambda n: "A" * n),
    st.just("sbc_" + "A" * 12 + "_" + "B" * 38),
)


@pytest.mark.django_db
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=bearer_values)
def test_a_fuzzed_token_never_reaches_sql_as_text(value):
    token_cache_forget()
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(InvalidToken):
            token_authenticate(value)
    parsed = keyformat.parse(value)
    if parsed is None:
        assert len(queries) == 0, "a malformed token costs no query"
    sql = "\n".join(q["sql"] for q in queries)
    stripped = value.strip()
    if len(stripped) >= 4:
        assert stripped not in sql
    if len(stripped) >= 8:
        assert stripped[4:] not in sql
    for query in queries:
        if "tokens_apitoken" in query["sql"]:
            assert parsed is not None and parsed.digest in query["sql"]


def sendable(value: str) -> bool:
    """What an HTTP client can put in a header (control characters and bare CR/LF: the raw-socket tests)."""
    return value == value.strip() and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


@pytest.mark.e2e
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=bearer_values.filter(sendable))
def test_a_fuzzed_token_gets_the_apis_refusal_and_is_never_echoed(gateway, value):
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json={"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hi"}]},
        headers={"Authorization": f"Bearer {value}".strip().encode("utf-8")},
        timeout=30,
    )
    error = assert_openai_error(response, 401, 403)
    assert error["code"] == "invalid_api_key"
    stripped = value.strip()
    if len(stripped) >= 4:
        assert stripped not in response.text and stripped not in str(response.headers)
