"""End to end: requests made with the openai SDK through gunicorn leave usage records, and limits answer 429/403."""

from __future__ import annotations

from decimal import Decimal

import httpx
import openai
import pytest

pytestmark = pytest.mark.e2e


def sdk(gateway, raw_token):
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=raw_token, max_retries=0, timeout=30)


def ask(client, text="Hello there", **kwargs):
    return client.chat.completions.create(
        model=kwargs.pop("model", "claude-4-sonnet"), messages=[{"role": "user", "content": text}], **kwargs
    )


def test_a_request_is_recorded_with_its_tokens_and_cost(gateway, issue, unique_name, records):
    name = unique_name()
    reply = ask(sdk(gateway, issue(name)), model="gpt-4o", max_tokens=100)
    [record] = records(name)
    assert (record["prompt_tokens"], record["completion_tokens"], record["total_tokens"]) == (
        reply.usage.prompt_tokens,
        reply.usage.completion_tokens,
        reply.usage.total_tokens,
    )
    # claude-4-sonnet's list price, which gpt-4o points at: $3 in, $15 out per million tokens.
    expected = (Decimal(reply.usage.prompt_tokens) * 3 + Decimal(reply.usage.completion_tokens) * 15) / 1_000_000
    assert record["cost_usd"] == expected.quantize(Decimal("0.00000001")) and record["cost_usd"] > 0
    assert record["model_requested"] == "gpt-4o"
    assert record["model_resolved"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert (record["status"], record["finish_reason"], record["streamed"]) == (200, "stop", False)
    assert record["client"] == "openai-python" and record["request_id"].startswith("req_")


def test_a_stream_is_recorded_once(gateway, issue, unique_name, records):
    name = unique_name()
    chunks = list(ask(sdk(gateway, issue(name)), stream=True, stream_options={"include_usage": True}))
    [record] = records(name)
    assert record["streamed"] and record["status"] == 200 and not record["disconnected"]
    assert record["total_tokens"] == chunks[-1].usage.total_tokens


def test_a_bedrock_error_still_leaves_one_record(gateway, issue, unique_name, records):
    name = unique_name()
    with pytest.raises(openai.RateLimitError):
        ask(sdk(gateway, issue(name)), "Hi [[sbc:error=ThrottlingException]]")
    [record] = records(name)
    assert record["status"] == 429 and record["error_code"] == "rate_limit_exceeded"
    assert record["total_tokens"] == 0 and record["cost_usd"] == 0


def test_a_client_that_disconnects_mid_stream_leaves_one_record_and_bedrock_is_closed(
    gateway, issue, unique_name, records, emulator_log
):
    import time

    name = unique_name()
    body = {
        "model": "claude-4-sonnet",
        "stream": True,
        "messages": [{"role": "user", "content": "Tell me more [[sbc:pace=50x40]]"}],
    }
    with httpx.Client(timeout=10) as http:
        with http.stream(
            "POST", f"{gateway.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {issue(name)}"}
        ) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            seen = 0
            for line in lines:
                if line.startswith("data:"):
                    seen += 1
                    if seen == 2:
                        break
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not records(name):
        time.sleep(0.1)
    time.sleep(0.5)
    [record] = records(name)
    assert record["disconnected"] and record["status"] == 499 and record["streamed"]
    assert record["prompt_tokens"] > 0, "what was sent is charged"
    sent = emulator_log()[-1]
    assert sent.get("client_disconnected") is True


def test_a_model_outside_the_allow_list_is_refused_before_bedrock(
    gateway, issue, unique_name, set_quota, records, emulator_log
):
    name = unique_name()
    set_quota(name, allowed_models="claude-3.5-haiku\nllama-3.3-70b")
    client = sdk(gateway, issue(name))
    before = len(emulator_log())
    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(client, model="claude-4-sonnet")
    assert refused.value.body["code"] == "permission_denied"
    assert len(emulator_log()) == before
    assert ask(client, model="claude-3.5-haiku").choices[0].message.content
    assert [r["status"] for r in records(name)] == [403, 200]


def test_requests_per_minute_answer_429_with_retry_after_and_headers(gateway, issue, unique_name, set_quota, records):
    name = unique_name()
    set_quota(name, requests_per_minute=2, tokens_per_minute=100_000)
    client = sdk(gateway, issue(name))
    first = client.chat.completions.with_raw_response.create(
        model="claude-4-sonnet", messages=[{"role": "user", "content": "Hi"}], max_tokens=50
    )
    assert first.headers["x-ratelimit-limit-requests"] == "2"
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert first.headers["x-ratelimit-limit-tokens"] == "100000"
    assert int(first.headers["x-ratelimit-remaining-tokens"]) < 100_000
    assert first.headers["x-ratelimit-reset-requests"].endswith("s")
    stream = client.chat.completions.with_raw_response.create(
        model="claude-4-sonnet", messages=[{"role": "user", "content": "Hi"}], max_tokens=50, stream=True
    )
    assert stream.headers["x-ratelimit-remaining-requests"] == "0"
    list(stream.parse())
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, max_tokens=50)
    assert refused.value.body["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.value.response.headers["Retry-After"]) <= 60
    assert refused.value.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert [r["status"] for r in records(name)] == [200, 200, 429]


def test_a_daily_token_quota_answers_insufficient_quota(gateway, issue, unique_name, set_quota):
    name = unique_name()
    set_quota(name, tokens_per_day=10)
    with pytest.raises(openai.RateLimitError) as refused:
        ask(sdk(gateway, issue(name)), max_tokens=100)
    assert refused.value.body["code"] == "insufficient_quota"
    assert refused.value.body["type"] == "insufficient_quota"
    retry_after = int(refused.value.response.headers["Retry-After"])
    assert 1 <= retry_after <= 86_400


def test_concurrent_streams_are_limited(gateway, issue, unique_name, set_quota, emulator):
    import threading

    name = unique_name()
    set_quota(name, concurrent_streams=1)
    client = sdk(gateway, issue(name))
    gate = f"conc-{name}"
    stream = ask(client, f"Hold [[sbc:gate={gate}]]", stream=True)
    try:
        with pytest.raises(openai.RateLimitError) as refused:
            ask(client)
        assert refused.value.body["code"] == "rate_limit_exceeded"
        assert "Retry-After" in refused.value.response.headers
    finally:
        httpx.post(f"{emulator.url}/_emulator/gates/{gate}/release")
        threading.Thread(target=lambda: list(stream)).run()
    assert ask(client).choices[0].finish_reason == "stop"


def test_sdk_requests_show_up_on_the_admin_dashboard(gateway, issue, unique_name, django_db_blocker):
    from django.contrib.auth import get_user_model
    from django.test import Client

    name = unique_name("dash")
    client = sdk(gateway, issue(name))
    replies = [ask(client, "Hi") for _ in range(2)]
    with django_db_blocker.unblock():
        admin, _ = get_user_model().objects.get_or_create(
            username="usage-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        browser = Client()
        browser.force_login(admin)
        html = browser.get("/admin/usage/usagedashboard/", {"identity": name}).content.decode()
    tokens = sum(r.usage.total_tokens for r in replies)
    assert f'<span class="value" id="total-tokens">{tokens}</span>' in html
    assert '<span class="value" id="total-requests">2</span>' in html


# Refusals before Bedrock (400, 404, 403, 415) and requests without a valid token:
# tests/security/test_attack_unmetered_requests.py
