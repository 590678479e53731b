"""Budget alerts: an identity nearing a quota is told once per window, and once more when it is refused."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings

from core.cache import forget_all
from core.errors import QuotaExceeded
from tokens.models import Identity
from tokens.quotas import Limits
from usage.admission import quota_admit, quota_settle
from usage.alerts import alerts_delivered
from usage.models import BudgetAlert

pytestmark = pytest.mark.django_db(transaction=True)  # alerts are delivered from a thread of their own
MONTH = Limits(tokens_per_month=1000, alert_percent=80)
_ids = iter(range(1, 1_000_000))


@pytest.fixture
def carol():
    user = get_user_model().objects.create_user("carol", email="carol@example.com")
    return Identity.objects.create(name="carol@unit", user=user)


def spend(identity, tokens, *, limits=MONTH, cost=0):
    """One request that reserves 100 tokens and settles `tokens`; then its alerts, if any, are delivered."""
    try:
        res = quota_admit(
            identity_id=identity.pk, request_id=f"r{next(_ids)}", limits=limits, tokens=100, cost_micros=0
        )
        quota_settle(res, tokens=tokens, cost_micros=cost)
    finally:
        alerts_delivered()


@override_settings(ALERT_EMAIL_TO=["finops@example.com"], ALERT_EMAIL_OWNER=True)
def test_crossing_the_alert_share_sends_exactly_one_email(carol, clock):
    spend(carol, 500)
    assert mail.outbox == []
    spend(carol, 350)  # 850 of 1,000: past 80%
    spend(carol, 10)
    forget_all()  # another worker, which has not seen the alert
    spend(carol, 10)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["carol@example.com", "finops@example.com"]
    assert "carol@unit has used 85% of its monthly token quota (850 tokens of 1,000 tokens)" in message.body
    alert = BudgetAlert.objects.get()
    assert (alert.level, alert.quota, alert.delivered_to, alert.error) == ("near", "tokens_per_month", "email", "")


@override_settings(ALERT_EMAIL_TO=["finops@example.com"])
def test_refusal_is_told_once_and_a_new_month_starts_over(carol, clock):
    spend(carol, 990)
    for _ in range(3):
        with pytest.raises(QuotaExceeded):
            spend(carol, 0)
    assert [m.subject for m in mail.outbox] == [
        "Simple Bedrock Connector: carol@unit near quota",
        "Simple Bedrock Connector: carol@unit refused quota",
    ]
    assert "its requests are refused until 2026-04-01 00:00 UTC, or until the quota is raised" in mail.outbox[1].body
    assert "has too little of its monthly token quota left (990 tokens of 1,000 tokens used)" in mail.outbox[1].body
    clock.now += timedelta(minutes=1)  # April
    spend(carol, 900)
    assert len(mail.outbox) == 3 and BudgetAlert.objects.filter(level="near").count() == 2


@override_settings(ALERT_EMAIL_TO=["finops@example.com"])
def test_spend_quota_and_identities_without_alerts(carol, clock):
    spend(carol, 10, limits=Limits(usd_micros_per_month=1_000_000, alert_percent=50), cost=600_000)
    assert "has used 60% of its monthly spend quota ($0.60 of $1.00)" in mail.outbox[0].body
    quiet = Identity.objects.create(name="quiet@unit")
    spend(quiet, 2000, limits=Limits(tokens_per_month=1000))
    with pytest.raises(QuotaExceeded):
        spend(quiet, 0, limits=Limits(tokens_per_month=1000))
    assert len(mail.outbox) == 1 and not BudgetAlert.objects.filter(identity=quiet).exists()


class Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):  # noqa: N802 (the handler's own name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), Hook)
    Hook.received, Hook.status = [], 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Hook
    server.shutdown()


def test_a_slack_style_webhook_gets_the_text_and_a_failing_one_is_recorded(carol, clock, webhook):
    url, hook = webhook
    with override_settings(ALERT_WEBHOOK_URL=url):
        spend(carol, 900)
        spend(carol, 10)
    assert len(hook.received) == 1
    payload = hook.received[0]
    assert payload["text"].startswith("carol@unit has used 90% of its monthly token quota")
    assert (payload["level"], payload["quota"], payload["used"], payload["limit"]) == (
        "near",
        "tokens_per_month",
        900,
        1000,
    )
    hook.status = 500
    with override_settings(ALERT_WEBHOOK_URL=url), pytest.raises(QuotaExceeded):
        spend(carol, 0)  # the refusal's alert fails to deliver; the refusal is still the answer
    failed = BudgetAlert.objects.get(level="over")
    assert failed.delivered_to == "" and failed.error.startswith("webhook: HTTPError")


def test_sns_gets_the_alert(carol, clock, aws):
    keys = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    sns, sqs = boto3.client("sns", **keys), boto3.client("sqs", **keys)
    topic = sns.create_topic(Name="sbc-budget")["TopicArn"]
    queue = sqs.create_queue(QueueName="finops")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    with override_settings(ALERT_SNS_TOPIC_ARN=topic):
        spend(carol, 820)
    assert BudgetAlert.objects.get().delivered_to == "sns"
    [message] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == "Simple Bedrock Connector: carol@unit near quota"
    assert envelope["Message"].startswith("carol@unit has used 82% of its monthly token quota")


def test_a_fault_while_raising_an_alert_neither_fails_the_request_nor_settles_it_twice(carol, clock, monkeypatch):
    from usage import alerts
    from usage.models import UsageCounter

    def broken(**fields):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(alerts.BudgetAlert.objects, "create", broken)
    spend(carol, 850)  # crosses 80%: the alert cannot be recorded
    assert UsageCounter.objects.get(identity=carol, period="month").tokens == 850
    assert not BudgetAlert.objects.exists() and mail.outbox == []


@override_settings(ALERT_EMAIL_TO=["finops@example.com"])
def test_below_the_alert_share_alerts_cost_no_query(
    carol, clock, django_assert_num_queries, django_assert_max_num_queries
):
    spend(carol, 100)  # the window rows exist from here on
    quiet = Limits(tokens_per_month=1000)
    res = quota_admit(identity_id=carol.pk, request_id="warm", limits=quiet, tokens=100, cost_micros=0)
    quota_settle(res, tokens=100, cost_micros=0)
    with django_assert_max_num_queries(50) as without:
        spend(carol, 100, limits=quiet)
    with django_assert_num_queries(len(without.captured_queries)):
        spend(carol, 100)  # 400 of 1,000: below the share
    assert mail.outbox == []


@override_settings(ALERT_EMAIL_TO=["finops@example.com"])
def test_a_daily_quota_alerts_per_day(carol, clock):
    daily = Limits(tokens_per_day=100, alert_percent=90)
    spend(carol, 95, limits=daily)
    assert "has used 95% of its daily token quota (95 tokens of 100 tokens)" in mail.outbox[0].body
    assert "it resets at 2026-04-01 00:00 UTC" in mail.outbox[0].body
