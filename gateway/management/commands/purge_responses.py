"""`manage.py purge_responses`: delete stored responses, conversations and message-thread turns whose retention
has passed."""

from django.core.management.base import BaseCommand

from gateway.message_threads import threads_purge
from gateway.responses_store import purge_expired


class Command(BaseCommand):
    help = (
        "Delete Responses API responses and conversations, and Anthropic message-thread turns, past "
        "RESPONSES_RETENTION_DAYS. Safe to run on a schedule (hourly or daily)."
    )

    def handle(self, *args, **options):
        responses, conversations = purge_expired()
        turns = threads_purge()
        self.stdout.write(
            f"Deleted {responses} expired response(s), {conversations} expired conversation(s) "
            f"and {turns} expired thread turn(s)."
        )
