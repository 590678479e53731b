"""Commits that lose a write conflict, as Aurora DSQL refuses them (40001, OC000): the request is still answered,
and what it used is counted once.

These need real commits, so each test runs outside the test's own transaction (transaction=True).
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import OperationalError

from tokens.models import ApiToken, Identity, Quota
from tokens.quotas import limits_for, limits_forget
from tokens.services import token_issue, token_revoke
from usage.admission import quota_admit, quota_settle
from usage.metering import Origin, meter_start
from usage.models import UsageCounter, UsageRecord
from usage.records import usage_record_values
from usage.windows.database import counters_forget

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def carol(dsql_profile):
    identity = Identity.objects.create(name="carol@conflicts")
    Quota.objects.filter(identity=identity).update(  # its row comes with the identity
        tokens_per_day=1_000_000, requests_per_minute=100, concurrent_streams=4
    )
    limits_forget(identity.pk)
    counters_forget()
    return identity


def rows(identity, period):
    return UsageCounter.objects.filter(identity=identity, period=period)


def test_a_request_is_admitted_and_settled_once_when_both_commits_conflict(carol, dsql_profile):
    caller = SimpleNamespace(identity_name=carol.name, identity_id=carol.pk, token_id="tok_conflict")
    dsql_profile.arm(nth=1)  # admission's commit
    meter = meter_start(
        origin=Origin(request_id="req_conflict_1", client="curl", prompt_estimate=100),
        caller=caller,
        endpoint="chat.completions",
        model_requested="claude-sonnet-4.6",
        model_resolved="anthropic.claude-sonnet-4-6",
        message_count=1,
        streamed=False,
        max_tokens=900,
    )
    assert dsql_profile.raised == 1 and meter.reservation is not None

    dsql_profile.arm(nth=1)  # settlement's commit: the record and the windows together
    usage = {"prompt_tokens": 40, "completion_tokens": 60, "total_tokens": 100}
    assert meter.settle(status=200, usage=usage, finish_reason="stop") is True
    assert dsql_profile.raised == 1

    records = UsageRecord.objects.filter(request_id="req_conflict_1")
    assert records.count() == 1 and records.get().total_tokens == 100
    assert rows(carol, "minute").get().requests == 1
    assert rows(carol, "day").get().tokens == sum(
        UsageRecord.objects.filter(identity=carol).values_list("total_tokens", flat=True)
    )
    assert rows(carol, "lease").get().requests == 0  # its slot freed once


def test_counters_equal_the_records_after_many_conflicted_requests(carol, dsql_profile):
    for n in range(5):
        dsql_profile.arm(nth=1, times=2)  # the first two tries of the admission fail
        reservation = quota_admit(
            identity_id=carol.pk, request_id=f"req_many_{n}", limits=limits_for(carol.pk), tokens=500, cost_micros=0
        )
        dsql_profile.arm(nth=1)  # and the first try of the settlement
        record = usage_record_values(
            request_id=f"req_many_{n}",
            identity_id=carol.pk,
            identity_name=carol.name,
            token_id="tok_conflict",
            endpoint="chat.completions",
            model_requested="claude-sonnet-4.6",
            model_resolved="anthropic.claude-sonnet-4-6",
            region="us-east-1",
            usage={"prompt_tokens": 10 * n, "completion_tokens": 5, "total_tokens": 10 * n + 5},
            cost_usd=Decimal(0),
            latency_ms=1,
            streamed=False,
            status=200,
            finish_reason="stop",
            error_code=None,
            client="curl",
            disconnected=False,
        )
        quota_settle(reservation, tokens=10 * n + 5, cost_micros=0, record=record)

    assert UsageRecord.objects.filter(identity=carol).count() == 5
    assert rows(carol, "minute").get().requests == 5
    assert rows(carol, "day").get().tokens == sum(10 * n + 5 for n in range(5))
    assert rows(carol, "lease").get().requests == 0


def test_a_token_issued_and_revoked_under_conflicts_exists_once_and_stays_revoked(carol, dsql_profile):
    dsql_profile.arm(nth=1)
    issued = token_issue(identity=carol, ttl="30d", name="laptop")
    assert dsql_profile.raised == 1
    assert ApiToken.objects.filter(identity=carol).count() == 1

    dsql_profile.arm(nth=1)
    assert token_revoke(token=issued.record, revoked_by="admin:conflicts") is True
    assert dsql_profile.raised == 1
    assert ApiToken.objects.get(pk=issued.record.pk).revoked_at is not None


def test_a_conflict_that_never_clears_is_reported_not_hidden(carol, dsql_profile):
    dsql_profile.arm(nth=1, times=100)
    with pytest.raises(OperationalError, match="OC000"):
        token_issue(identity=carol, ttl="30d", name="never")
    dsql_profile.disarm()
    assert not ApiToken.objects.filter(identity=carol, name="never").exists()
