"""The handler Zappa packages answers API Gateway (REST, v1) and function URL (v2) events end to end:
the /v1 API, a streamed request (complete, valid SSE), the admin with its static files, scheduled jobs
and `zappa manage`, with the Bedrock emulator behind it and the secrets loaded from remote_env."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from tests.deploy.conftest import STAGE

# No django_db mark: a transactional test would flush the seeded model aliases the other tests need.
pytestmark = pytest.mark.e2e

FUNCTION_URL_HOST = "abcdefghij0123456789klmnop.lambda-url.us-east-1.on.aws"
REST_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
# Switching a stage to API Gateway means allowing its host name as well.
REST_ALLOWED_HOSTS = ".execute-api.us-east-1.amazonaws.com,.lambda-url.us-east-1.on.aws"


def rest_event(method: str, path: str, *, headers: dict | None = None, body: str | None = None) -> dict:
    """What API Gateway's REST API sends a Lambda proxy integration for `{proxy+}`."""
    headers = {
        "Host": REST_HOST,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "X-Forwarded-For": "203.0.113.9",
        "User-Agent": "deploy-test",
        **(headers or {}),
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "body": body,
        "isBase64Encoded": False,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": "rest-request",
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "deploy-test"},
        },
    }


def url_event(
    method: str, path: str, *, headers: dict | None = None, body: str | None = None, cookies: list[str] | None = None
) -> dict:
    """What a Lambda function URL sends (payload format 2.0)."""
    headers = {
        "host": FUNCTION_URL_HOST,
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-forwarded-for": "203.0.113.9",
        "user-agent": "deploy-test",
        **{key.lower(): value for key, value in (headers or {}).items()},
    }
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghij",
            "domainName": FUNCTION_URL_HOST,
            "domainPrefix": "abcdefghij",
            "requestId": "url-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:06:00:00 +0000",
            "timeEpoch": 0,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "deploy-test",
            },
        },
    }
    if cookies:
        event["cookies"] = cookies
    return event


def chat(stream: bool = False) -> str:
    return json.dumps(
        {
            "model": "claude-4-sonnet",
            "max_tokens": 256,
            "stream": stream,
            "messages": [{"role": "user", "content": "Hello there"}],
        }
    )


def header(response: dict, name: str) -> str:
    return {key.lower(): value for key, value in response["headers"].items()}[name.lower()]


def sse_events(body: str) -> list[str]:
    assert body.endswith("data: [DONE]\n\n"), body[-200:]
    blocks = [block for block in body.split("\n\n") if block.strip()]
    payloads = []
    for block in blocks:
        lines = [line for line in block.split("\n") if not line.startswith(":")]
        assert lines and all(line.startswith("data: ") for line in lines), block
        payloads.append("\n".join(line[len("data: ") :] for line in lines))
    return payloads


def test_rest_api_events_reach_the_api(invoke_lambda, token):
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    (models, plain, unauthenticated), _ = invoke_lambda(
        [
            rest_event("GET", "/v1/models", headers=auth),
            rest_event("POST", "/v1/chat/completions", headers=auth, body=chat()),
            rest_event("GET", "/v1/models"),
        ],
        DJANGO_ALLOWED_HOSTS=REST_ALLOWED_HOSTS,
    )

    assert models["statusCode"] == 200, models
    listed = json.loads(models["body"])
    assert listed["object"] == "list" and "claude-4-sonnet" in {model["id"] for model in listed["data"]}

    assert plain["statusCode"] == 200, plain
    answer = json.loads(plain["body"])
    assert answer["object"] == "chat.completion"
    assert "synthetic answer" in answer["choices"][0]["message"]["content"]
    assert answer["usage"]["total_tokens"] > 0

    assert unauthenticated["statusCode"] == 401
    assert json.loads(unauthenticated["body"])["error"]["type"]


def test_a_streamed_request_comes_back_complete_as_valid_sse(invoke_lambda, token):
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    (rest, url), _ = invoke_lambda(
        [
            rest_event("POST", "/v1/chat/completions", headers=auth, body=chat(stream=True)),
            url_event("POST", "/v1/chat/completions", headers=auth, body=chat(stream=True)),
        ],
        DJANGO_ALLOWED_HOSTS=REST_ALLOWED_HOSTS,
    )

    for response in (rest, url):
        assert response["statusCode"] == 200, response
        assert header(response, "Content-Type").startswith("text/event-stream")
        assert not response.get("isBase64Encoded")
        payloads = sse_events(response["body"])
        assert payloads[-1] == "[DONE]"
        chunks = [json.loads(payload) for payload in payloads[:-1]]
        assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
        text = "".join(choice["delta"].get("content") or "" for chunk in chunks for choice in chunk["choices"])
        assert "synthetic answer" in text
        assert [choice["finish_reason"] for chunk in chunks for choice in chunk["choices"]][-1] == "stop"


def test_the_admin_login_page_and_its_static_files_are_served(invoke_lambda):
    (login,), _ = invoke_lambda([url_event("GET", "/admin/login/")])
    assert login["statusCode"] == 200, login
    assert header(login, "Content-Type").startswith("text/html")
    stylesheets = re.findall(r'href="(/static/admin/css/[^"]+\.css)"', login["body"])
    assert stylesheets and all(re.search(r"\.[0-9a-f]{12}\.css$", href) for href in stylesheets), stylesheets

    responses, _ = invoke_lambda([url_event("GET", href) for href in stylesheets])
    for response in responses:
        assert response["statusCode"] == 200, response
        assert header(response, "Content-Type").startswith("text/css")
        assert "max-age=315360000" in header(response, "Cache-Control")  # hashed names are immutable
        assert len(response["body"]) > 100


@pytest.fixture
def admin_user(django_db_blocker):
    from django.contrib.auth import get_user_model

    with django_db_blocker.unblock():
        user = get_user_model().objects.create_superuser("deploy-ops", "ops@example.com", "a-long-admin-password-42")
    yield user
    with django_db_blocker.unblock():
        user.delete()


def test_an_admin_signs_in_through_the_function_url(invoke_lambda, admin_user):
    (form,), _ = invoke_lambda([url_event("GET", "/admin/login/")])
    # Django writes Set-Cookie values with a leading space (c.output(header="")); browsers and AWS trim it.
    cookies = [cookie.strip() for cookie in form["cookies"]]
    csrf_cookie = next(cookie.split(";")[0] for cookie in cookies if cookie.startswith("csrftoken="))
    csrf_field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form["body"]).group(1)
    body = urlencode(
        {
            "csrfmiddlewaretoken": csrf_field,
            "username": "deploy-ops",
            "password": "a-long-admin-password-42",
            "next": "/admin/",
        }
    )

    (signed_in,), _ = invoke_lambda(
        [
            url_event(
                "POST",
                "/admin/login/",
                body=body,
                cookies=[csrf_cookie],
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"https://{FUNCTION_URL_HOST}",
                    "Referer": f"https://{FUNCTION_URL_HOST}/admin/login/",
                },
            )
        ]
    )
    assert signed_in["statusCode"] == 302, signed_in.get("body", "")[:2000]
    assert header(signed_in, "Location") == "/admin/"
    session = [cookie.strip() for cookie in signed_in["cookies"] if cookie.strip().startswith("sessionid=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]


def test_it_never_logs_the_bearer_token(invoke_lambda, token):
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    invoke_lambda([url_event("POST", "/v1/chat/completions", headers=auth, body=chat())])
    assert token not in invoke_lambda.logs
    assert "Zappa Event" not in invoke_lambda.logs


def test_zappa_manage_and_the_scheduled_jobs_run_django_commands(invoke_lambda):
    from zappa.core import Zappa

    from tests.deploy.conftest import stage_settings

    zappa = Zappa(load_credentials=False, runtime="python3.11")
    scheduled = []
    for event in stage_settings()["events"]:
        # Zappa names the rule after the job and finds the function again from the rule's name.
        rule = zappa.get_scheduled_event_name(event, event["function"], f"sbc-{STAGE}")
        scheduled.append(
            {
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"],
            }
        )
    (migrate, *_), modules = invoke_lambda([{"manage": "migrate"}, *scheduled])
    assert migrate == {}
    assert "tokens.management.commands.sync_secrets" in modules
    assert "django.contrib.sessions.management.commands.clearsessions" in modules
