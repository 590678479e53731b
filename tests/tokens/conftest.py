"""Fixtures for the token tests: the mirror switched on against moto, and a boto3 view of what it holds."""

from __future__ import annotations

import contextlib
import json
import os

import boto3
import pytest

DEAD_ENDPOINT = "http://127.0.0.1:9"
APP_FILTER = [{"Key": "tag-key", "Values": ["app"]}, {"Key": "tag-value", "Values": ["simple-bedrock-connector"]}]


class SecretsView:
    """What an operator sees with the aws CLI: list by the app tag, read values, delete by hand."""

    def __init__(self):
        self.client = boto3.client(
            "secretsmanager", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"]
        )

    def listed(self) -> dict[str, dict[str, str]]:
        secrets = self.client.list_secrets(Filters=APP_FILTER)["SecretList"]
        return {s["Name"]: {t["Key"]: t["Value"] for t in s.get("Tags", [])} for s in secrets}

    def value(self, name: str) -> dict:
        return json.loads(self.client.get_secret_value(SecretId=name)["SecretString"])

    def delete_by_hand(self, name: str) -> None:
        self.client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


@pytest.fixture
def mirror_on(aws, settings):
    """SECRETS_MIRROR=on with Secrets Manager and STS served by a fresh moto, as the deployment `test`."""
    settings.SECRETS_MIRROR = "on"
    settings.DEPLOYMENT_ID = "test"
    settings.SECRET_PREFIX = "sbc/tokens/"  # set explicitly, as the deploy files do
    return aws


@pytest.fixture
def secrets_view(mirror_on) -> SecretsView:
    return SecretsView()


@pytest.fixture
def outage(monkeypatch):
    """`with outage(): ...` makes Secrets Manager (or STS with service="STS") unreachable inside the block."""

    @contextlib.contextmanager
    def _outage(service: str = "SECRETS_MANAGER"):
        variable = f"AWS_ENDPOINT_URL_{service}"
        good = os.environ.get(variable, "")
        monkeypatch.setenv(variable, DEAD_ENDPOINT)
        try:
            yield
        finally:
            monkeypatch.setenv(variable, good)

    return _outage


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """The test database in autocommit, as a live server sees it: after-commit work (the mirror) runs at once.

    Unlike `transactional_db` nothing is flushed afterwards (a flush would also drop the seeded model
    aliases and prices that the live gateway needs); each test starts without identities or tokens instead.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Max

    from tokens.models import ApiToken, Identity

    def clean() -> None:
        ApiToken.objects.all().delete()
        Identity.objects.all().delete()

    with django_db_blocker.unblock():
        clean()
        users_before = get_user_model().objects.aggregate(last=Max("pk"))["last"] or 0
        yield
        clean()
        get_user_model().objects.filter(pk__gt=users_before).delete()
