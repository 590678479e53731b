"""`manage.py demo_setup`: the demo admin, the demo developer and a fresh demo token for `make run`."""

from __future__ import annotations

import json
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from tokens.models import ApiToken, Identity
from tokens.services import token_issue, token_revoke

DEMO_TOKEN_NAME = "make-run demo"


def _user(username: str, *, staff: bool, password: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = staff
    user.is_active = True
    user.set_password(password)
    user.save()
    return user


class Command(BaseCommand):
    help = "Create or refresh the local demo accounts and issue a new demo token (previous demo tokens are revoked)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        admin_password, demo_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        _user("admin", staff=True, password=admin_password)
        demo_user = _user("demo", staff=False, password=demo_password)
        identity, _ = Identity.objects.get_or_create(name="demo@local")
        if identity.user_id != demo_user.pk:
            identity.user = demo_user
            identity.save(update_fields=["user"])
        for previous in ApiToken.objects.filter(identity=identity, name=DEMO_TOKEN_NAME, revoked_at__isnull=True):
            token_revoke(token=previous, revoked_by="make run")
        issued = token_issue(identity=identity, ttl="30d", name=DEMO_TOKEN_NAME, created_by="make run")
        result = {
            "admin_user": "admin",
            "admin_password": admin_password,
            "demo_user": "demo",
            "demo_password": demo_password,
            "token": issued.token,
            "identity": identity.name,
        }
        self.stdout.write(
            json.dumps(result) if options["json"] else "\n".join(f"{key}: {value}" for key, value in result.items())
        )
