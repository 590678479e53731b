"""The Lambda image's entry points: the app secret joins the environment before gunicorn starts, and the jobs
function answers the Runtime API one management command at a time, failures reported as errors."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from deploy.app_secret import load_app_secret
from deploy.lambda_jobs import serve


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
