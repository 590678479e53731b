"""Entry points for the scheduled events of the Lambda deployment (zappa_settings.json `events`).

Zappa calls `function(event, context)` after it has set Django up, so each job is a management command
run in-process; the same commands run from cron or an ECS scheduled task on the gunicorn deployment.
"""

from __future__ import annotations

from django.core.management import call_command


def sync_secrets(event=None, context=None) -> None:
    """Reconcile the Secrets Manager mirror with the token table (retries mirror writes that failed)."""
    call_command("sync_secrets")


def clear_sessions(event=None, context=None) -> None:
    """Delete expired admin and self-service sessions so the session table does not grow forever."""
    call_command("clearsessions")


def purge_responses(event=None, context=None) -> None:
    """Delete stored Responses API responses and conversations whose retention has passed."""
    call_command("purge_responses")


def reap_reservations(event=None, context=None) -> None:
    """Settle, as interrupted, the quota reservations of processes that stopped, so that counters equal records."""
    call_command("reap_reservations")
