"""Finding: a model named by its foundation-model ARN was priced at $0, so a USD budget did not hold: the same
Llama 3.1 405B call cost $0.06 by id and nothing by ARN. A request is now priced by the base model whatever id,
profile id or ARN named it, and an identity with a USD limit is refused a model that has no price."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import assert_openai_error

pytestmark = pytest.mark.e2e
LLAMA = "meta.llama3-1-405b-instruct-v1:0"
LLAMA_ARN = f"arn:aws:bedrock:us-east-1::foundation-model/{LLAMA}"


def chat(gateway, token: str, model: str) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json={"model": model, "max_tokens": 20, "messages": [{"role": "user", "content": "Hello there"}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_a_model_named_by_its_arn_costs_what_it_costs_by_id(gateway, issue, unique_name, set_quota, records):
    name = unique_name("arn")
    set_quota(name, usd_per_month="5.00")
    token = issue(name)
    for model in (LLAMA, LLAMA_ARN):
        answer = chat(gateway, token, model)
        assert answer.status_code == 200, answer.text
    by_id, by_arn = records(name)
    assert by_id["cost_usd"] > 0
    assert by_arn["cost_usd"] == by_id["cost_usd"], (by_arn["cost_usd"], by_id["cost_usd"])


def test_an_identity_with_a_usd_limit_is_refused_a_model_without_a_price(
    gateway, issue, unique_name, set_quota, records, emulator_log
):
    unpriced = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-70b-instruct-v1:0"  # no row in the prices
    name = unique_name("unpriced")
    set_quota(name, usd_per_month="5.00")
    calls = len(emulator_log())
    error = assert_openai_error(chat(gateway, issue(name), unpriced), 403)
    assert "no price" in error["message"] and error["param"] == "model"
    assert len(emulator_log()) == calls
    [record] = records(name)
    assert record["status"] == 403
    # An identity without a USD limit still uses it.
    assert chat(gateway, issue(unique_name("unlimited")), unpriced).status_code == 200
