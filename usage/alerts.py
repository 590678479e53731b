"""Budget alerts: tell someone once when an identity nears a day or month quota, and once when it is refused.

Admission knows what each window holds after it (and settlement what changed since), so a check costs no
query; only a crossing does work. `BudgetAlert`'s unique row makes each alert once per identity, quota, window
and level across every worker and instance: whoever inserts the row delivers it, off the request's thread,
within ALERT_TIMEOUT_SECONDS per channel: e-mail (ALERT_EMAIL_TO, and the identity's user with
ALERT_EMAIL_OWNER), a Slack-style webhook (ALERT_WEBHOOK_URL) and SNS (ALERT_SNS_TOPIC_ARN). A `budget_alert`
log event is written for every alert, so a CloudWatch alarm can follow it even with no channel configured. A
failed channel is recorded on the row and in the event and never retried; nothing here fails a request.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from botocore.config import Config
from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db import connection as db_connection

from core.cache import ProcessCache
from core.db_retry import retry_on_conflict
from tokens.models import Identity
from tokens.quotas import Limits
from usage.events import event_emit
from usage.models import BudgetAlert
from usage.quota_use import PERIODS, QUOTAS, WORDS, quota_amount, quota_limit
from usage.windows.calendar import WINDOWS

log = logging.getLogger("sbc.usage")
NEAR, OVER = BudgetAlert.NEAR, BudgetAlert.OVER
_raised: ProcessCache[bool] = ProcessCache("budget alerts raised")  # spares the insert once a window is told
_delivery = ThreadPoolExecutor(max_workers=1, thread_name_prefix="budget-alerts")


@dataclass(frozen=True)
class Crossing:
    """An identity's window at or past a share of one of its quotas."""

    identity_id: int
    quota: str
    window_start: datetime
    level: str
    used: int
    limit: int

    @property
    def percent(self) -> int:
        return int(100 * self.used / self.limit) if self.limit else 0


def crossings(identity_id: int, period: str, start: datetime, held: tuple[int, int, int], limits: Limits):
    """The quotas of one window whose alert share `held` (requests, tokens, cost_micros) reaches."""
    for quota, quota_period, column, _ in QUOTAS:
        limit, used = quota_limit(limits, quota), held[1 + column]
        if quota_period == period and limit and 100 * used >= limit * limits.alert_percent:
            yield Crossing(identity_id, quota, start, NEAR, used, limit)


@retry_on_conflict
def _alert_create(crossing: Crossing) -> BudgetAlert:
    """The alert's row, in its own transaction (run again on a write conflict; IntegrityError when it exists)."""
    with transaction.atomic():
        return BudgetAlert.objects.create(
            identity_id=crossing.identity_id,
            quota=crossing.quota,
            window_start=crossing.window_start,
            level=crossing.level,
            used=crossing.used,
            limit=crossing.limit,
        )


def alert_raise(crossing: Crossing) -> bool:
    """Record the alert and hand it to the delivery thread, unless this window was already told: whether this
    call raised it. Never raises: the request that crossed is answered whatever happens here."""
    key = (crossing.identity_id, crossing.quota, crossing.window_start, crossing.level)
    if _raised.get(key):
        return False
    try:
        alert = _alert_create(crossing)
        identity = Identity.objects.select_related("user").get(pk=crossing.identity_id)
    except IntegrityError:  # another worker raised it first (or the identity is gone)
        _raised.put(True, key)
        return False
    except Exception:  # noqa: BLE001 - a database fault here must not fail the request; the next one retries
        log.exception("budget alert for identity %s not recorded", crossing.identity_id)
        return False
    _raised.put(True, key)
    owner = identity.user.email if identity.user is not None else ""
    _delivery.submit(_deliver, alert.pk, crossing, identity.name, owner)
    return True


def alerts_delivered(timeout: float = 10) -> None:
    """Wait until every alert handed over so far has been delivered (for shutdown and tests)."""
    _delivery.submit(lambda: None).result(timeout=timeout)


def alert_text(identity_name: str, crossing: Crossing) -> str:
    what = WORDS[crossing.quota]
    resets = WINDOWS[PERIODS[crossing.quota]][1](crossing.window_start)
    usage = f"{quota_amount(crossing.quota, crossing.used)} of {quota_amount(crossing.quota, crossing.limit)}"
    if crossing.level == OVER:
        return (
            f"{identity_name} has too little of its {what} left ({usage} used): its requests are refused until "
            f"{resets:%Y-%m-%d %H:%M} UTC, or until the quota is raised."
        )
    return (
        f"{identity_name} has used {crossing.percent}% of its {what} ({usage}). Requests are refused once it is "
        f"used up; it resets at {resets:%Y-%m-%d %H:%M} UTC."
    )


def _email(owner: str, subject: str, text: str) -> str | None:
    recipients = list(settings.ALERT_EMAIL_TO)
    if settings.ALERT_EMAIL_OWNER and owner:
        recipients.append(owner)
    if not recipients:
        return None
    connection = get_connection(timeout=settings.ALERT_TIMEOUT_SECONDS)
    send_mail(subject, text, None, recipients, fail_silently=False, connection=connection)
    return "email"


def _webhook(payload: dict) -> str | None:
    if not settings.ALERT_WEBHOOK_URL:
        return None
    request = urllib.request.Request(
        settings.ALERT_WEBHOOK_URL,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "simple-bedrock-connector"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.ALERT_TIMEOUT_SECONDS):  # a non-2xx status raises
        return "webhook"


def _sns(subject: str, text: str) -> str | None:
    if not settings.ALERT_SNS_TOPIC_ARN:
        return None
    region = settings.ALERT_SNS_TOPIC_ARN.split(":")[3] or None
    timeout = settings.ALERT_TIMEOUT_SECONDS
    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1})
    # boto3 with the first SNS alert: most processes never send one, and its import would lengthen every start.
    import boto3

    boto3.session.Session().client("sns", region_name=region, config=config).publish(
        TopicArn=settings.ALERT_SNS_TOPIC_ARN, Subject=subject[:100], Message=text
    )
    return "sns"


def _deliver(alert_pk: int, crossing: Crossing, identity_name: str, owner: str) -> None:
    """On the delivery thread: each channel in turn, then what they did, on the row and as the log event."""
    text = alert_text(identity_name, crossing)
    subject = f"Simple Bedrock Connector: {identity_name} {'refused' if crossing.level == OVER else 'near'} quota"
    fields = {
        "identity": identity_name,
        "quota": crossing.quota,
        "level": crossing.level,
        "used": crossing.used,
        "limit": crossing.limit,
        "window_start": crossing.window_start.isoformat(),
    }
    delivered, errors = [], []
    for name, send in (
        ("email", lambda: _email(owner, subject, text)),
        ("webhook", lambda: _webhook({"text": text, **fields})),
        ("sns", lambda: _sns(subject, text)),
    ):
        try:
            channel = send()
        except Exception as exc:  # noqa: BLE001 - a channel's failure is recorded, never raised
            errors.append(f"{name}: {type(exc).__name__}")
            log.warning("budget alert for %s not delivered by %s: %s", identity_name, name, type(exc).__name__)
        else:
            if channel:
                delivered.append(channel)
    error = "; ".join(errors)
    try:
        BudgetAlert.objects.filter(pk=alert_pk).update(delivered_to=",".join(delivered), error=error)
    except Exception:  # noqa: BLE001 - the event below still says what happened
        log.exception("budget alert %s: delivery not recorded", alert_pk)
    finally:
        db_connection.close()
    event_emit("budget_alert", **fields, delivered_to=delivered, error=error or None)
