"""DEPLOYMENT_ID and the default secret prefix: two deployments differ unless told otherwise, one deployment agrees."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.live import ROOT, server_env

SHOW = "from django.conf import settings as s; import json; print(json.dumps([s.DEPLOYMENT_ID, s.SECRET_PREFIX]))"


def settings_with(**env: str) -> tuple[str, str] | str:
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(**env),
    )
    if done.returncode:
        return done.stderr
    return tuple(json.loads(done.stdout.strip().splitlines()[-1]))


def test_two_databases_make_two_deployments_with_their_own_prefixes():
    dev = settings_with(DATABASE_URL="postgres://app@dev-db.internal:5432/sbc")
    prod = settings_with(DATABASE_URL="postgres://app@prod-db.internal:5432/sbc")
    assert dev[0] != prod[0] and dev[1] != prod[1]
    assert dev[1] == f"sbc/{dev[0]}/tokens/"
    again = settings_with(DATABASE_URL="postgres://other-user:pw@dev-db.internal:5432/sbc")
    assert again == dev, "every process of one deployment (web, jobs) agrees, whatever its credentials"


def test_a_set_deployment_id_names_the_prefix_and_a_set_prefix_is_honoured():
    assert settings_with(DEPLOYMENT_ID="prod") == ("prod", "sbc/prod/tokens/")
    assert settings_with(DEPLOYMENT_ID="prod", SECRET_PREFIX="acme/prod/tokens/") == ("prod", "acme/prod/tokens/")


def test_a_deployment_id_that_cannot_be_a_secret_name_stops_start_up():
    assert "DEPLOYMENT_ID" in settings_with(DEPLOYMENT_ID="prod stage*")
