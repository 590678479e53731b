"""Attack class: two deployments sharing one account, region and secret prefix (finding 1 of the security review).

`dev` and `prod` each have their own database and both run `sync_secrets` on a schedule. Neither may delete the
other's secrets or revoke the other's tokens, and a secret of prod's own live token that went missing is pushed
again, not taken as a revocation (unless an admin turned that on with SECRETS_SYNC_REVOKE_MISSING). The syncs run as
`manage.py sync_secrets` processes against moto in server mode; prod's token is then tried on the running gateway.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import boto3
import openai
import pytest

from tests.live import ROOT, server_env

pytestmark = pytest.mark.e2e
SHARED_PREFIX = "sbc/tokens/"  # what both stages of zappa_settings.json used to set


@pytest.fixture(scope="module")
def dev_database(tmp_path_factory) -> str:
    """The dev deployment's own database (a migrated SQLite file), apart from prod's (the test database)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('dev') / 'dev.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
        timeout=300,
        env=server_env(DATABASE_URL=url),
    )
    return url


def manage(aws, deployment: str, *args: str, database: str | None = None, **env: str) -> dict:
    """`manage.py <args> --json` as the deployment `deployment` would run it; its JSON answer."""
    overrides = {"SECRETS_MIRROR": "on", "SECRET_PREFIX": SHARED_PREFIX, "DEPLOYMENT_ID": deployment, **env}
    if database:
        overrides["DATABASE_URL"] = database
    done = subprocess.run(
        [sys.executable, "manage.py", *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=server_env(**aws.env(), **overrides),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def secret_names(aws) -> set[str]:
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=aws.url)
    return {s["Name"] for s in client.list_secrets()["SecretList"]}


def works(gateway, token: str) -> bool:
    try:
        openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=token, max_retries=0, timeout=30).models.list()
    except openai.PermissionDeniedError:
        return False
    return True


@pytest.fixture
def prod_token(aws, django_db_blocker):
    """A token of prod (the test database), issued with prod's mirror on."""
    identity = f"prod-{uuid.uuid4().hex[:8]}@example.com"
    issued = manage(aws, "prod", "issue_token", "--identity", identity, "--create-identity", "--ttl", "1d")
    assert issued["secret_name"] == f"{SHARED_PREFIX}{issued['token_id']}"
    yield issued
    from tokens.models import Identity

    with django_db_blocker.unblock():
        Identity.objects.filter(name=identity).delete()


def test_dev_sync_never_deletes_prods_secrets_and_prod_sync_never_revokes_its_token(
    gateway, aws, dev_database, prod_token
):
    prod_secret = prod_token["secret_name"]
    dev = manage(aws, "dev", "issue_token", "--identity", "dev@example.com", "--create-identity", database=dev_database)
    assert {prod_secret, dev["secret_name"]} <= secret_names(aws)

    dev_sync = manage(aws, "dev", "sync_secrets", database=dev_database)
    assert prod_secret not in dev_sync["deleted"] and not dev_sync["errors"], dev_sync
    assert prod_secret in secret_names(aws), "dev's sync deleted a secret of prod's"

    prod_sync = manage(aws, "prod", "sync_secrets")
    assert prod_token["token_id"] not in prod_sync["revoked"], prod_sync
    assert dev["secret_name"] not in prod_sync["deleted"] and dev["secret_name"] in secret_names(aws)
    assert works(gateway, prod_token["token"]), "prod's sync revoked prod's own live token"
    assert prod_secret in secret_names(aws)


def test_a_missing_secret_of_a_live_token_is_pushed_again_not_taken_as_a_revocation(gateway, aws, prod_token):
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=aws.url)
    client.delete_secret(SecretId=prod_token["secret_name"], ForceDeleteWithoutRecovery=True)

    report = manage(aws, "prod", "sync_secrets")
    assert prod_token["token_id"] in report["created"] and prod_token["token_id"] not in report["revoked"], report
    assert prod_token["secret_name"] in secret_names(aws)
    tags = {t["Key"]: t["Value"] for t in client.describe_secret(SecretId=prod_token["secret_name"])["Tags"]}
    assert tags["deployment"] == "prod" and tags["app"] == "simple-bedrock-connector"
    assert works(gateway, prod_token["token"])
