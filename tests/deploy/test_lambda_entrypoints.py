"""The Lambda functions' entry points: the app secret (Secrets Manager or an SSM SecureString) joins the environment
before gunicorn starts, the image's jobs function answers the Runtime API one management command at a time,
failures reported as errors, and the Zappa jobs stages hand their events to Zappa's handler once the secret is in."""

from __future__ import annotations

import json
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import deploy.lambda_jobs
from deploy.app_secret import load_app_secret
from deploy.lambda_jobs import serve, zappa_handler


class FakeSecrets:
    def __init__(self, value: dict):
        self.value, self.asked = value, []

    def get_secret_value(self, SecretId):  # noqa: N803 - boto3's parameter name
        self.asked.append(SecretId)
        return {"SecretString": json.dumps(self.value)}


def test_the_app_secret_fills_in_what_the_environment_lacks_and_says_only_the_names():
    client = FakeSecrets({"DJANGO_SECRET_KEY": "k" * 50, "DATABASE_URL": "postgres://u:p@h/db"})
    environ = {"SBC_APP_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:sbc/app/prod", "DATABASE_URL": "set"}
    assert load_app_secret(environ, client) == ["DJANGO_SECRET_KEY"]
    assert environ["DJANGO_SECRET_KEY"] == "k" * 50 and environ["DATABASE_URL"] == "set"
    assert client.asked == ["arn:aws:secretsmanager:us-east-1:1:secret:sbc/app/prod"]
    assert load_app_secret({}, client) == [] and len(client.asked) == 1


class FakeParameters:
    def __init__(self, value: str):
        self.value, self.asked = value, []

    def get_parameter(self, Name, WithDecryption):  # noqa: N803 - boto3's parameter names
        self.asked.append((Name, WithDecryption))
        return {"Parameter": {"Name": Name, "Type": "SecureString", "Value": self.value}}


def test_the_app_secret_can_be_an_ssm_securestring_read_decrypted():
    client = FakeParameters(json.dumps({"DJANGO_SECRET_KEY": "p" * 50}))
    environ = {"SBC_APP_SECRET_PARAMETER": "/sbc/serverless/app", "DATABASE_URL": "dsql://sbc_app@x/postgres"}
    assert load_app_secret(environ, client) == ["DJANGO_SECRET_KEY"]
    assert environ["DJANGO_SECRET_KEY"] == "p" * 50 and environ["DATABASE_URL"] == "dsql://sbc_app@x/postgres"
    assert client.asked == [("/sbc/serverless/app", True)]


@pytest.mark.parametrize(
    "environ, value, problem",
    [
        ({"SBC_APP_SECRET_PARAMETER": "/sbc/x/app"}, '"just-a-string"', "must hold a JSON object"),
        ({"SBC_APP_SECRET_PARAMETER": "/sbc/x/app", "SBC_APP_SECRET_ARN": "arn:x"}, "{}", "not both"),
    ],
)
def test_a_misconfigured_app_secret_stops_the_start_and_says_why(environ, value, problem):
    with pytest.raises(SystemExit, match=problem):
        load_app_secret(environ, FakeParameters(value))


def test_the_zappa_jobs_handler_reads_the_secret_once_then_runs_zappas_handler(monkeypatch):
    loads, seen = [], []
    environ: dict[str, str] = {}
    zappa = types.ModuleType("handler")  # Zappa's handler.py, at the package root on Lambda
    zappa.lambda_handler = lambda event, context: seen.append((event, environ.get("DJANGO_SECRET_KEY"))) or {
        "ran": event
    }

    def fake_load():
        loads.append(1)
        environ.setdefault("DJANGO_SECRET_KEY", "s" * 50)

    monkeypatch.setitem(sys.modules, "handler", zappa)
    monkeypatch.setattr(deploy.lambda_jobs, "load_app_secret", fake_load)
    monkeypatch.setattr(deploy.lambda_jobs, "_secret_loaded", False)
    assert zappa_handler({"manage": "migrate"}, None) == {"ran": {"manage": "migrate"}}
    assert zappa_handler({"detail-type": "Scheduled Event"}, None) == {"ran": {"detail-type": "Scheduled Event"}}
    assert loads == [1]
    assert seen == [({"manage": "migrate"}, "s" * 50), ({"detail-type": "Scheduled Event"}, "s" * 50)]


def test_the_jobs_function_answers_each_invocation_through_the_runtime_api():
    events = [{"manage": "sync_secrets"}, {"manage": "unknown_command"}]
    answers: dict[str, tuple[str, dict]] = {}

    class RuntimeApi(BaseHTTPRequestHandler):
        def do_GET(self):
            number = len(answers) if len(answers) < len(events) else 0
            body = json.dumps(events[number]).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", f"request-{number}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            _, request_id, outcome = self.path.rsplit("/", 2)
            answers[request_id] = (outcome, json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ran = []

    def handle(event):
        if event["manage"] == "unknown_command":
            raise ValueError("Unknown command: 'unknown_command'")
        ran.append(event["manage"])
        return {}

    try:
        serve(f"127.0.0.1:{server.server_address[1]}", handle, invocations=2)
    finally:
        server.shutdown()
    assert ran == ["sync_secrets"]
    assert answers["request-0"] == ("response", {})
    outcome, error = answers["request-1"]
    assert outcome == "error" and error["errorType"] == "ValueError" and "unknown_command" in error["errorMessage"]
