"""Multi-region failover: ordered regions, bounded attempts with jittered backoff, failing regions skipped."""

from __future__ import annotations

import openai
import pytest

from gateway.bedrock.failover import RegionHealth, attempt_plan, backoff_delay
from tests.live import server_env, start_gunicorn


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_it_tries_regions_in_configured_order():
    assert attempt_plan(["us-east-1", "us-west-2"], RegionHealth(), 3) == ["us-east-1", "us-west-2", "us-east-1"]


def test_it_moves_a_region_that_keeps_failing_to_the_back_for_a_while():
    clock = FakeClock()
    health = RegionHealth(failures_to_trip=2, cooldown_seconds=30, clock=clock)
    health.failed("us-east-1")
    assert attempt_plan(["us-east-1", "us-west-2"], health, 2) == ["us-east-1", "us-west-2"]
    health.failed("us-east-1")
    assert attempt_plan(["us-east-1", "us-west-2"], health, 2) == ["us-west-2", "us-east-1"]
    clock.now += 31
    assert attempt_plan(["us-east-1", "us-west-2"], health, 2) == ["us-east-1", "us-west-2"]


def test_it_forgets_failures_after_a_success():
    health = RegionHealth(failures_to_trip=2, clock=FakeClock())
    health.failed("us-east-1")
    health.succeeded("us-east-1")
    health.failed("us-east-1")
    assert not health.is_skipped("us-east-1")


@pytest.mark.parametrize("attempt, ceiling", [(1, 0.1), (2, 0.2), (3, 0.4), (10, 2.0)])
def test_it_backs_off_with_full_jitter_up_to_a_cap(attempt, ceiling):
    assert backoff_delay(attempt, 0.1, 2.0, rand=lambda: 1.0) == pytest.approx(ceiling)
    assert backoff_delay(attempt, 0.1, 2.0, rand=lambda: 0.0) == 0.0


@pytest.fixture(scope="module")
def two_region_gateway(django_db_setup, emulator, static_root):
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        STATIC_ROOT=str(static_root),
        BEDROCK_REGIONS="us-east-1,eu-west-1",
        BEDROCK_BACKOFF_BASE="0.01",
        BEDROCK_REGION_COOLDOWN="0.5",
    )
    server = start_gunicorn(env, workers=1, threads=8)
    yield server
    server.stop()


@pytest.fixture
def regional_client(two_region_gateway, emulator, token):
    emulator.reset()
    yield openai.OpenAI(base_url=f"{two_region_gateway.url}/v1", api_key=token, max_retries=0, timeout=30)
    emulator.clear_faults()


def hello(client, text: str = "Hello", **kwargs):
    return client.chat.completions.create(
        model="claude-4-sonnet", messages=[{"role": "user", "content": text}], **kwargs
    )


@pytest.mark.e2e
@pytest.mark.parametrize("error", ["ThrottlingException", "ServiceUnavailableException", "InternalServerException"])
def test_it_answers_from_the_next_region_when_the_first_fails(regional_client, emulator, error):
    emulator.add_fault(error=error, region="us-east-1")
    reply = hello(regional_client)
    assert "synthetic answer" in reply.choices[0].message.content
    calls = [(entry["region"], entry["model_id"]) for entry in emulator.log()]
    assert calls[:2] == [
        ("us-east-1", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
        ("eu-west-1", "eu.anthropic.claude-sonnet-4-20250514-v1:0"),
    ]


@pytest.mark.e2e
def test_it_fails_over_before_a_stream_starts(regional_client, emulator):
    emulator.add_fault(error="ThrottlingException", region="us-east-1", operation="converse-stream")
    text = "".join(c.choices[0].delta.content or "" for c in hello(regional_client, stream=True) if c.choices)
    assert "synthetic answer" in text
    assert [entry["region"] for entry in emulator.log()][-1] == "eu-west-1"


@pytest.mark.e2e
def test_it_never_retries_a_stream_that_already_started(regional_client, emulator):
    with pytest.raises(openai.APIError):
        for _ in hello(regional_client, "Hi [[sbc:stream-error=serviceUnavailableException]]", stream=True):
            pass
    assert len(emulator.log()) == 1


@pytest.mark.e2e
def test_it_does_not_fail_over_on_errors_another_region_would_repeat(regional_client, emulator):
    with pytest.raises(openai.InternalServerError) as caught:
        hello(regional_client, "Hi [[sbc:error=AccessDeniedException]]")
    assert caught.value.status_code == 502
    assert len(emulator.log()) == 1


@pytest.mark.e2e
def test_it_gives_up_after_bounded_attempts_with_the_last_error(regional_client, emulator):
    emulator.add_fault(error="ThrottlingException")
    with pytest.raises(openai.RateLimitError) as caught:
        hello(regional_client)
    assert caught.value.response.headers["retry-after"]
    assert len(emulator.log()) == 2
