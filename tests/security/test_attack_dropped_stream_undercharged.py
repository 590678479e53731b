"""Finding: a dropped stream was charged almost nothing. When the client went away before Bedrock's usage arrived,
the record held the HTTP body's size as the prompt (a continuation of a 14k-token response is a few bytes), while
Bedrock bills the whole input it was sent. The record now charges at least the prompt sent, and what streamed."""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.e2e
LONG_TASK = "Refactor the billing module, keeping every public name. " * 1_000  # ~14k tokens


def test_a_stream_dropped_after_a_few_deltas_is_charged_the_prompt_sent(gateway, issue, unique_name, records):
    name = unique_name("dropped")
    token = issue(name)
    auth = {"Authorization": f"Bearer {token}"}
    first = httpx.post(
        f"{gateway.url}/v1/responses",
        json={"model": "claude-4-sonnet", "input": LONG_TASK, "max_output_tokens": 50},
        headers=auth,
        timeout=60,
    )
    assert first.status_code == 200, first.text
    sent_prompt = records(name)[0]["prompt_tokens"]
    assert sent_prompt > 10_000

    body = {
        "model": "claude-4-sonnet",
        "stream": True,
        "previous_response_id": first.json()["id"],
        "input": "Go on [[sbc:pace=50x40]]",
    }
    with (
        httpx.Client(timeout=30) as http,
        http.stream("POST", f"{gateway.url}/v1/responses", json=body, headers=auth) as r,
    ):
        assert r.status_code == 200
        deltas = 0
        for line in r.iter_lines():
            deltas += '"response.output_text.delta"' in line
            if deltas == 3:
                break
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(records(name)) < 2:
        time.sleep(0.1)
    dropped = records(name)[1]
    assert dropped["status"] == 499 and dropped["disconnected"]
    assert dropped["prompt_tokens"] >= 0.8 * sent_prompt, (dropped["prompt_tokens"], sent_prompt)
    assert dropped["completion_tokens"] >= 1
