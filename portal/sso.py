"""Single sign-on (OpenID Connect): mozilla-django-oidc's backend, with two rules about which account a sign-in gets.

Accounts are matched by e-mail, so the identity provider must verify the addresses it asserts. When it says it has
not (`email_verified` false), nobody is signed in. And a sign-in never becomes a staff or superuser account unless an
admin allowed it (OIDC_ALLOW_STAFF_LOGIN): whoever gets the provider to assert an admin's address gets nothing, not
the admin's account and not a look-alike account either. Admins sign in with their password.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

log = logging.getLogger("sbc.portal")


def _verified(claims: dict) -> bool:
    """False only when the provider says the address is not verified (the claim is optional)."""
    if "email_verified" not in claims:
        return True
    value = claims["email_verified"]
    if isinstance(value, str):  # some providers send "true" / "false"
        return value.strip().lower() == "true"
    return value is True


class GatewayOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims) -> bool:
        if not super().verify_claims(claims):
            return False
        if not _verified(claims):
            log.warning("sso sign-in refused: the identity provider has not verified the e-mail address")
            return False
        return True

    def filter_users_by_claims(self, claims):
        users = super().filter_users_by_claims(claims)
        if settings.OIDC_ALLOW_STAFF_LOGIN:
            return users
        admins = [user.pk for user in users if user.is_staff or user.is_superuser]
        if admins:
            # Raised, not filtered out: an empty match would create a new account with the admin's address.
            log.warning("sso sign-in refused: the address belongs to a staff account (user_id=%s)", admins[0])
            raise SuspiciousOperation("single sign-on may not sign in as a staff or superuser account")
        return users
