"""Attack class: a request names a model no alias knows, to aim the gateway's AWS role at something it should not call.

Only Bedrock's own ids reach Bedrock unaliased: foundation model ids, inference-profile ids, foundation-model ARNs
of the deployment's regions, and ARNs of the accounts in BEDROCK_ACCOUNT_IDS in those regions. Anything else, an
ARN of another account or region above all, is a 404 with no upstream call, unless an admin made it an alias.
"""

from __future__ import annotations

import pytest

from core.errors import ModelNotFound
from gateway.registry import ModelSpec, ModelTable, resolve
from tests.security.conftest import assert_openai_error

OURS, THEIRS = "111122223333", "999999999999"
REGIONS = ("us-east-1", "us-west-2")
TABLE = ModelTable.of([ModelSpec(name="claude-4-sonnet", base_model_id="anthropic.claude-sonnet-4-20250514-v1:0")])

PASSED = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-haiku-20240307-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon.titan-embed-text-v2:0",
    "meta.llama3-70b-instruct-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    f"arn:aws:bedrock:us-west-2:{OURS}:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
    f"arn:aws:bedrock:us-east-1:{OURS}:application-inference-profile/a1b2c3d4e5f6",
    f"arn:aws:bedrock:us-east-1:{OURS}:provisioned-model/abcdef123456",
]
REFUSED = [
    f"arn:aws:bedrock:us-east-1:{THEIRS}:provisioned-model/abcdef123456",
    f"arn:aws:bedrock:us-east-1:{THEIRS}:application-inference-profile/a1b2c3d4e5f6",
    f"arn:aws:bedrock:eu-west-1:{OURS}:provisioned-model/abcdef123456",  # our account, not our region
    "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    f"arn:aws:bedrock:us-east-1:{OURS}:foundation-model/x",  # a foundation model has no account
    f"arn:aws:sagemaker:us-east-1:{OURS}:endpoint/mine",
    f"arn:aws:iam::{OURS}:role/admin",
    "arn:aws:bedrock:us-east-1:1111:provisioned-model/x",
    "no-such-model",
    "mistral-large",
    "anthropic/claude",
    "../model/anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0/../../guardrail/x",
    "ANTHROPIC.CLAUDE",
    "a@b.c",
]


@pytest.mark.parametrize("name", PASSED)
def test_bedrock_ids_and_the_deployments_own_arns_pass_through(name):
    spec = resolve(name, TABLE, regions=REGIONS, accounts=(OURS,))
    assert spec.passthrough and spec.base_model_id == name


@pytest.mark.parametrize("name", REFUSED)
def test_other_accounts_other_regions_and_other_shapes_do_not(name):
    with pytest.raises(ModelNotFound):
        resolve(name, TABLE, regions=REGIONS, accounts=(OURS,))


def test_without_configured_accounts_no_account_arn_passes_through():
    with pytest.raises(ModelNotFound):
        resolve(f"arn:aws:bedrock:us-east-1:{OURS}:provisioned-model/abcdef123456", TABLE, regions=REGIONS)


def test_an_admins_alias_may_point_anywhere():
    foreign = f"arn:aws:bedrock:eu-west-1:{THEIRS}:provisioned-model/abcdef123456"
    table = ModelTable.of([ModelSpec(name="partner-model", base_model_id=foreign)])
    assert resolve("partner-model", table, regions=REGIONS).base_model_id == foreign


# ---- through the live gateway: a 404 in the API's shape, and nothing reaches Bedrock ---------------------


@pytest.mark.e2e
@pytest.mark.parametrize(
    "name",
    [
        f"arn:aws:bedrock:us-east-1:{THEIRS}:provisioned-model/abcdef123456",
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "no-such-model",
        "anthropic.claude/../../x",
    ],
)
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/embeddings"])
def test_a_foreign_model_is_a_404_and_never_reaches_bedrock(post, emulator_log, name, path):
    bodies = {
        "/v1/chat/completions": {"model": name, "messages": [{"role": "user", "content": "Hi"}]},
        "/v1/responses": {"model": name, "input": "Hi"},
        "/v1/messages": {"model": name, "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]},
        "/v1/embeddings": {"model": name, "input": "Hi"},
    }
    response = post(bodies[path], path=path)
    assert response.status_code == 404, response.text
    if path != "/v1/messages":  # Anthropic's error shape there
        assert assert_openai_error(response, 404)["param"] == "model"
    if name.startswith("arn:"):
        assert "model alias" in response.text
    assert emulator_log() == [], "nothing reached Bedrock"


@pytest.mark.e2e
def test_a_bedrock_model_id_is_still_served(post):
    response = post(
        {"model": "anthropic.claude-3-5-haiku-20241022-v1:0", "messages": [{"role": "user", "content": "Hi"}]}
    )
    assert response.status_code == 200, response.text
