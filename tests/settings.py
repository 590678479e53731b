"""Test defaults for the environment, then the real settings: the suite reads settings like production does."""

import os

os.environ["SBC_READ_DOT_ENV"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_REGION", "us-east-1")
# Many tests send unknown tokens from 127.0.0.1 to the shared gateway; only the throttle's own tests,
# which set their limits, should ever meet the failed-authentication 429.
os.environ.setdefault("AUTH_FAILURE_LIMIT", "100000")
# Likewise the sign-in lock-out: on, but out of reach of tests that sign in many times from 127.0.0.1; its own
# tests (tests/security/test_attack_login_brute_force.py) set a small limit.
os.environ.setdefault("AXES_FAILURE_LIMIT", "100000")
# No test may reach AWS: anything not pointed at a local server fails to connect.
for service in ("BEDROCK_RUNTIME", "SECRETS_MANAGER", "STS", "CLOUDWATCH_LOGS"):
    os.environ.setdefault(f"AWS_ENDPOINT_URL_{service}", "http://127.0.0.1:9")
# A test database per pytest run, so two runs on one machine (make test beside an editor's test run) never drop
# or rewrite each other's; the servers a run starts are handed its path (tests.live.test_database_url).
os.environ.setdefault(
    "TEST_SQLITE_PATH",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".run", f"test-{os.getpid()}.sqlite3"),
)

from sbcproject.settings import *  # noqa: E402,F401,F403

# In-process page tests render templates without a collectstatic run; live servers keep the manifest storage.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", f"test_{DATABASES['default']['NAME']}_{os.getpid()}")  # noqa: F405
