"""`make cost`: the serverless shape's reference figures, a sourced price for every line, one memory size everywhere,
and an estimate of DSQL work per request that covers what a /v1 request really runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from deploy.cost import table as cost_table
from deploy.cost.shapes import IDLE, SOLO, Workload, all_shapes, serverless
from tests.live import ROOT

LAST_LINE = re.compile(r"^serverless: idle \$(\d+\.\d\d)/month, solo \$(\d+\.\d\d)/month$")
READ = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


@pytest.fixture(scope="module")
def prices() -> cost_table.Table:
    return cost_table.load()


def make_cost(*args: str) -> list[str]:
    """What `make cost ARGS=...` prints: the same module, run as the Makefile runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "deploy.cost", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.rstrip("\n").splitlines()


def test_make_cost_ends_with_the_serverless_idle_and_solo_figures_within_the_promise():
    printed = make_cost()
    found = LAST_LINE.match(printed[-1])
    assert found, printed[-1]
    idle, solo = float(found.group(1)), float(found.group(2))
    assert 0 < idle <= 1.00, "idle: storage, one mirrored token, logs, code, the scheduled jobs"
    assert idle < solo <= 2.00, "one developer, 1,000 requests a day, 10 s answers, one token; no free tier"
    assert LAST_LINE.match(make_cost("--developers", "200", "--seconds", "30")[-1]).groups() == found.groups(), (
        "the last line is the reference figures whatever workload is asked for"
    )


def test_make_cost_lists_each_shape_with_its_free_tier_apart():
    printed = "\n".join(make_cost("--developers", "20"))
    for title in ("serverless on DSQL", "Lambda with RDS", "ECS with RDS and Redis"):
        assert title in printed
    assert printed.count("with free tier: $") == 3
    assert "20 developer(s) x 1,000 requests/day" in printed


def test_every_price_and_free_tier_names_its_source_and_when_it_was_read(prices):
    assert prices.region == "us-east-1"
    for item in [*prices.prices.values(), *prices.free.values()]:
        assert item.source.startswith(("https://", "http://", "../shared/reference/")), item.key
        assert READ.match(item.read), item.key
    assert all(price.usd >= 0 and price.per for price in prices.prices.values())
    assert all(why for why in prices.why.values()), "every assumption says where its figure comes from"


def test_every_line_of_every_shape_is_priced_from_the_table(prices):
    for workload in (IDLE, SOLO, Workload(developers=20)):
        for shape in all_shapes(prices, workload, cost_table.SERVERLESS_MEMORY_MB):
            assert all(line.price in prices.prices for line in shape.lines)
            assert shape.total == pytest.approx(sum(line.usd for line in shape.lines))
            assert 0 <= shape.with_free_tier <= shape.total, "free tiers are shown apart, never added"


def test_more_developers_cost_more_in_every_shape(prices):
    memory = cost_table.SERVERLESS_MEMORY_MB
    one = {s.key: s.total for s in all_shapes(prices, Workload(developers=1), memory)}
    twenty = {s.key: s.total for s in all_shapes(prices, Workload(developers=20), memory)}
    assert all(twenty[key] > one[key] for key in one)
    longer = serverless(prices, Workload(developers=1, seconds_per_answer=30), memory).total
    assert longer > one["serverless"], "a stream is billed while it runs"


def test_serverless_is_the_cheapest_shape_for_a_solo_developer(prices):
    shapes = all_shapes(prices, SOLO, cost_table.SERVERLESS_MEMORY_MB)
    assert min(shapes, key=lambda s: s.total).key == "serverless"


def test_the_memory_priced_is_the_one_terraform_deploys():
    deployed = cost_table.terraform_memory_mb()
    if deployed is None:
        pytest.skip("deploy/terraform/examples/serverless/variables.tf is not in this tree yet")
    assert deployed == cost_table.SERVERLESS_MEMORY_MB == cost_table.serverless_memory_mb()


def test_the_memory_priced_is_the_one_zappas_serverless_stage_deploys():
    stages = json.loads(cost_table.ZAPPA_SETTINGS.read_text())
    if cost_table.ZAPPA_STAGE not in stages:
        pytest.skip("zappa_settings.json has no serverless stage yet")
    assert cost_table.zappa_memory_mb() == cost_table.SERVERLESS_MEMORY_MB


@pytest.fixture
def catalog(db):
    from gateway.models import ModelAlias
    from tests.catalog import catalog_seed

    if not ModelAlias.objects.filter(name="claude-4-sonnet").exists():
        catalog_seed()


def statements(queries) -> int:
    """SQL statements that do work (transaction control left out)."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    return sum(1 for query in queries if not query["sql"].lstrip().upper().startswith(control))


@pytest.mark.django_db(transaction=True)
def test_dsql_work_per_request_covers_what_a_v1_request_runs(emulator, issue, catalog, monkeypatch, prices):
    """One fresh process's first request and nine more, every quota on: on average no more statements than the
    table's DSQL estimate assumes (Lambda starts fresh far less often than once in ten requests)."""
    from tokens.models import Identity, Quota

    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    token = issue("cost@test")
    limits = dict(tokens_per_day=10**6, tokens_per_month=10**7, usd_per_month=100, requests_per_minute=100)
    identity = Identity.objects.get(name="cost@test")
    Quota.objects.update_or_create(identity=identity, defaults={**limits, "concurrent_streams": 5})
    browser, counted = Client(), []
    for n in range(10):
        body = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "hi"}], "stream": n % 2 == 1}
        with CaptureQueriesContext(connection) as queries:
            answer = browser.post(
                "/v1/chat/completions", json.dumps(body), "application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
            b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert answer.status_code == 200
        counted.append(statements(queries.captured_queries))
    assert counted[0] > counted[-1] > 0, "a fresh process reads what later requests find in memory"
    assert sum(counted) / len(counted) <= prices.assume["dsql_statements_per_request"], counted
