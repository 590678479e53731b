"""Attack class: password guessing on the sign-in pages (security finding 10). After AXES_FAILURE_LIMIT wrong
passwords for one username from one client address, /accounts/login/ and /admin/login/ answer a 429 page for that
pair, even with the right password, until the cool-off ends or an admin lifts the lock (the admin's "Access
attempts", or `manage.py axes_reset_username`). The client address is the one in X-Forwarded-For only through
TRUSTED_PROXIES, so clients behind one proxy are not locked out together. Against the live gateway."""

from __future__ import annotations

import itertools
import re
import uuid

import httpx
import pytest
from django.core.management import call_command

from tests import people
from tests.live import server_env, start_gunicorn
from tests.security.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

LIMIT = 3
PASSWORD = "pw-Secret-123456"
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def guarded_gateway(django_db_setup, emulator, static_root):
    """Three wrong passwords lock a username for an address, behind a proxy at 127.0.0.1."""
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        STATIC_ROOT=str(static_root),
        AXES_FAILURE_LIMIT=str(LIMIT),
        AXES_COOLOFF_MINUTES="60",
        TRUSTED_PROXIES="127.0.0.1/32",
    )
    server = start_gunicorn(env, workers=1, threads=8, log_path=ARTIFACTS / "gateway-brute-force.log")
    yield server
    server.stop()


@pytest.fixture
def user(django_db_setup, django_db_blocker):
    """A committed account: (username, is_staff) -> username."""
    from django.contrib.auth import get_user_model

    def _user(staff: bool = False) -> str:
        name = f"user-{uuid.uuid4().hex[:8]}"
        with django_db_blocker.unblock():
            get_user_model().objects.create_user(
                name, email=f"{name}@example.com", password=PASSWORD, is_staff=staff, is_superuser=staff
            )
        return name

    return _user


def browser(gateway, address: str) -> httpx.Client:
    """A browser whose requests reach the gateway through the proxy, which names `address` as the client."""
    return httpx.Client(base_url=gateway.url, timeout=30, headers={"X-Forwarded-For": address})


def csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def sign_in(http: httpx.Client, username: str, password: str, path: str = "/accounts/login/") -> httpx.Response:
    token = csrf(http.get(path))
    return http.post(path, data={"username": username, "password": password, "csrfmiddlewaretoken": token})


def lock(http: httpx.Client, username: str, path: str = "/accounts/login/") -> httpx.Response:
    for _ in range(LIMIT - 1):
        refused = sign_in(http, username, "wrong-password", path)
        assert refused.status_code == 200 and "Sign-in locked" not in refused.text
    return sign_in(http, username, "wrong-password", path)


def assert_locked(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text[:300]
    assert "Sign-in locked" in answer.text and "Too many failed sign-ins" in answer.text


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_for_that_address(guarded_gateway, user, path):
    name = user(staff=True)
    with browser(guarded_gateway, next(_addresses)) as http:
        assert_locked(lock(http, name, path))
        # The right password no longer helps from this address.
        assert_locked(sign_in(http, name, PASSWORD, path))


def test_another_address_is_not_locked_by_the_first_ones_failures(guarded_gateway, user):
    name = user()
    with browser(guarded_gateway, next(_addresses)) as attacker:
        assert_locked(lock(attacker, name))
    with browser(guarded_gateway, next(_addresses)) as owner:
        assert sign_in(owner, name, PASSWORD).status_code == 302
        assert owner.get("/keys/").status_code == 200


def test_an_admin_lifts_the_lock_in_the_admin(guarded_gateway, user, django_db_blocker):
    from axes.models import AccessAttempt

    name, address = user(), next(_addresses)
    with browser(guarded_gateway, address) as http:
        assert_locked(lock(http, name))
    with django_db_blocker.unblock():
        attempt = AccessAttempt.objects.get(username=name)
    assert attempt.ip_address == address  # keyed on the client the proxy named, not on the proxy

    with browser(guarded_gateway, next(_addresses)) as admin:
        assert sign_in(admin, user(staff=True), PASSWORD, "/admin/login/").status_code == 302
        listed = admin.get("/admin/axes/accessattempt/")
        assert listed.status_code == 200 and name in listed.text
        delete = f"/admin/axes/accessattempt/{attempt.pk}/delete/"
        assert (
            admin.post(delete, data={"post": "yes", "csrfmiddlewaretoken": csrf(admin.get(delete))}).status_code == 302
        )

    with browser(guarded_gateway, address) as http:
        assert sign_in(http, name, PASSWORD).status_code == 302


def test_axes_reset_lifts_the_lock_from_the_command_line(guarded_gateway, user, django_db_blocker):
    name, address = user(), next(_addresses)
    with browser(guarded_gateway, address) as http:
        assert_locked(lock(http, name))
        with django_db_blocker.unblock():
            call_command("axes_reset_username", name)
        assert sign_in(http, name, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "path", ["/admin/axes/accessattempt/", "/admin/axes/accesslog/", "/admin/axes/accessfailurelog/"]
)
def test_the_lock_out_pages_search_boxes_are_bounded(db, path):
    """The lock-out's admin pages have search boxes too: a 10 kB search is cut like every other one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = people.admin()
    with CaptureQueriesContext(connection) as queries:
        response = staff.get(path, {"q": "a " * 5000})
    assert response.status_code == 200
    assert max(len(query["sql"]) for query in queries) < 20_000, "the SQL does not grow with the search box"
