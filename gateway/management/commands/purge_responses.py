"""`manage.py purge_responses`: delete stored responses and conversations whose retention has passed."""

from django.core.management.base import BaseCommand

from gateway.responses_store import purge_expired


class Command(BaseCommand):
    help = (
        "Delete Responses API responses and conversations past RESPONSES_RETENTION_DAYS. "
        "Safe to run on a schedule (hourly or daily)."
    )

    def handle(self, *args, **options):
        responses, conversations = purge_expired()
        self.stdout.write(f"Deleted {responses} expired response(s) and {conversations} expired conversation(s).")
