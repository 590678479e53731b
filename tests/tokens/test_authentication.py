"""Bearer-token checks: format before the database, expiry, revocation, deactivation, coarse last use."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import InvalidToken
from tokens import keyformat
from tokens.authentication import token_authenticate
from tokens.models import ApiToken, Identity
from tokens.revocation import revocation_generation_bump
from tokens.services import identity_get_or_create, identity_set_active, token_issue, token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> Identity:
    return identity_get_or_create(name="alice@test")


def issue(identity: Identity, ttl: str = "1d") -> str:
    return token_issue(identity=identity, ttl=ttl).token


def flip(token: str, index: int) -> str:
    char = "A" if token[index] != "A" else "B"
    return token[:index] + char + token[index + 1 :]


def test_it_authenticates_a_fresh_token(alice):
    caller = token_authenticate(issue(alice))
    assert caller.identity_name == "alice@test"


@pytest.mark.parametrize("raw", ["", "sk-openai-style", "sbc_", "sbc_" + "x" * 51, "Bearer sbc_abc", "sbc_💥" * 10])
def test_it_rejects_malformed_tokens_without_a_query(raw, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(InvalidToken) as error:
        token_authenticate(raw)
    assert error.value.status == 403 and error.value.message == "Invalid or expired token"


def test_it_rejects_a_mistyped_token_without_a_query(alice, django_assert_num_queries):
    token = issue(alice)
    for index in (5, 20, len(token) - 1):
        with django_assert_num_queries(0), pytest.raises(InvalidToken):
            token_authenticate(flip(token, index))


def test_the_published_regex_matches_issued_tokens(alice):
    import re

    token = issue(alice)
    assert re.fullmatch(keyformat.TOKEN_REGEX, token)
    assert re.search(keyformat.TOKEN_REGEX, f"export OPENAI_API_KEY={token}\n").group(0) == token


def test_an_unknown_well_formed_token_gets_403():
    token, _ = keyformat.generate()
    with pytest.raises(InvalidToken):
        token_authenticate(token)


def test_an_expired_token_gets_403(alice):
    issued = token_issue(identity=alice, ttl="1h")
    token_authenticate(issued.token)
    ApiToken.objects.filter(pk=issued.record.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revocation_generation_bump()
    with pytest.raises(InvalidToken):
        _eventually_rejected(issued.token)


def test_a_revoked_token_gets_403_at_once_in_the_revoking_process(alice):
    issued = token_issue(identity=alice, ttl="1d")
    token_authenticate(issued.token)
    assert token_revoke(token=issued.record, revoked_by="test")
    with pytest.raises(InvalidToken):
        token_authenticate(issued.token)
    assert not token_revoke(token=issued.record), "a second revoke reports that nothing changed"


def test_a_deactivated_identity_gets_403(alice):
    token = issue(alice)
    token_authenticate(token)
    identity_set_active(identity=alice, active=False)
    with pytest.raises(InvalidToken):
        _eventually_rejected(token)


def test_a_revoke_in_another_process_drops_the_cached_lookup(alice):
    """Another process only changes the database; this process must notice within about a second."""
    issued = token_issue(identity=alice, ttl="1d")
    token_authenticate(issued.token)  # now cached here for TOKEN_CACHE_SECONDS
    ApiToken.objects.filter(pk=issued.record.pk).update(revoked_at=timezone.now())
    revocation_generation_bump()
    with pytest.raises(InvalidToken):
        _eventually_rejected(issued.token)


def test_cached_lookups_cost_at_most_one_query_a_second(alice, django_assert_max_num_queries):
    token = issue(alice)
    token_authenticate(token)
    with django_assert_max_num_queries(2):  # at most the revocation check and one last-used write
        for _ in range(200):
            token_authenticate(token)


def test_last_used_is_written_at_most_once_a_minute(alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    issued = token_issue(identity=alice, ttl="1d")
    token_authenticate(issued.token)
    issued.record.refresh_from_db()
    first = issued.record.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            token_authenticate(issued.token)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    # A minute later (another worker that has not written yet): one conditional write.
    ApiToken.objects.filter(pk=issued.record.pk).update(last_used_at=first - timedelta(minutes=2))
    from tokens import authentication

    authentication._last_used_written.forget()
    token_authenticate(issued.token)
    issued.record.refresh_from_db()
    assert issued.record.last_used_at >= first


def _eventually_rejected(token: str, within: float = 3.0) -> None:
    """Authenticate until InvalidToken (raised) or `within` seconds pass (returns)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        token_authenticate(token)
        time.sleep(0.1)
