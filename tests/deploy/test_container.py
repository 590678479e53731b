"""The streaming deployment: the image runs the same gunicorn configuration as `make run`, as a
non-root user, with a health check and no secrets; the configuration loads with production settings.
(The image itself is built by CI or the deployer; here the Dockerfile and configuration are checked.)"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys

import httpx
import pytest

from tests.live import ROOT, server_env, start_gunicorn

GUNICORN_ARGS = ["-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str, stage: str | None = None) -> list[str]:
    text = DOCKERFILE if stage is None else DOCKERFILE.split(f" AS {stage}\n", 1)[1].split("\nFROM ", 1)[0]
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(f"{name} ")]


def production_env(**extra: str) -> dict[str, str]:
    return server_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="gateway.example.com",
        SESSION_COOKIE_SECURE="true",
        CSRF_COOKIE_SECURE="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_SSL_REDIRECT="true",
        **extra,
    )


def test_the_image_runs_the_gunicorn_command_make_run_uses():
    (cmd,) = instructions("CMD", "app")
    assert json.loads(cmd) == ["python", *GUNICORN_ARGS]
    devrun = (ROOT / "sbcproject" / "devrun.py").read_text()
    assert '"-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"' in devrun
    task = json.loads((ROOT / "deploy" / "ecs-task-definition.json").read_text())
    assert task["containerDefinitions"][0]["command"] == ["python", *GUNICORN_ARGS]


def test_the_image_runs_as_a_non_root_user_with_a_health_check_and_no_secrets():
    assert instructions("FROM")[0].startswith("python:3.11-slim")
    assert instructions("USER") and instructions("USER")[-1] not in ("root", "0")
    (healthcheck,) = instructions("HEALTHCHECK", "app")
    assert "/healthz" in healthcheck
    baked = " ".join(instructions("ENV") + instructions("ARG"))
    for secret in ("DJANGO_SECRET_KEY", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"):
        assert secret not in baked
    assert any("collectstatic" in run for run in instructions("RUN"))
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "db.sqlite3*", ".git", ".run", "bedrock_emulator"} <= set(ignored)
    copied = " ".join(instructions("COPY"))
    assert "bedrock_emulator" not in copied, "the Bedrock emulator is for tests and make run only"
    assert "deploy/cost/prices.toml" in copied, "the admin prices the Secrets Manager mirror from it"


def test_the_lambda_target_streams_through_the_web_adapter():
    assert any("aws-lambda-adapter" in line and "/opt/extensions/" in line for line in instructions("COPY", "lambda"))
    env = " ".join(instructions("ENV", "lambda"))
    assert "AWS_LWA_INVOKE_MODE=response_stream" in env and "AWS_LWA_READINESS_CHECK_PATH=/healthz" in env
    # gunicorn starts once the app secret (SBC_APP_SECRET_ARN, deploy/terraform) is in its environment.
    (cmd,) = instructions("CMD", "lambda")
    assert json.loads(cmd) == ["python", "-m", "deploy.app_secret", "python", *GUNICORN_ARGS]
    (jobs,) = instructions("CMD", "jobs")
    assert json.loads(jobs) == ["python", "-m", "deploy.lambda_jobs"]
    assert not any("aws-lambda-adapter" in line for line in instructions("COPY", "jobs"))
    template = (ROOT / "deploy" / "lambda-web-adapter.yaml").read_text()
    assert "InvokeMode: RESPONSE_STREAM" in template and "DockerBuildTarget: lambda" in template


def test_the_gunicorn_configuration_is_valid_with_production_settings():
    result = subprocess.run(
        [sys.executable, *GUNICORN_ARGS, "--check-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=production_env(GUNICORN_BIND="0.0.0.0:8000"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.e2e
def test_load_balancer_health_checks_by_ip_over_http_pass_while_everything_else_is_guarded(
    django_db_setup, static_root
):
    server = start_gunicorn(production_env(STATIC_ROOT=str(static_root)), workers=1, threads=4)
    try:
        # An ALB probes the task's private address over plain http: not an allowed host, not https.
        health = httpx.get(f"{server.url}/healthz", headers={"Host": "10.0.3.17:8000"})
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert httpx.get(f"{server.url}/admin/login/", headers={"Host": "10.0.3.17:8000"}).status_code == 400
        admin = httpx.get(f"{server.url}/admin/login/", headers={"Host": "gateway.example.com"})
        assert admin.status_code == 301 and admin.headers["location"] == "https://gateway.example.com/admin/login/"
    finally:
        server.stop()
