"""The Secrets Manager mirror: one secret per live token (metadata and digest, never the token) and STS.

Every secret carries the seed's tags (`app`, `identity`, `expires_at`) and this deployment's `deployment` tag
(DEPLOYMENT_ID); the listing the sync reconciles holds only secrets with this deployment's tag, so two deployments
sharing an account and a prefix never touch each other's.

The only module of the tokens app that talks to AWS. `get_mirror()` returns `SecretsMirror` when
`SECRETS_MIRROR=on` and `NullMirror` otherwise, so callers never branch on configuration. boto3 finds
its endpoints through the standard `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL_STS`
variables; clients are created on first use and cached per endpoint.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

APP_TAG = ("app", "simple-bedrock-connector")
DEPLOYMENT_TAG = "deployment"
_CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})
_GONE = {"ResourceNotFoundException"}
_EXISTS = {"ResourceExistsException"}


class MirrorError(Exception):
    """Secrets Manager or STS could not be reached or refused the call; the message is safe to show."""


@dataclass(frozen=True)
class SecretPayload:
    """What the mirror holds for one token: enough to see and audit it, not enough to use it."""

    token_id: str
    identity: str
    digest: str
    expires_at: str
    limits: dict = field(default_factory=dict)

    def value(self) -> str:
        return json.dumps(
            {
                "identity": self.identity,
                "token_id": self.token_id,
                "digest": self.digest,
                "expires_at": self.expires_at,
                "limits": self.limits,
            },
            sort_keys=True,
        )

    def tags(self) -> list[dict[str, str]]:
        return [
            {"Key": APP_TAG[0], "Value": APP_TAG[1]},
            {"Key": "identity", "Value": self.identity},
            {"Key": "expires_at", "Value": self.expires_at},
            {"Key": DEPLOYMENT_TAG, "Value": settings.DEPLOYMENT_ID},
        ]


def secret_name(token_id: str) -> str:
    return f"{settings.SECRET_PREFIX}{token_id}"


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


@functools.lru_cache(maxsize=16)
def _client(service: str, endpoint: str | None, region: str):
    # boto3 is imported with the first client: only token issue, revocation and the sync job call AWS here, and
    # the import would otherwise lengthen every process's start, the serverless function's first answer included.
    import boto3

    return boto3.session.Session().client(service, region_name=region, config=_CLIENT_CONFIG)


def _aws(service: str, env_name: str):
    # Keyed by the endpoint variable so a changed AWS_ENDPOINT_URL_* is honoured without a restart.
    return _client(service, os.environ.get(env_name), settings.AWS_REGION)


class NullMirror:
    """The mirror when SECRETS_MIRROR=off: same interface, no AWS."""

    enabled = False

    def caller_arn(self) -> str | None:
        return None

    def put(self, payload: SecretPayload) -> str | None:
        return None

    def delete(self, token_id: str) -> None:
        return None

    def exists(self, token_id: str) -> bool:
        return False

    def list_token_ids(self) -> set[str]:
        return set()


class SecretsMirror:
    """Token metadata in AWS Secrets Manager under `<SECRET_PREFIX><token_id>`."""

    enabled = True

    @property
    def _secrets(self):
        return _aws("secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER")

    def caller_arn(self) -> str:
        """The AWS principal this process acts as (STS GetCallerIdentity)."""
        try:
            return _aws("sts", "AWS_ENDPOINT_URL_STS").get_caller_identity()["Arn"]
        except (BotoCoreError, ClientError) as exc:
            raise MirrorError(f"Could not verify the AWS identity with STS ({_describe(exc)})") from None

    def put(self, payload: SecretPayload) -> str:
        """Create the token's secret (or refresh it when an earlier attempt got that far); its name."""
        name = secret_name(payload.token_id)
        try:
            try:
                self._secrets.create_secret(
                    Name=name,
                    SecretString=payload.value(),
                    Tags=payload.tags(),
                    Description=f"Simple Bedrock Connector token for {payload.identity}",
                )
            except ClientError as exc:
                if _code(exc) not in _EXISTS:
                    raise
                self._secrets.put_secret_value(SecretId=name, SecretString=payload.value())
                self._secrets.tag_resource(SecretId=name, Tags=payload.tags())
        except (BotoCoreError, ClientError) as exc:
            raise MirrorError(f"Could not store {name} in Secrets Manager ({_describe(exc)})") from None
        return name

    def delete(self, token_id: str) -> None:
        """Delete the token's secret at once (no recovery window: a revoked token must not come back)."""
        name = secret_name(token_id)
        try:
            self._secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if _code(exc) not in _GONE:
                raise MirrorError(f"Could not delete {name} from Secrets Manager ({_describe(exc)})") from None
        except BotoCoreError as exc:
            raise MirrorError(f"Could not delete {name} from Secrets Manager ({_describe(exc)})") from None

    def exists(self, token_id: str) -> bool:
        """Whether the token's secret exists and is not scheduled for deletion (strongly consistent)."""
        try:
            described = self._secrets.describe_secret(SecretId=secret_name(token_id))
        except ClientError as exc:
            if _code(exc) in _GONE:
                return False
            raise MirrorError(f"Could not read {secret_name(token_id)} ({_describe(exc)})") from None
        except BotoCoreError as exc:
            raise MirrorError(f"Could not read {secret_name(token_id)} ({_describe(exc)})") from None
        return "DeletedDate" not in described

    def list_token_ids(self) -> set[str]:
        """Token ids of this deployment's secrets under SECRET_PREFIX (ListSecrets may lag a few minutes).

        A secret without this deployment's tag (another deployment's, or one from before the tag) is never listed.
        """
        prefix = settings.SECRET_PREFIX
        filters = [
            {"Key": "name", "Values": [prefix]},
            {"Key": "tag-key", "Values": [APP_TAG[0]]},
            {"Key": "tag-value", "Values": [APP_TAG[1]]},
        ]
        found: set[str] = set()
        try:
            for page in self._secrets.get_paginator("list_secrets").paginate(
                Filters=filters, PaginationConfig={"PageSize": 100}
            ):
                for secret in page.get("SecretList", []):
                    name = secret.get("Name", "")
                    tags = {tag.get("Key"): tag.get("Value") for tag in secret.get("Tags", [])}
                    if tags.get(DEPLOYMENT_TAG) != settings.DEPLOYMENT_ID:
                        continue
                    if name.startswith(prefix) and "DeletedDate" not in secret:
                        found.add(name[len(prefix) :])
        except (BotoCoreError, ClientError) as exc:
            raise MirrorError(f"Could not list the secrets under {prefix} ({_describe(exc)})") from None
        return found


def get_mirror() -> SecretsMirror | NullMirror:
    return SecretsMirror() if settings.SECRETS_MIRROR == "on" else NullMirror()
