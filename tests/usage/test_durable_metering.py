"""No answer without its record (issue 23), at the service level: the spool, the reaper, the heartbeat, the lease
that expires, and the database breaker that stops serving from caches.

The same mechanisms against the running server are in test_durable_live.py.
"""

from __future__ import annotations

import fcntl
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.db.models import Sum
from django.test import Client

from core.db_breaker import breaker as database_breaker
from core.errors import InvalidToken, RateLimited
from tokens import authentication
from tokens.authentication import token_authenticate
from tokens.models import ApiToken, Identity
from tokens.quotas import Limits
from tokens.services import token_issue
from usage import admission, heartbeat, metering, spool
from usage.admission import quota_admit
from usage.metering import Meter
from usage.models import ConcurrencyLease, PendingReservation, UsageCounter, UsageRecord
from usage.reaper import INTERRUPTED, reservation_reap, reservations_reap

pytestmark = pytest.mark.django_db
USAGE = {"prompt_tokens": 300, "completion_tokens": 200, "total_tokens": 500}


@pytest.fixture
def alice():
    return Identity.objects.create(name="alice@durable")


@pytest.fixture(autouse=True)
def spool_dir(settings, tmp_path):
    settings.SPOOL_DIR = str(tmp_path / "spool")
    settings.QUOTA_LEASE_SECONDS = 30
    return tmp_path / "spool"


def started(identity, limits: Limits, request_id: str, tokens: int = 1_000) -> Meter:
    meter = Meter(
        request_id=request_id,
        identity=identity.name,
        identity_id=identity.pk,
        token_id="abc",
        endpoint="chat.completions",
        model_requested="claude-4-sonnet",
        model_resolved="claude-4-sonnet",
        message_count=1,
        streamed=True,
        client="test",
        metadata={},
    )
    meter.reservation = quota_admit(
        identity_id=identity.pk,
        request_id=request_id,
        limits=limits,
        tokens=tokens,
        cost_micros=0,
        seed=meter.pending_seed(),
    )
    return meter


def day_tokens(identity) -> int:
    return UsageCounter.objects.get(identity=identity, period="day").tokens


def recorded_tokens(identity) -> int:
    return UsageRecord.objects.filter(identity=identity).aggregate(n=Sum("total_tokens"))["n"] or 0


def database_down(monkeypatch):
    """Every settlement write fails as a database that went away does."""

    def refuse(*args, **kwargs):
        raise OperationalError("the connection is lost")

    monkeypatch.setattr(metering, "settlement_write", refuse)
    monkeypatch.setattr(metering, "record_write", refuse)
    monkeypatch.setattr(metering, "_recorded", lambda request_id: False)


def test_a_settlement_the_database_cannot_take_is_spooled_and_replayed_exactly_once(alice, clock, monkeypatch):
    limits = Limits(tokens_per_day=1_000_000, concurrent=5)
    meter = started(alice, limits, "req_spooled")
    with monkeypatch.context() as patch:
        database_down(patch)
        assert meter.settle(status=200, usage=USAGE)
    assert not UsageRecord.objects.filter(request_id="req_spooled").exists()
    assert spool.spool_pending() and database_breaker.is_open()
    (line,) = b"".join(path.read_bytes() for path in spool.spool_dir().iterdir()).splitlines()

    assert spool.spool_replay() == (1, 0)
    record = UsageRecord.objects.get(request_id="req_spooled")
    assert (record.status, record.total_tokens) == (200, 500)
    assert day_tokens(alice) == recorded_tokens(alice) == 500  # the estimate of 1,000 was settled to 500
    assert not spool.spool_pending() and not PendingReservation.objects.exists()
    assert not ConcurrencyLease.objects.exists()

    # A worker that died after writing the entry but before deleting its file: the entry is not applied twice.
    (spool.spool_dir() / "crashed-1.jsonl").write_bytes(line + b"\n")
    assert spool.spool_replay() == (0, 1)
    assert UsageRecord.objects.filter(request_id="req_spooled").count() == 1
    assert day_tokens(alice) == recorded_tokens(alice) == 500


def test_a_whole_answer_without_a_reservation_is_spooled_too(alice, monkeypatch):
    meter = Meter(
        request_id="req_unlimited",
        identity=alice.name,
        identity_id=alice.pk,
        token_id="abc",
        endpoint="chat.completions",
        model_requested="claude-4-sonnet",
        model_resolved="claude-4-sonnet",
        message_count=1,
        streamed=False,
        client="test",
        metadata={},
    )
    with monkeypatch.context() as patch:
        database_down(patch)
        meter.settle(status=200, usage=USAGE)
    assert spool.spool_replay() == (1, 0)
    assert UsageRecord.objects.get(request_id="req_unlimited").total_tokens == 500


def test_the_first_try_that_committed_before_its_answer_was_lost_is_not_written_again(alice, clock, monkeypatch):
    meter = started(alice, Limits(tokens_per_day=1_000_000), "req_acked_late")
    real_write = admission.settlement_write
    calls = []

    def commits_then_drops(settlement, record=None):
        calls.append(record["request_id"])
        real_write(settlement, record)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(metering, "settlement_write", commits_then_drops)
    meter.settle(status=200, usage=USAGE)
    assert calls == ["req_acked_late"]  # the retry found the record and wrote nothing more
    assert UsageRecord.objects.filter(request_id="req_acked_late").count() == 1
    assert day_tokens(alice) == recorded_tokens(alice) == 500 and not spool.spool_pending()


def test_the_reaper_settles_a_crashed_workers_reservation_once_as_interrupted(alice, clock, settings):
    limits = Limits(tokens_per_day=1_000_000, concurrent=1)
    started(alice, limits, "req_orphan", tokens=1_234)  # its worker is killed: never settled
    heartbeat.heartbeat_forget()  # and its heartbeat is gone with it
    assert day_tokens(alice) == 1_234 and recorded_tokens(alice) == 0

    assert reservations_reap(now=clock.now + timedelta(seconds=45)) == 0  # its lease could still be extended
    late = clock.now + timedelta(seconds=61)
    assert reservations_reap(now=late) == 1
    assert reservations_reap(now=late) == 0  # another reaper finds nothing left
    record = UsageRecord.objects.get(request_id="req_orphan")
    assert (record.status, record.error_code, record.usage_estimated) == (500, INTERRUPTED, True)
    assert day_tokens(alice) == recorded_tokens(alice) == 1_234
    clock.now = late
    started(alice, limits, "req_next")  # and the identity's concurrency slot is free


def test_two_reapers_of_one_orphan_write_one_record(alice, clock):
    started(alice, Limits(tokens_per_day=1_000_000), "req_twice", tokens=700)
    heartbeat.heartbeat_forget()
    (row,) = PendingReservation.objects.all()
    late = clock.now + timedelta(seconds=61)
    assert [reservation_reap(row, late), reservation_reap(row, late)] == [True, False]
    assert UsageRecord.objects.filter(request_id="req_twice").count() == 1
    assert day_tokens(alice) == recorded_tokens(alice) == 700


def test_the_heartbeat_keeps_a_long_requests_lease_and_reservation_alive(alice, clock):
    limits = Limits(tokens_per_day=1_000_000, concurrent=1)
    started(alice, limits, "req_long")
    for _ in range(10):  # five minutes of a stream, a beat every 10 s as the upkeep thread does
        clock.now += timedelta(seconds=10)
        assert heartbeat.beat() == 1
    clock.now += timedelta(seconds=10)
    with pytest.raises(RateLimited, match="concurrent"):
        started(alice, limits, "req_second")  # the long stream still holds the slot
    assert reservations_reap(now=clock.now) == 0


def test_an_expired_database_lease_is_reclaimed(alice, clock):
    limits = Limits(concurrent=1)
    started(alice, limits, "req_crashed")
    heartbeat.heartbeat_forget()
    clock.now += timedelta(seconds=31)
    started(alice, limits, "req_after")  # the crashed request's slot came back after QUOTA_LEASE_SECONDS
    assert UsageCounter.objects.get(identity=alice, period="lease").requests == 1


def test_while_the_database_is_down_a_remembered_token_is_not_enough(alice):
    issued = token_issue(identity=alice, ttl="1d", name="")
    assert token_authenticate(issued.token).identity_id == alice.pk  # remembered now
    ApiToken.objects.filter(identity=alice).delete()  # gone, and the cache does not know
    assert token_authenticate(issued.token).identity_id == alice.pk
    database_breaker.failed(OperationalError("connection refused"))
    with pytest.raises(InvalidToken):
        token_authenticate(issued.token)  # asked the database again
    assert not database_breaker.is_open()  # which answered: the breaker closed


def test_a_request_refused_because_the_database_is_down_is_a_counted_response_event(alice, monkeypatch, caplog):
    issued = token_issue(identity=alice, ttl="1d", name="")

    def unreachable(parsed):
        raise OperationalError("connection refused")

    monkeypatch.setattr(authentication, "_lookup", unreachable)
    caplog.set_level("INFO", logger="sbc.events")
    answer = Client().post(
        "/v1/chat/completions",
        data={"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "hi"}]},
        content_type="application/json",
        headers={"authorization": f"Bearer {issued.token}"},
    )
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "service_unavailable"
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "sbc.events"]
    (refused,) = [e for e in events if e["event"] == "response"]
    assert (refused["status"], refused["error_code"], refused["reached_bedrock"]) == (
        503,
        "database_unavailable",
        False,
    )
    assert refused["request_id"] == answer["x-request-id"]
    assert database_breaker.is_open() and not UsageRecord.objects.exists()


def test_a_spool_file_another_worker_is_replaying_is_left_to_it(alice, clock, monkeypatch):
    meter = started(alice, Limits(tokens_per_day=1_000_000), "req_locked")
    with monkeypatch.context() as patch:
        database_down(patch)
        meter.settle(status=200, usage=USAGE)
    (path,) = spool.spool_dir().iterdir()
    with open(path, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another worker's replay holds it
        assert spool.spool_replay() == (0, 0)
    assert path.exists() and not UsageRecord.objects.filter(request_id="req_locked").exists()
    out = io.StringIO()
    call_command("replay_spool", stdout=out)
    assert "Replayed 1 spooled settlement" in out.getvalue()
    assert UsageRecord.objects.filter(request_id="req_locked").count() == 1 and not path.exists()
