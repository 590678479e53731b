"""Shared fixtures: the Bedrock emulator, the gateway under gunicorn, tokens and SDK clients."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import boto3
import httpx
import openai
import pytest
from botocore.config import Config
from hypothesis import settings as hypothesis_settings

from tests import people
from tests.live import ROOT, server_env, start_gunicorn
from tests.servers import start_emulator

ARTIFACTS = ROOT / "artifacts"

# The suite's verdict must not depend on which inputs a run happens to draw: property tests use examples
# derived from each test, the same on every run. HYPOTHESIS_PROFILE=explore draws new ones.
hypothesis_settings.register_profile("suite", derandomize=True, database=None)
hypothesis_settings.register_profile("explore")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


# The end-to-end tests (`e2e`) here drive a real client (an agent, an SDK): marked `clients`, the set the unpinned
# pass of `make test` runs again at each client's newest release (make test-latest).
CLIENT_TESTS = (
    "tests/clients/",
    "tests/gateway/test_e2e_anthropic_sdk.py",
    "tests/gateway/test_e2e_claude_code.py",
    "tests/gateway/test_e2e_codex.py",
    "tests/gateway/test_e2e_message_threads.py",
    "tests/gateway/test_e2e_openai_agents.py",
    "tests/gateway/test_e2e_tool_loops.py",
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "clients: drives a real client; run again at its newest release (make test-latest)"
    )
    (ROOT / ".run").mkdir(exist_ok=True)
    ARTIFACTS.mkdir(exist_ok=True)


def pytest_addoption(parser):
    parser.addoption(
        "--run-soak", action="store_true", default=False, help="also run the minutes-long soak tests (make soak)"
    )


def pytest_collection_modifyitems(config, items):
    """Soak tests take minutes of steady load: they run only when asked for with --run-soak. The client tests
    get their marker."""
    for item in items:
        in_place = Path(item.path).as_posix().startswith(tuple(f"{ROOT.as_posix()}/{path}" for path in CLIENT_TESTS))
        if in_place and "e2e" in item.keywords:
            item.add_marker(pytest.mark.clients)
    if config.getoption("--run-soak"):
        return
    skip = pytest.mark.skip(reason="a soak test: run it with --run-soak (make soak)")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """Always create the test database: end-to-end tests use it through the live server, unmarked."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose, interactive=False, keepdb=django_db_keepdb, aliases={"default"}
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture
def alice(db):
    """Alice, a developer, signed in to the portal."""
    return people.developer(people.ALICE)


@pytest.fixture
def bob(db):
    """Bob, another developer, signed in to the portal."""
    return people.developer(people.BOB)


@pytest.fixture
def admin(db):
    """An admin (staff, superuser) signed in to the Django admin."""
    return people.admin()


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Each test starts like a new worker: no cached look-ups, counts, clients or open breakers."""
    from core.cache import forget_all

    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def seeded_catalog(request):
    """Model aliases and prices as the migrations seed them, for every test that talks to a live server.

    Transactional tests flush every table afterwards, seeded rows included; the next live test would
    otherwise find no models.
    """
    if not any(name.endswith("gateway") for name in request.fixturenames):
        return
    from gateway.models import ModelAlias
    from tests.catalog import catalog_seed

    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        if not ModelAlias.objects.filter(name="claude-4-sonnet").exists():
            catalog_seed()


@pytest.fixture(scope="session")
def emulator():
    server = start_emulator()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=server_env(STATIC_ROOT=str(root), DATABASE_URL="sqlite:///:memory:"),
    )
    return root


@pytest.fixture(scope="session")
def gateway(django_db_setup, django_db_blocker, emulator, static_root):
    """The gateway under gunicorn as configured (2 uvicorn workers) on the test database, calling the emulator."""
    env = server_env(AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url, STATIC_ROOT=str(static_root))
    server = start_gunicorn(env, log_path=ARTIFACTS / "gateway.log")
    yield server
    server.stop()


@pytest.fixture
def issue(django_db_setup, django_db_blocker):
    """Issue a real token, committed so the live server sees it: issue("alice@test") -> raw token."""
    from tokens.services import identity_get_or_create, token_issue

    def _issue(identity: str = "alice@test", ttl: str = "1d", name: str = "") -> str:
        with django_db_blocker.unblock():
            return token_issue(identity=identity_get_or_create(name=identity), ttl=ttl, name=name).token

    return _issue


@pytest.fixture
def token(issue) -> str:
    return issue()


@pytest.fixture
def client(gateway, token) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=token, max_retries=0, timeout=30)


@pytest.fixture
def emulator_log(emulator):
    """What the gateway sent to Bedrock: emulator_log() -> the emulator's recent requests, oldest first."""
    httpx.delete(f"{emulator.url}/_emulator/log")

    def _log() -> list[dict]:
        return httpx.get(f"{emulator.url}/_emulator/log").json()

    return _log


@pytest.fixture
def bedrock(emulator):
    """boto3's bedrock-runtime client pointed at the emulator, one attempt per call."""
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="session")
def moto_server():
    from tests.aws import start_moto

    server = start_moto()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """A clean moto, with this process's boto3 pointed at it through the standard variables."""
    moto_server.reset()
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    return moto_server


@pytest.fixture
def records(django_db_blocker):
    """records(identity_name) -> that identity's usage records as dicts, oldest first."""
    from usage.models import UsageRecord

    def _records(identity_name: str) -> list[dict]:
        with django_db_blocker.unblock():
            return list(UsageRecord.objects.filter(identity_name=identity_name).order_by("created_at", "id").values())

    return _records


_names = itertools.count()


@pytest.fixture
def unique_name():
    """A fresh identity name per call, so live servers never see a cached quota from another test."""
    return lambda prefix="user": f"{prefix}-{os.getpid()}-{next(_names)}@test"


@pytest.fixture
def set_quota(django_db_blocker):
    """set_quota("name", requests_per_minute=2, ...): commit a quota the live server will read."""
    from tokens.models import Quota
    from tokens.services import identity_get_or_create

    def _set(identity_name: str, **fields):
        with django_db_blocker.unblock():
            identity = identity_get_or_create(name=identity_name)
            Quota.objects.update_or_create(identity=identity, defaults=fields)
            return identity

    return _set
