"""The Lambda package built by `zappa package`, offline, and a way to run its handler on synthetic events."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from tests.live import ROOT, test_database_url

ZAPPA_SETTINGS = json.loads((ROOT / "zappa_settings.json").read_text())
VENV = Path(sys.prefix)
STAGE = "dev"


def offline_env(**extra: str) -> dict[str, str]:
    """No AWS credentials, no config files, no instance metadata, and every endpoint on a dead port."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "PYTEST", "DJANGO_", "DATABASE_"))
    }
    env.update(
        {
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "VIRTUAL_ENV": str(VENV),
            "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}",
        }
    )
    env.update(extra)
    return env


def stage_settings(stage: str = STAGE) -> dict:
    settings = dict(ZAPPA_SETTINGS[stage])
    parent = settings.pop("extends", None)
    return {**stage_settings(parent), **settings} if parent else settings


@pytest.fixture(scope="session")
def lambda_package(tmp_path_factory) -> Path:
    """`make package`, offline: the zip Zappa builds from the virtualenv of the hash-pinned lock alone, so what it
    holds is what production gets, never whatever the test virtualenv happens to have installed."""
    out = tmp_path_factory.mktemp("zappa") / f"sbc-{STAGE}.zip"
    result = subprocess.run(
        ["make", "--no-print-directory", "package", f"STAGE={STAGE}", f"PACKAGE_ZIP={out}"],
        cwd=ROOT,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def unpacked(lambda_package, tmp_path_factory) -> Path:
    """The package unpacked as Lambda sees it in /var/task, with the invoke script at its root."""
    root = tmp_path_factory.mktemp("var-task")
    with zipfile.ZipFile(lambda_package) as archive:
        archive.extractall(root)
    shutil.copy(Path(__file__).with_name("lambda_invoke.py"), root / "lambda_invoke.py")
    return root


@pytest.fixture
def remote_env(moto_server, django_db_setup):
    """The stage's secrets file, as `remote_env` expects it, in (moto's) S3: the package holds no secret."""
    moto_server.reset()
    bucket, key = stage_settings()["remote_env"].removeprefix("s3://").split("/", 1)
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=bucket)
    secrets = {"DJANGO_SECRET_KEY": "remote-env-secret-key-" + "k" * 40, "DATABASE_URL": test_database_url()}
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(secrets).encode())
    return secrets


@pytest.fixture
def invoke_lambda(unpacked, emulator, moto_server, remote_env, tmp_path):
    """invoke_lambda([event, ...], **env) -> (responses, modules imported): one cold start of the packaged
    handler with the stage's Lambda environment, the Bedrock emulator and moto standing in for AWS."""

    def _invoke(events: list[dict], **env_overrides: str) -> tuple[list[dict], list[str]]:
        events_path, results_path = tmp_path / "events.json", tmp_path / "results.json"
        events_path.write_text(json.dumps(events))
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(tmp_path),
            "AWS_LAMBDA_FUNCTION_NAME": f"sbc-{STAGE}",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_ENDPOINT_URL_S3": moto_server.url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url,
            **moto_server.env(),
            **stage_settings()["aws_environment_variables"],
            **env_overrides,
        }
        result = subprocess.run(
            [sys.executable, "-S", "lambda_invoke.py", str(events_path), str(results_path)],
            cwd=unpacked,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        output = json.loads(results_path.read_text())
        _invoke.logs = result.stdout + result.stderr
        return output["results"], output["modules"]

    return _invoke
