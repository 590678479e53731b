"""run.sh, the streaming function's handler, started the way the Web Adapter's wrapper starts it (`exec
$LAMBDA_TASK_ROOT/$_HANDLER`): from the unpacked package (every stage packs the same project and libraries), with
the serverless stage's settings, only the package and the standard library on the path, the secret key in an SSM
SecureString (moto) and the Bedrock emulator. gunicorn comes up on the adapter's port, passes its readiness check
and streams a chat completion as server-sent events."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
import httpx
import pytest

from tests import live
from tests.deploy.conftest import stage_settings
from tests.servers import free_port

pytestmark = pytest.mark.e2e

FUNCTION_URL_HOST = "abcdefghij0123456789klmnop.lambda-url.us-east-1.on.aws"
SECRET_KEY = "run-script-secret-key-" + "r" * 40
STARTUP_WAIT = 90  # seconds: a bound on the wait, not a measurement


@pytest.fixture
def function(lambda_package, unpacked, moto_server, emulator, django_db_setup, tmp_path):
    """The function's process tree: run.sh -> deploy.app_secret -> gunicorn, on a free port; its log after."""
    # Lambda keeps the modes the zip records (zipfile's extractall does not): run.sh's executable bit among them.
    with zipfile.ZipFile(lambda_package) as archive:
        (Path(unpacked) / "run.sh").chmod((archive.getinfo("run.sh").external_attr >> 16) & 0o777)
    moto_server.reset()
    variables = stage_settings("serverless")["aws_environment_variables"]
    ssm = boto3.client(
        "ssm",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    parameter = variables["SBC_APP_SECRET_PARAMETER"]
    ssm.put_parameter(Name=parameter, Type="SecureString", Value=json.dumps({"DJANGO_SECRET_KEY": SECRET_KEY}))
    # Lambda's `python` sees the package through PYTHONPATH (run.sh sets it), never a virtualenv's site-packages.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec {sys._base_executable} -S "$@"\n')
    python.chmod(0o755)
    port = free_port()
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "LAMBDA_TASK_ROOT": str(unpacked),
        "_HANDLER": "run.sh",
        "AWS_LAMBDA_FUNCTION_NAME": "sbc-serverless",
        "AWS_REGION": "us-east-1",  # Lambda sets both
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        **moto_server.env(),
        "AWS_ENDPOINT_URL_SSM": moto_server.url,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url,
        **variables,
        # The test database in place of the DSQL cluster; the adapter's port a free one.
        "DATABASE_URL": live.test_database_url(),
        "AWS_LWA_PORT": str(port),
    }
    log_path = tmp_path / "function.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(Path(unpacked) / "run.sh")],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        readiness = wait_until_ready(base, process, log_path)
        yield base, readiness, log_path
    finally:
        stop(process)


def wait_until_ready(base: str, process: subprocess.Popen, log_path: Path) -> int:
    """What the adapter does before it takes invocations: GET the readiness path until it answers below 500."""
    path = stage_settings("serverless")["aws_environment_variables"]["AWS_LWA_READINESS_CHECK_PATH"]
    deadline = time.monotonic() + STARTUP_WAIT
    while time.monotonic() < deadline:
        assert process.poll() is None, "run.sh exited:\n" + log_path.read_text()[-4000:]
        try:
            status = httpx.get(base + path, timeout=5).status_code
        except httpx.TransportError:
            status = None
        if status is not None and status < 500:
            return status
        time.sleep(0.2)
    raise AssertionError("gunicorn never became ready:\n" + log_path.read_text()[-4000:])


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def forwarded(**extra: str) -> dict[str, str]:
    """The headers a function URL request carries when the adapter hands it to gunicorn."""
    return {"host": FUNCTION_URL_HOST, "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9", **extra}


def test_run_sh_starts_the_app_with_the_secret_from_ssm_and_streams_an_answer(function, token):
    base, readiness, log_path = function
    assert readiness < 500
    health = httpx.get(f"{base}/healthz", headers=forwarded(), timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}

    body = {
        "model": "claude-4-sonnet",
        "max_tokens": 256,
        "stream": True,
        "messages": [{"role": "user", "content": "Hello there"}],
    }
    headers = forwarded(authorization=f"Bearer {token}", **{"content-type": "application/json"})
    with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, headers=headers, timeout=60) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        # Sent as it comes (chunked), which is what the adapter streams on: no length known up front.
        assert "content-length" not in response.headers
        chunks = [chunk for chunk in response.iter_text() if chunk]
    text = "".join(chunks)
    events = [block for block in text.split("\n\n") if block.startswith("data: ")]
    assert text.endswith("data: [DONE]\n\n") and len(events) >= 3, text[-500:]
    content = "".join(
        choice["delta"].get("content") or ""
        for event in events[:-1]
        for choice in json.loads(event[len("data: ") :])["choices"]
    )
    assert content.strip()
    log = log_path.read_text()
    assert SECRET_KEY not in log and token not in log
