"""`manage.py revoke_token TOKEN_ID` or `manage.py revoke_token --identity NAME --all`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tokens.keyformat import TOKEN_ID_RE, parse
from tokens.models import ApiToken
from tokens.secrets_manager import get_mirror
from tokens.selectors import identity_get, token_get
from tokens.services import identity_revoke_all, token_revoke


class Command(BaseCommand):
    help = "Revoke a token by its id (or every token of an identity); the next request with it gets 403."

    def add_arguments(self, parser):
        parser.add_argument("token_id", nargs="?", help="the 12-character token id shown by list_tokens")
        parser.add_argument("--identity", help="with --all: revoke every token of this identity")
        parser.add_argument("--all", action="store_true", help="with --identity: revoke all of its tokens")

    def handle(self, *args, **options):
        if options["identity"] or options["all"]:
            if not (options["identity"] and options["all"]) or options["token_id"]:
                raise CommandError("Use either `revoke_token TOKEN_ID` or `revoke_token --identity NAME --all`")
            identity = identity_get(name=options["identity"])
            if identity is None:
                raise CommandError(f"Unknown identity {options['identity']!r}")
            count = identity_revoke_all(identity=identity, revoked_by="cli")
            self.stdout.write(f"✓ Revoked {count} token(s) of {identity.name}")
            return
        token_id = (options["token_id"] or "").strip()
        if not token_id:
            raise CommandError("Give a token id (see list_tokens) or --identity NAME --all")
        if not TOKEN_ID_RE.match(token_id):
            # A whole token pasted by mistake: use its id, and never echo the secret part back.
            parsed = parse(token_id)
            if parsed is None:
                raise CommandError("That is not a token id: token ids are 12 letters and digits (see list_tokens)")
            token_id = parsed.token_id
        token = token_get(token_id=token_id)
        if token is None:
            raise CommandError(f"Unknown token id {token_id!r}")
        if not token_revoke(token=token, revoked_by="cli"):
            revoked_at = token.revoked_at  # set: token_revoke read it back after finding the token revoked
            when = f" at {revoked_at.isoformat(timespec='seconds')}" if revoked_at is not None else ""
            self.stdout.write(f"Token {token_id} was already revoked{when}")
            return
        self.stdout.write(f"✓ Revoked token {token_id} of {token.identity.name}")
        if get_mirror().enabled and token.mirror_state not in (
            ApiToken.MirrorState.DELETED,
            ApiToken.MirrorState.DISABLED,
        ):
            self.stderr.write(
                f"! Its secret is still in Secrets Manager ({token.mirror_error}); "
                "`manage.py sync_secrets` will delete it."
            )
