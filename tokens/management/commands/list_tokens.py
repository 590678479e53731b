"""`manage.py list_tokens [--identity NAME] [--all] [--json]`: tokens and their state, never their value."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from tokens.models import ApiToken
from tokens.selectors import identity_get, token_list

COLUMNS = ("token_id", "identity", "name", "status", "expires_at", "last_used_at", "mirror_state")


def _row(token: ApiToken) -> dict:
    def iso(value):
        return value.isoformat(timespec="seconds") if value else None

    return {
        "token_id": token.token_id,
        "identity": token.identity.name,
        "name": token.name,
        "status": token.status,
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "mirror_state": token.mirror_state,
        "revoked_at": iso(token.revoked_at),
    }


class Command(BaseCommand):
    help = "List tokens (active ones unless --all)."

    def add_arguments(self, parser):
        parser.add_argument("--identity", help="only this identity's tokens")
        parser.add_argument("--all", action="store_true", help="include revoked and expired tokens")
        parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")

    def handle(self, *args, **options):
        identity = None
        if options["identity"]:
            identity = identity_get(name=options["identity"])
            if identity is None:
                raise CommandError(f"Unknown identity {options['identity']!r}")
        rows = [_row(token) for token in token_list(identity=identity, include_inactive=options["all"])]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        if not rows:
            self.stdout.write("No tokens." if options["all"] else "No active tokens (--all shows the others).")
            return
        table = [dict(zip(COLUMNS, ("TOKEN ID", "IDENTITY", "NAME", "STATUS", "EXPIRES", "LAST USED", "MIRROR")))]
        table += [{key: str(row[key] or "-") for key in COLUMNS} for row in rows]
        widths = {key: max(len(line[key]) for line in table) for key in COLUMNS}
        for line in table:
            self.stdout.write("  ".join(line[key].ljust(widths[key]) for key in COLUMNS).rstrip())
