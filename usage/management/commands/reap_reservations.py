"""`manage.py reap_reservations`: settle, as interrupted, the reservations of processes that stopped."""

from django.core.management.base import BaseCommand

from usage.reaper import reservations_reap


class Command(BaseCommand):
    help = (
        "Settle the quota reservations whose process stopped (no heartbeat for twice QUOTA_LEASE_SECONDS) at their "
        "estimate, each with a usage record of status 500 and error code `interrupted`, so that counters equal "
        "records. Safe to run on a schedule and from several places at once: each is settled once."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Settled {reservations_reap()} interrupted reservation(s).")
