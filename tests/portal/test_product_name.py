"""One product name everywhere: the portal's titles and header say what the admin's header says."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests import people

pytestmark = pytest.mark.django_db


def test_the_portal_and_the_admin_carry_one_name(aliases):
    assert settings.PRODUCT_NAME == "Simple Bedrock Connector"
    login = people.signed_in("name-check").get("/accounts/login/", follow=True).content.decode()
    web = people.developer("name-dev")
    keys = web.get("/keys/").content.decode()
    admin = people.admin().get("/admin/").content.decode()
    for html in (login, keys):
        assert re.search(r"<title>[^<]*· Simple Bedrock Connector</title>", html), html[:400]
        assert '<a class="brand" href="/">Simple Bedrock Connector</a>' in html
        assert "Bedrock gateway" not in html
    assert '<a href="/admin/">Simple Bedrock Connector</a>' in admin
