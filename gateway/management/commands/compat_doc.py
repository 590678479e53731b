"""Rewrite the README's compatibility section and docs/setup.md from the policy tables and the client matrix."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from gateway.compat.doc import readme_with_section, setup_doc


class Command(BaseCommand):
    help = "Rewrite README.md's compatibility section and docs/setup.md from gateway.compat (--check: exit 1 if stale)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit 1 when either file is out of date.")

    def handle(self, *args, check: bool = False, **options):
        root = Path(settings.BASE_DIR)
        readme, setup = root / "README.md", root / "docs" / "setup.md"
        wanted = {readme: readme_with_section(readme.read_text()), setup: setup_doc()}
        stale = [path.name for path, text in wanted.items() if not path.exists() or path.read_text() != text]
        if check:
            if stale:
                self.stderr.write(f"Out of date: {', '.join(stale)}; run python manage.py compat_doc")
                raise SystemExit(1)
            return
        for path, text in wanted.items():
            path.write_text(text)
        self.stdout.write("README.md's compatibility section and docs/setup.md rewritten")
