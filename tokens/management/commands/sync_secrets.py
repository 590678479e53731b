"""`manage.py sync_secrets [--json]`: reconcile the token table and Secrets Manager, both ways."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from tokens.secrets_manager import MirrorError, get_mirror
from tokens.secrets_sync import secrets_sync


class Command(BaseCommand):
    help = (
        "Create missing secrets for live tokens (a secret deleted by hand revokes its token instead only with "
        "SECRETS_SYNC_REVOKE_MISSING=true), and delete secrets of revoked, expired or unknown tokens. Touches only "
        "this deployment's secrets (tagged with its DEPLOYMENT_ID). Safe to run on a schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the report as one JSON object")

    def handle(self, *args, **options):
        if not get_mirror().enabled:
            if options["json"]:
                self.stdout.write(json.dumps({"mirror": "off"}))
            else:
                self.stdout.write("The Secrets Manager mirror is off (SECRETS_MIRROR=off): nothing to do.")
            return
        try:
            report = secrets_sync()
        except MirrorError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps({"mirror": "on", **report.as_dict()}))
        else:
            for token_id in report.created:
                self.stdout.write(f"✓ Stored in Secrets Manager: token {token_id}")
            for token_id in report.revoked:
                self.stdout.write(f"✓ Revoked token {token_id}: its secret was deleted")
            for name in report.deleted:
                self.stdout.write(f"✓ Deleted secret {name}")
            for error in report.errors:
                self.stderr.write(f"! {error}")
            self.stdout.write(
                f"Sync done: {len(report.created)} created, {len(report.revoked)} revoked, "
                f"{len(report.deleted)} deleted, {len(report.errors)} failed."
            )
        if report.errors:
            raise CommandError(f"{len(report.errors)} token(s) could not be synced; run sync_secrets again later")
