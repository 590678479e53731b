"""Start a command with the app secret in its environment: the entry point of the Lambda images.

SBC_APP_SECRET_ARN names a Secrets Manager secret holding one JSON object (DJANGO_SECRET_KEY, DATABASE_URL and,
with Valkey, REDIS_URL), written by deploy/terraform. Its keys are added to the environment, never replacing a
variable that is already set, and the command then replaces this process. Without SBC_APP_SECRET_ARN the command
starts unchanged, so the same image runs under `docker run -e ...` or SAM with resolved variables.

    python -m deploy.app_secret python -m gunicorn -c sbcproject/gunicorn.conf.py
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import MutableMapping


def secret_environment(arn: str, client=None) -> dict[str, str]:
    """The secret's keys and values, as strings."""
    if client is None:
        import boto3

        client = boto3.client("secretsmanager")
    value = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    if not isinstance(value, dict):
        raise SystemExit(f"{arn} must hold a JSON object of environment variables")
    return {str(key): str(item) for key, item in value.items()}


def load_app_secret(environ: MutableMapping[str, str] = os.environ, client=None) -> list[str]:
    """Add the secret named by SBC_APP_SECRET_ARN to `environ`; the names added (never the values)."""
    arn = environ.get("SBC_APP_SECRET_ARN", "").strip()
    if not arn:
        return []
    added = []
    for key, value in secret_environment(arn, client).items():
        if key not in environ:
            environ[key] = value
            added.append(key)
    return added


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python -m deploy.app_secret COMMAND [ARG ...]")
    load_app_secret()
    os.execvp(argv[1], argv[1:])


if __name__ == "__main__":
    main(sys.argv)
