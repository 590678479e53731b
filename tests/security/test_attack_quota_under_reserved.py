"""Finding: quotas were under-reserved. The reservation counted the HTTP body (a continuation of a stored response
is a few bytes) and 4,096 output tokens (reasoning sends up to 36,864), so concurrent continuations of a large
stored response, or one `reasoning_effort: max` request, took an identity far past its token quota. The
reservation now counts the prompt sent to Bedrock (stored turns loaded) and the `maxTokens` sent (the model's
maximum when none is)."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import assert_openai_error

pytestmark = pytest.mark.e2e
LONG_TASK = "Refactor the billing module, keeping every public name. " * 1_000  # ~14k tokens


def respond(gateway, token: str, **body) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/v1/responses",
        json={"model": "claude-4-sonnet", **body},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def used_today(records, name: str) -> int:
    return sum(record["total_tokens"] for record in records(name))


def test_a_continuation_of_a_large_stored_response_reserves_the_whole_prompt(
    gateway, issue, unique_name, set_quota, records, emulator_log
):
    name = unique_name("continuation")
    set_quota(name, tokens_per_day=40_000)
    token = issue(name)
    first = respond(gateway, token, input=LONG_TASK, max_output_tokens=200)
    assert first.status_code == 200, first.text
    left = 40_000 - used_today(records, name)
    assert 14_000 < used_today(records, name) < 40_000 - 14_000 - 4_096 - 200, "the setup leaves room for one more"
    calls = len(emulator_log())

    # Each continuation sends ~14k tokens to Bedrock from a body of a few bytes: two fit in what is left, three do not.
    answers = [
        respond(gateway, token, input="And the tests?", previous_response_id=first.json()["id"], max_output_tokens=200)
        for _ in range(3)
    ]
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(429) >= 1, f"{statuses}: {left} tokens left, each continuation ~14k"
    assert_openai_error(answers[statuses.index(429)], 429)
    assert len(emulator_log()) - calls == statuses.count(200), "a refused continuation never reaches Bedrock"
    assert used_today(records, name) <= 40_000


def test_a_reasoning_request_reserves_the_output_it_may_use(
    gateway, issue, unique_name, set_quota, records, emulator_log
):
    name = unique_name("reasoning")
    set_quota(name, tokens_per_day=5_000)
    calls = len(emulator_log())
    answer = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json={"model": "claude-4-sonnet", "reasoning_effort": "max", "messages": [{"role": "user", "content": "Plan"}]},
        headers={"Authorization": f"Bearer {issue(name)}"},
        timeout=60,
    )
    error = assert_openai_error(answer, 429)
    assert "quota" in error["message"].lower() or error["code"], error
    assert len(emulator_log()) == calls, "Bedrock was not asked for up to 36,864 tokens on a 5,000-token budget"
    assert used_today(records, name) == 0


def test_a_per_minute_limit_below_a_models_whole_output_still_admits_requests_without_max_tokens(
    gateway, issue, unique_name, set_quota, records
):
    """Reserving a model's whole output (64,000 tokens for Claude 4 Sonnet) against a 20,000-token minute would refuse
    every request without `max_tokens` for ever: the minute holds the usual output reserve instead."""
    name = unique_name("per-minute")
    set_quota(name, tokens_per_minute=20_000, tokens_per_day=1_000_000)
    token = issue(name)
    for _ in range(2):
        answer = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hello"}]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
    assert [record["status"] for record in records(name)] == [200, 200]
