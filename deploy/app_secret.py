"""Start a command with the app secret in its environment: the entry point of the Lambda functions.

The app secret is one JSON object of environment variables (DJANGO_SECRET_KEY and, where they hold a password,
DATABASE_URL and REDIS_URL), written by deploy/terraform or by the operator, read once at start so it never sits in
the function's plain settings. SBC_APP_SECRET_ARN names it in Secrets Manager; SBC_APP_SECRET_PARAMETER names an SSM
Parameter Store SecureString holding the same JSON (no charge per parameter: the serverless shape's choice). Its
keys are added to the environment, never replacing a variable that is already set, and the command then replaces
this process. With neither set the command starts unchanged, so the same image runs under `docker run -e ...`.

    python -m deploy.app_secret python -m gunicorn -c sbcproject/gunicorn.conf.py
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import MutableMapping


def as_environment(name: str, text: str) -> dict[str, str]:
    """The JSON object's keys and values, as strings."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise SystemExit(f"{name} must hold a JSON object of environment variables")
    return {str(key): str(item) for key, item in value.items()}


def secret_environment(arn: str, client=None) -> dict[str, str]:
    """The Secrets Manager secret's keys and values."""
    if client is None:
        import boto3

        client = boto3.client("secretsmanager")
    return as_environment(arn, client.get_secret_value(SecretId=arn)["SecretString"])


def parameter_environment(name: str, client=None) -> dict[str, str]:
    """The SecureString parameter's keys and values, decrypted."""
    if client is None:
        import boto3

        client = boto3.client("ssm")
    return as_environment(name, client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def load_app_secret(environ: MutableMapping[str, str] = os.environ, client=None) -> list[str]:
    """Add the secret named by SBC_APP_SECRET_ARN or SBC_APP_SECRET_PARAMETER to `environ`; the names added (never
    the values). `client` stands in for the one service named."""
    arn = environ.get("SBC_APP_SECRET_ARN", "").strip()
    parameter = environ.get("SBC_APP_SECRET_PARAMETER", "").strip()
    if arn and parameter:
        raise SystemExit("set SBC_APP_SECRET_ARN or SBC_APP_SECRET_PARAMETER, not both")
    if arn:
        values = secret_environment(arn, client)
    elif parameter:
        values = parameter_environment(parameter, client)
    else:
        return []
    added = []
    for key, value in values.items():
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
