"""`manage.py replay_spool`: write the settlements spooled on this host's disk while the database was away."""

from django.core.management.base import BaseCommand

from usage.spool import spool_dir, spool_replay


class Command(BaseCommand):
    help = (
        "Replay the usage spooled under SPOOL_DIR while the database was unavailable: each settlement once (one "
        "already recorded is skipped), each file under a lock so that two workers never replay it together. The "
        "gateway also does this by itself at start-up and when the database answers again."
    )

    def handle(self, *args, **options):
        written, skipped = spool_replay()
        self.stdout.write(
            f"Replayed {written} spooled settlement(s) from {spool_dir()}; {skipped} were recorded already."
        )
