"""`manage.py issue_token --identity NAME --ttl 30d [--name LABEL] [--json]`: issue a bearer token."""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from tokens.models import Identity
from tokens.services import identity_get_or_create, token_issue
from tokens.ttl import BadTTL

RULE = "─" * 60


class Command(BaseCommand):
    help = "Issue a bearer token for an identity and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--identity", required=True, help="e.g. jane.doe@dev or ci-pipeline")
        parser.add_argument("--ttl", default="30d", help="lifetime such as 12h, 30d, 90d (default 30d)")
        parser.add_argument("--name", default="", help="a label for the token, e.g. 'laptop'")
        parser.add_argument("--create-identity", action="store_true",
                            help="create the identity if it does not exist yet")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options):
        name = options["identity"].strip()
        if not name:
            raise CommandError("--identity must not be empty")
        if options["create_identity"]:
            identity = identity_get_or_create(name=name)
        else:
            identity = Identity.objects.filter(name=name).first()
            if identity is None:
                raise CommandError(f"Unknown identity {name!r}: create it in the admin or pass --create-identity")
        if not identity.is_active:
            raise CommandError(f"Identity {name!r} is deactivated")
        try:
            issued = token_issue(identity=identity, ttl=options["ttl"], name=options["name"],
                                 created_by="cli")
        except BadTTL as exc:
            raise CommandError(str(exc)) from None
        expires = issued.expires_at.isoformat(timespec="seconds")
        if options["json"]:
            self.stdout.write(json.dumps({"token": issued.token, "token_id": issued.token_id,
                                          "identity": identity.name, "expires_at": expires}))
            return
        self.stdout.write(f"✓ Token generated for identity: {identity.name}")
        self.stdout.write(f"✓ Expires: {expires}")
        self.stdout.write("")
        self.stdout.write(RULE)
        self.stdout.write(f"  Bearer Token: {issued.token}")
        self.stdout.write(RULE)
        self.stdout.write("Copy it now: it is not stored and cannot be shown again.")
