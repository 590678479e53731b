"""`make run`: migrate, create the demo accounts and token, start the Bedrock emulator when there are
no AWS credentials, and serve the gateway with gunicorn on http://127.0.0.1:8000."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
PYTHON = sys.executable
EMULATOR_PORT = int(os.environ.get("EMULATOR_PORT", "8711"))


def _manage(*args: str, env: dict, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def _has_aws_credentials() -> bool:
    import boto3

    return boto3.Session().get_credentials() is not None


def _start_emulator(env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [PYTHON, "-m", "bedrock_emulator", "--port", str(EMULATOR_PORT)], cwd=ROOT, env={**env, "DJANGO_DEBUG": "1"}
    )
    url = f"http://127.0.0.1:{EMULATOR_PORT}/_emulator/health"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit(f"The Bedrock emulator did not start on port {EMULATOR_PORT} (is the port taken?)")


def _local_env() -> dict:
    RUN_DIR.mkdir(exist_ok=True)
    key_file = RUN_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", key_file.read_text().strip())
    # Plain http on loopback: cookies cannot be https-only and HSTS must stay off.
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        env.setdefault(name, "false")
    env.setdefault("SECURE_HSTS_SECONDS", "0")
    return env


def _banner(demo: dict, synthetic: bool, base: str) -> str:
    source = (
        "the Bedrock EMULATOR: no AWS credentials were found, so answers are SYNTHETIC"
        if synthetic
        else "AWS Bedrock with your AWS credentials"
    )
    return f"""
Simple Bedrock Connector is starting on {base}
  Models come from {source}.
  Admin:      {base}/admin/   user {demo["admin_user"]}  password {demo["admin_password"]}
  Your keys:  {base}/keys/    user {demo["demo_user"]}   password {demo["demo_password"]}
  Demo token: {demo["token"]}

Try it:
  curl {base}/v1/chat/completions \\
    -H "Authorization: Bearer {demo["token"]}" -H "Content-Type: application/json" \\
    -d '{{"model": "claude-4-sonnet", "messages": [{{"role": "user", "content": "Hello!"}}]}}'
"""


def main() -> None:
    env = _local_env()
    emulator = None
    synthetic = False
    if not env.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") and not _has_aws_credentials():
        synthetic = True
        env.update(
            {
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{EMULATOR_PORT}",
                "AWS_ACCESS_KEY_ID": "emulator",
                "AWS_SECRET_ACCESS_KEY": "emulator",
            }
        )
        env.setdefault("AWS_REGION", "us-east-1")
        emulator = _start_emulator(env)
    _manage("migrate", "--no-input", "-v", "0", env=env)
    _manage("collectstatic", "--no-input", "-v", "0", env=env)
    demo = json.loads(_manage("demo_setup", "--json", env=env, capture=True))
    bind = env.setdefault("GUNICORN_BIND", "127.0.0.1:8000")
    print(_banner(demo, synthetic, f"http://{bind}"), flush=True)
    gunicorn = subprocess.Popen([PYTHON, "-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"], cwd=ROOT, env=env)
    try:
        sys.exit(gunicorn.wait())
    except KeyboardInterrupt:
        gunicorn.terminate()
        gunicorn.wait()
    finally:
        if emulator is not None:
            emulator.terminate()


if __name__ == "__main__":
    main()
