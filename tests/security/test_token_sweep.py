"""After tokens are used every way a client can (chat, streams, embeddings, Anthropic's x-api-key, errors of all
kinds, a revoke), no raw token is anywhere the system keeps data: log files, database, Secrets Manager,
CloudWatch, or what Bedrock was sent.

tests/tokens/test_e2e_lifecycle.py checks the database and the mirror after CLI and admin issuance with plain
chat; this sweep widens the traffic, runs the gateway at debug log level, and adds CloudWatch, every log
file under artifacts/ and the Bedrock emulator's record of each call.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import httpx
import openai
import pytest

from tests.live import server_env, start_gunicorn
from tests.security.conftest import ARTIFACTS
from tests.tokens.test_e2e_lifecycle import _every_row, _every_secret
from tokens import keyformat

pytestmark = pytest.mark.e2e
SWEEP_LOG = ARTIFACTS / "gateway-sweep.log"
PROMPT = "the-sweep-prompt-must-stay-private"


@pytest.fixture
def sweep_gateway(aws, emulator, static_root, settings, django_db_setup):
    """A gateway logging at debug level and shipping events to CloudWatch in moto, with the mirror on."""
    settings.SECRETS_MIRROR = "on"
    group = f"/sbc/sweep-{time.time_ns()}"
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        STATIC_ROOT=str(static_root),
        CLOUDWATCH_LOG_GROUP=group,
        CLOUDWATCH_SEND_INTERVAL="0.3",
        LOG_LEVEL="debug",
        SECRETS_MIRROR="on",
        GUNICORN_LOG_LEVEL="debug",
        **aws.env(),
    )
    server = start_gunicorn(env, workers=2, threads=8, log_path=SWEEP_LOG)
    server.log_group = group
    yield server
    server.stop()


def traffic(url: str, token: str) -> int:
    """Every way a client uses a token, successful or not; returns how many of its requests were metered."""
    sdk = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=30)
    hello = [{"role": "user", "content": f"Hello {PROMPT}"}]
    sdk.chat.completions.create(model="claude-4-sonnet", max_tokens=32, messages=hello)
    "".join(
        c.choices[0].delta.content or ""
        for c in sdk.chat.completions.create(
            model="claude-4-sonnet", max_tokens=32, messages=hello, stream=True, stream_options={"include_usage": True}
        )
        if c.choices
    )
    sdk.embeddings.create(model="titan-embed-text-v2", input=[PROMPT])
    sdk.models.list()
    failing = [
        lambda: sdk.chat.completions.create(model="no-such-model", messages=hello),
        lambda: sdk.chat.completions.create(model="claude-4-sonnet", messages=hello, n=3),
        lambda: sdk.chat.completions.create(
            model="claude-4-sonnet",
            messages=[{"role": "user", "content": f"{PROMPT} [[sbc:error=ThrottlingException]]"}],
        ),
        lambda: sdk.chat.completions.create(
            model="claude-4-sonnet",
            messages=[{"role": "user", "content": f"{PROMPT} [[sbc:error=AccessDeniedException]]"}],
        ),
    ]
    for call in failing:
        with pytest.raises(openai.APIStatusError):
            call()
    with pytest.raises(openai.APIError):  # an upstream error after the stream started
        for _ in sdk.chat.completions.create(
            model="claude-4-sonnet",
            stream=True,
            messages=[{"role": "user", "content": f"{PROMPT} [[sbc:stream-error=internalServerException]]"}],
        ):
            pass
    headers = {"x-api-key": token, "anthropic-version": "2023-06-01"}
    body = {"model": "claude-4-sonnet", "max_tokens": 32, "messages": hello}
    assert httpx.post(f"{url}/v1/messages", json=body, headers=headers, timeout=30).status_code == 200
    with httpx.stream("POST", f"{url}/v1/messages", json={**body, "stream": True}, headers=headers, timeout=30) as r:
        assert r.status_code == 200 and "message_stop" in r.read().decode()
    assert httpx.post(f"{url}/v1/messages/count_tokens", json=body, headers=headers, timeout=30).status_code == 200
    bad_json = httpx.post(
        f"{url}/v1/chat/completions",
        content=b'{"messages": [',
        timeout=30,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400
    return 8  # chat, stream, embeddings, two upstream errors, the broken stream, messages and its stream


def cloudwatch_text(moto_url: str, group: str, expected_responses: int) -> str:
    """Every event in the group, once the gateway's background shipper has delivered the responses."""
    logs = boto3.client("logs", region_name="us-east-1", endpoint_url=moto_url)
    deadline, events = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if sum('"event":"response"' in e["message"] for e in events) >= expected_responses:
            time.sleep(1)  # and whatever the shippers still hold
            events = logs.filter_log_events(logGroupName=group)["events"]
            break
        time.sleep(0.3)
    assert events, "CloudWatch received the gateway's events"
    return "\n".join(json.dumps(e) for e in events)


def artifact_logs() -> dict[str, str]:
    """Every text file under artifacts/ (screenshots and other binaries skipped)."""
    found = {}
    for path in sorted(Path(ARTIFACTS).rglob("*")):
        if path.is_file() and path.suffix not in (".png", ".jpg", ".webm", ".zip"):
            found[str(path.relative_to(ARTIFACTS))] = path.read_bytes().decode("utf-8", errors="replace")
    return found


def test_no_raw_token_is_kept_anywhere_after_every_kind_of_use(
    sweep_gateway, aws, issue, emulator, django_db_blocker, caplog
):
    from tokens.models import ApiToken
    from tokens.services import token_revoke

    emulator.reset()
    used, revoked = issue("sweep@test"), issue("sweep-revoked@test")
    metered = traffic(sweep_gateway.url, used) + traffic(sweep_gateway.url, revoked)
    with django_db_blocker.unblock():
        token_revoke(token=ApiToken.objects.get(digest=keyformat.digest(revoked)))
    time.sleep(1.2)  # the revoke reaches every worker within about a second
    never_issued = keyformat.generate()[0]
    for offered in (revoked, never_issued):
        with pytest.raises(openai.PermissionDeniedError):
            openai.OpenAI(base_url=f"{sweep_gateway.url}/v1", api_key=offered, max_retries=0).models.list()
        response = httpx.post(
            f"{sweep_gateway.url}/v1/messages",
            headers={"x-api-key": offered},
            json={"model": "claude-4-sonnet", "max_tokens": 8, "messages": []},
        )
        assert response.status_code == 403

    with django_db_blocker.unblock():
        places = {
            "database": _every_row(),
            "secrets manager": _every_secret(),
            "cloudwatch": cloudwatch_text(aws.url, sweep_gateway.log_group, metered),
            "requests to bedrock": json.dumps(emulator.log()),
            "test process log": caplog.text,
        }
    places.update({f"artifacts/{name}": text for name, text in artifact_logs().items()})

    # The sweep looks where the data is: each place holds what the traffic left there.
    assert keyformat.digest(used) in places["database"]
    assert "sweep@test" in places["cloudwatch"] and "sweep-revoked@test" in places["cloudwatch"]
    assert PROMPT in places["requests to bedrock"]
    assert "/v1/chat/completions" in places["artifacts/gateway-sweep.log"]
    for token in (used, revoked, never_issued):
        secret_part = token.split("_")[2]
        for place, text in places.items():
            assert secret_part not in text, f"a raw token is kept in {place}"
    for place in ("cloudwatch", "database", "secrets manager", "artifacts/gateway-sweep.log"):
        assert PROMPT not in places[place], f"prompt text is kept in {place} with LOG_PROMPTS off"
