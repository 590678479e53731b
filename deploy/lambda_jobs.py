"""The jobs functions: one management command per invocation, beside a web function that streams.

The image: EventBridge sends {"manage": "sync_secrets"}, {"manage": "clearsessions"} or {"manage":
"purge_responses"} (deploy/terraform), and an operator {"manage": "migrate"}: the same events the Zappa package
takes. A command that fails fails the invocation, so EventBridge retries it. This is a minimal client of the Lambda
Runtime API; the jobs image has no Web Adapter, whose own client would compete for the invocations.

    python -m deploy.lambda_jobs

The Zappa zip (the serverless-jobs stage of zappa_settings.json, handler `deploy.lambda_jobs.zappa_handler`):
Zappa's own handler runs the stage's scheduled events (sbcproject.scheduled) and `zappa manage`, after the app
secret has joined the environment. The streaming stage cannot take them: the Web Adapter owns its invocations.
"""

from __future__ import annotations

import json
import os
import traceback
import urllib.request
from collections.abc import Callable

from deploy.app_secret import load_app_secret

RUNTIME_PATH = "/2018-06-01/runtime"


def run_command(event: object) -> dict:
    """Run the event's management command; its output goes to the function's log."""
    command = event.get("manage") if isinstance(event, dict) else None
    if not isinstance(command, str) or not command.strip():
        raise ValueError('expected an event like {"manage": "sync_secrets"}')
    from django.core import management

    management.call_command(*command.split())
    return {}


def serve(runtime_api: str, handle: Callable[[object], dict] = run_command, invocations: int | None = None) -> None:
    """Take invocations from the Runtime API at `runtime_api` (host:port) and answer each with `handle`'s result."""
    base = f"http://{runtime_api}{RUNTIME_PATH}"
    served = 0
    while invocations is None or served < invocations:
        with urllib.request.urlopen(f"{base}/invocation/next") as response:
            request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            event = json.loads(response.read() or b"null")
        try:
            body, outcome = json.dumps(handle(event)).encode(), "response"
        except Exception as exc:  # noqa: BLE001 - reported to Lambda as the invocation's error
            traceback.print_exc()
            body = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__}).encode()
            outcome = "error"
        request = urllib.request.Request(f"{base}/invocation/{request_id}/{outcome}", data=body, method="POST")
        urllib.request.urlopen(request, timeout=30).close()
        served += 1


_secret_loaded = False


def zappa_handler(event: object, context: object) -> object:
    """Zappa's handler (handler.py at the package root), with the app secret read once per execution environment."""
    global _secret_loaded
    if not _secret_loaded:
        load_app_secret()
        _secret_loaded = True
    # Imported here: handler.py is Zappa's, written at the zip's root by `zappa package`; it sets Django up.
    from handler import lambda_handler

    return lambda_handler(event, context)


def main() -> None:
    load_app_secret()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sbcproject.settings")
    import django

    django.setup()
    serve(os.environ["AWS_LAMBDA_RUNTIME_API"])


if __name__ == "__main__":
    main()
