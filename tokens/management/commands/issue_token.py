"""`manage.py issue_token --identity NAME --ttl 30d [--name LABEL] [--json] [--create-identity]`."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.recorder import acting_as
from tokens.models import ApiToken
from tokens.secrets_manager import MirrorError, get_mirror, secret_name
from tokens.selectors import identity_get
from tokens.services import identity_get_or_create, token_issue, ttl_validate
from tokens.ttl import BadTTL

RULE = "─" * 60


class Command(BaseCommand):
    help = "Issue a bearer token for an identity and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--identity", required=True, help="e.g. jane.doe@dev or ci-pipeline")
        parser.add_argument("--ttl", default=None, help="lifetime such as 12h, 30d, 90d (default TOKEN_DEFAULT_TTL)")
        parser.add_argument("--name", default="", help="a label for the token, e.g. 'laptop'")
        parser.add_argument(
            "--create-identity", action="store_true", help="create the identity if it does not exist yet"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options):
        ttl = options["ttl"] or settings.TOKEN_DEFAULT_TTL
        try:
            ttl_validate(ttl)
        except BadTTL as exc:
            raise CommandError(str(exc)) from None
        with acting_as("cli"):  # a new identity and its default quota are recorded as the command's
            identity = self._identity(options["identity"], create=options["create_identity"])
        mirror = get_mirror()
        try:
            caller = mirror.caller_arn()
        except MirrorError as exc:
            raise CommandError(
                f"{exc}. No token was issued: check your AWS credentials "
                "(aws configure, AWS_PROFILE) or set SECRETS_MIRROR=off."
            ) from None
        issued = token_issue(
            identity=identity, ttl=ttl, name=options["name"], created_by=f"cli:{caller}" if caller else "cli"
        )
        record = issued.record
        record.refresh_from_db(fields=["mirror_state", "mirror_error"])
        stored = record.mirror_state == ApiToken.MirrorState.SYNCED
        expires = issued.expires_at.isoformat(timespec="seconds")
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "token": issued.token,
                        "token_id": issued.token_id,
                        "identity": identity.name,
                        "expires_at": expires,
                        "secret_name": secret_name(issued.token_id) if mirror.enabled else None,
                        "mirror_state": record.mirror_state,
                    }
                )
            )
        else:
            if caller:
                self.stdout.write(f"✓ Authenticated as: {caller}")
            self.stdout.write(f"✓ Token generated for identity: {identity.name}")
            if stored:
                self.stdout.write(f"✓ Stored in Secrets Manager: {secret_name(issued.token_id)}")
            self.stdout.write(f"✓ Expires: {expires}")
            self.stdout.write("")
            self.stdout.write(RULE)
            self.stdout.write(f"  Bearer Token: {issued.token}")
            self.stdout.write(RULE)
        if mirror.enabled and not stored:
            self.stderr.write(
                f"! The token works, but it is not in Secrets Manager yet: {record.mirror_error}\n"
                f"  Run `manage.py sync_secrets` once Secrets Manager is reachable."
            )

    def _identity(self, name: str, *, create: bool):
        name = name.strip()
        if not name:
            raise CommandError("--identity must not be empty")
        try:
            identity = identity_get_or_create(name=name) if create else identity_get(name=name)
        except ValidationError as exc:
            raise CommandError(f"Invalid identity name {name!r}: {' '.join(exc.messages)}") from None
        if identity is None:
            raise CommandError(f"Unknown identity {name!r}: create it in the admin or pass --create-identity")
        if not identity.is_active:
            raise CommandError(f"Identity {name!r} is deactivated: reactivate it in the admin first")
        return identity
