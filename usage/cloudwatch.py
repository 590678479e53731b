"""The CloudWatch Logs sink: a watchtower handler on the `sbc.events` logger (the only usage module using boto3).

watchtower (maintained, batches per PutLogEvents limits, one background thread per stream, re-inits
after fork so gunicorn's preload is safe) does the shipping. We only make sure nothing touches the
network on the request path or at start-up: the log group is created by the background thread on
its first batch, calls time out fast and are retried a few times, and a failed batch is dropped with
a warning, so a CloudWatch outage never slows or fails a request. The database ledger stays the
source of truth; events can be re-shipped from it.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
import watchtower
from botocore.config import Config

log = logging.getLogger("sbc.usage")


class BackgroundCloudWatchHandler(watchtower.CloudWatchLogHandler):
    """watchtower, with the log group ensured from the sending thread instead of the constructor."""

    def __init__(self, **kwargs: Any) -> None:
        self._group_ready = False
        super().__init__(create_log_group=False, **kwargs)

    def _submit_batch(self, batch, log_stream_name, max_retries=2):
        if batch and not self._group_ready:
            try:
                self._ensure_log_group()
                self._group_ready = True
            except Exception as exc:  # keep going: PutLogEvents fails and is logged, the next batch retries
                log.warning("CloudWatch log group %s is not reachable: %s", self.log_group_name, exc)
        super()._submit_batch(batch, log_stream_name, max_retries=max_retries)


def cloudwatch_handler(*, log_group: str, log_stream: str, region: str, send_interval: float) -> logging.Handler:
    client = boto3.client(
        "logs",
        region_name=region,
        config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}),
    )
    handler = BackgroundCloudWatchHandler(
        log_group_name=log_group,
        log_stream_name=log_stream,
        boto3_client=client,
        send_interval=send_interval,
        use_queues=True,
    )
    handler.setLevel(logging.INFO)
    return handler


def cloudwatch_attach(
    *, logger_name: str, log_group: str, log_stream: str, region: str, send_interval: float
) -> logging.Handler:
    """Ship `logger_name`'s records to CloudWatch too (idempotent per process)."""
    logger = logging.getLogger(logger_name)
    for existing in logger.handlers:
        if isinstance(existing, BackgroundCloudWatchHandler):
            return existing
    handler = cloudwatch_handler(log_group=log_group, log_stream=log_stream, region=region, send_interval=send_interval)
    logger.addHandler(handler)
    return handler
