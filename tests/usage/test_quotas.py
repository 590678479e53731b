"""Quotas and rate limits at the service level, with a replaceable clock to cross window boundaries."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from core.errors import QuotaExceeded, RateLimited
from tokens.models import Identity, Quota
from tokens.quotas import Limits, limits_for
from usage.admission import quota_admit, quota_settle
from usage.metering import Meter
from usage.models import UsageCounter, UsageRecord
from usage.pricing import Price, cost_usd
from usage.windows.calendar import seconds_to_reset

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return Identity.objects.create(name="alice@unit")


def admit(identity, limits, tokens=100, cost=0, request_id=None):
    admit.n = getattr(admit, "n", 0) + 1
    return quota_admit(
        identity_id=identity.pk,
        request_id=request_id or f"req_{admit.n}",
        limits=limits,
        tokens=tokens,
        cost_micros=cost,
    )


def counter(identity, period):
    return UsageCounter.objects.get(identity=identity, period=period)


def test_it_prices_fresh_cached_and_written_prompt_tokens_separately():
    price = Price(Decimal(3), Decimal(15), Decimal("0.30"), Decimal("3.75"))
    usage = {
        "prompt_tokens": 1_000_000 + 2_000_000 + 100_000,
        "completion_tokens": 10_000,
        "prompt_tokens_details": {"cached_tokens": 2_000_000, "cache_write_tokens": 100_000},
    }
    assert cost_usd(price, usage) == Decimal("3") + Decimal("0.60") + Decimal("0.375") + Decimal("0.15")


def test_it_refuses_past_the_daily_tokens_and_admits_again_after_utc_midnight(alice, clock):
    limits = Limits(tokens_per_day=250)
    admit(alice, limits), admit(alice, limits)
    with pytest.raises(QuotaExceeded) as refused:
        admit(alice, limits)
    assert refused.value.status == 429 and refused.value.code == "insufficient_quota"
    assert refused.value.headers["Retry-After"] == "30"  # 23:59:30 -> midnight
    clock.now += timedelta(seconds=31)
    admit(alice, limits)
    assert UsageCounter.objects.filter(identity=alice, period="day").count() == 2


def test_a_monthly_quota_resets_on_the_first_of_the_month(alice, clock):
    limits = Limits(tokens_per_month=100)
    admit(alice, limits)
    clock.now = clock.now.replace(day=15, hour=12, minute=0, second=0)  # still March
    with pytest.raises(QuotaExceeded) as refused:
        admit(alice, limits)
    assert int(refused.value.headers["Retry-After"]) == seconds_to_reset("month", clock.now)
    assert seconds_to_reset("month", clock.now) == int(timedelta(days=16, hours=12).total_seconds())
    clock.now = clock.now.replace(month=4, day=1, hour=0)
    admit(alice, limits)


def test_a_spend_limit_counts_dollars(alice, clock):
    limits = Limits(usd_micros_per_month=1_000_000)  # $1
    res = admit(alice, limits, cost=600_000)
    with pytest.raises(QuotaExceeded, match=r"\$1.00"):
        admit(alice, limits, cost=600_000)
    quota_settle(res, tokens=50, cost_micros=100_000)  # it cost less than reserved
    admit(alice, limits, cost=600_000)


def test_settlement_replaces_the_estimate_with_the_actual_usage(alice, clock):
    limits = Limits(tokens_per_day=10_000, tokens_per_month=100_000)
    res = admit(alice, limits, tokens=4_000)
    assert counter(alice, "day").tokens == 4_000
    quota_settle(res, tokens=123, cost_micros=5)
    assert counter(alice, "day").tokens == 123 and counter(alice, "month").tokens == 123
    assert counter(alice, "month").cost_micros == 5


def test_a_refused_month_rolls_back_the_day_and_the_minute_and_keeps_the_rate_headers(alice, clock):
    limits = Limits(tokens_per_day=10_000, tokens_per_month=150, requests_per_minute=10)
    admit(alice, limits)
    with pytest.raises(QuotaExceeded) as refused:
        admit(alice, limits)
    assert counter(alice, "day").tokens == 100 and counter(alice, "minute").requests == 1
    assert refused.value.headers["x-ratelimit-remaining-requests"] == "9"


def test_requests_per_minute_with_headers_and_reset_at_the_next_minute(alice, clock):
    limits = Limits(requests_per_minute=2, tokens_per_minute=1_000)
    first = admit(alice, limits)
    assert first.headers["x-ratelimit-limit-requests"] == "2"
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert first.headers["x-ratelimit-remaining-tokens"] == "900"
    assert first.headers["x-ratelimit-reset-requests"] == "30s"
    admit(alice, limits)
    with pytest.raises(RateLimited) as refused:
        admit(alice, limits)
    assert refused.value.code == "rate_limit_exceeded"
    assert refused.value.headers["Retry-After"] == "30"
    assert refused.value.headers["x-ratelimit-remaining-requests"] == "0"
    clock.now += timedelta(seconds=30)
    admit(alice, limits)


def test_tokens_per_minute(alice, clock):
    limits = Limits(tokens_per_minute=250)
    admit(alice, limits), admit(alice, limits)
    with pytest.raises(RateLimited, match="250 tokens per minute"):
        admit(alice, limits)


def test_concurrency_leases_free_on_settlement_and_expire(alice, clock, settings):
    settings.QUOTA_LEASE_SECONDS = 60
    limits = Limits(concurrent=1)
    first = admit(alice, limits)
    with pytest.raises(RateLimited, match="concurrent"):
        admit(alice, limits)
    quota_settle(first, tokens=1, cost_micros=0)
    admit(alice, limits)  # a worker that crashes never settles this one...
    clock.now += timedelta(seconds=61)
    admit(alice, limits)  # ...but its lease expires


def test_a_refused_concurrency_slot_takes_nothing_from_the_other_windows(alice, clock):
    limits = Limits(tokens_per_day=10_000, requests_per_minute=100, concurrent=1)
    admit(alice, limits)
    with pytest.raises(RateLimited, match="concurrent"):
        admit(alice, limits)
    assert counter(alice, "day").tokens == 100 and counter(alice, "minute").requests == 1


def test_a_request_that_ends_after_its_lease_expired_frees_no_other_slot(alice, clock, settings):
    settings.QUOTA_LEASE_SECONDS = 60
    limits = Limits(concurrent=1)
    slow = admit(alice, limits)
    clock.now += timedelta(seconds=61)
    admit(alice, limits)  # the slow request's lease expired, so this one gets the slot
    quota_settle(slow, tokens=1, cost_micros=0)
    with pytest.raises(RateLimited, match="concurrent"):
        admit(alice, limits)  # the slot is still held


def test_a_refused_usage_record_does_not_cost_the_quota_settlement(alice, clock):
    limits = Limits(tokens_per_day=10_000, concurrent=1)
    reservation = admit(alice, limits, tokens=4_000, request_id="req_taken")
    UsageRecord.objects.create(
        request_id="req_taken", identity_name="someone", endpoint="chat.completions", model_requested="m", status=200
    )  # the record's unique id is already used
    meter = Meter(
        request_id="req_taken",
        identity=alice.name,
        identity_id=alice.pk,
        token_id="",
        endpoint="chat.completions",
        model_requested="m",
        model_resolved="m",
        message_count=1,
        streamed=False,
        client="test",
        metadata={},
        reservation=reservation,
    )
    assert meter.settle(status=200, usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15})
    assert counter(alice, "day").tokens == 15
    admit(alice, limits)  # and the concurrency slot was freed


def test_a_new_identity_gets_the_default_quota_from_settings():
    with override_settings(
        QUOTA_DEFAULT_TOKENS_PER_DAY=5000,
        QUOTA_DEFAULT_REQUESTS_PER_MINUTE=10,
        QUOTA_DEFAULT_USD_PER_MONTH="25.50",
        QUOTA_DEFAULT_ALLOWED_MODELS=["claude-4-sonnet"],
    ):
        bob = Identity.objects.create(name="bob@unit")
    quota = Quota.objects.get(identity=bob)
    assert (quota.tokens_per_day, quota.requests_per_minute, quota.usd_per_month) == (5000, 10, Decimal("25.50"))
    limits = limits_for(bob.pk)
    assert limits.allows("claude-4-sonnet") and not limits.allows("mistral-large")
    assert Limits().unlimited and not limits.unlimited


def test_the_clock_is_utc(clock):
    assert clock().tzinfo is UTC


@pytest.mark.parametrize(
    "name", ["QUOTA_DEFAULT_REQUESTS_PER_MINUTE", "QUOTA_DEFAULT_TOKENS_PER_MINUTE", "QUOTA_DEFAULT_CONCURRENT_STREAMS"]
)
def test_a_per_minute_default_beyond_its_column_stops_start_up_with_a_clear_message(name):
    """Otherwise PostgreSQL refuses the value when the first identity is created, and that request fails."""
    import subprocess
    import sys

    from tests.live import ROOT, server_env

    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(**{name: "3000000000"}),
    )
    assert done.returncode != 0
    assert f"{name} must be at most 2147483647, got 3000000000" in done.stderr
