"""Rewrite the README's compatibility section from the policy tables and the client matrix."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from gateway.compat.doc import readme_with_section


class Command(BaseCommand):
    help = "Rewrite the compatibility section of README.md from gateway.compat (or --check that it is current)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit 1 when README.md is out of date.")

    def handle(self, *args, check: bool = False, **options):
        readme = Path(settings.BASE_DIR) / "README.md"
        current = readme.read_text()
        wanted = readme_with_section(current)
        if check:
            if wanted != current:
                self.stderr.write("README.md's compatibility section is out of date: run manage.py compat_doc")
                raise SystemExit(1)
            return
        readme.write_text(wanted)
        self.stdout.write("README.md: compatibility section rewritten")
