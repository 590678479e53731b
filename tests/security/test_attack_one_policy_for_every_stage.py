"""Finding 7: one IAM policy for every stage. deploy/iam-policy.json, attached to every stage's role, let the dev
function read prod's remote_env object (secret key, DATABASE_URL, superuser password) and delete prod's token
secrets. Here each deployment's role is asked, the way IAM evaluates an Allow, for what belongs to another
deployment: its remote_env object, its token secrets, its app parameter, its function's log group."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

import pytest

from tests.deploy.conftest import ZAPPA_SETTINGS, stage_settings
from tests.live import ROOT

# The one policy the deploy guide attached to every stage's role before each stage had its own.
SHARED_POLICY = "deploy/iam-policy.json"


def policy_of(stage: str) -> list[dict]:
    path = ROOT / (stage_settings(stage).get("attach_policy") or SHARED_POLICY)
    return [st for st in json.loads(path.read_text())["Statement"] if st.get("Effect", "Allow") == "Allow"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def allows(statements: list[dict], action: str, arn: str) -> bool:
    """An Allow for `action` on `arn` (IAM's wildcards; the patterns here hold no '[' for fnmatch to misread)."""
    return any(
        any(fnmatchcase(action.lower(), pattern.lower()) for pattern in as_list(st["Action"]))
        and any(fnmatchcase(arn, pattern) for pattern in as_list(st["Resource"]))
        for st in statements
    )


def deployment(stage: str) -> str:
    return stage_settings(stage)["aws_environment_variables"].get("DEPLOYMENT_ID", stage)


def owned(stage: str) -> list[tuple[str, str]]:
    """What an attacker holding another stage's role would go for: (action, ARN) on this stage's own things."""
    settings = stage_settings(stage)
    variables = settings["aws_environment_variables"]
    account = re.search(r"::(\d{12}):", settings["role_arn"])[1]
    region = settings["aws_region"]
    token_secret = f"arn:aws:secretsmanager:{region}:{account}:secret:{variables['SECRET_PREFIX']}sbc_k3y1d-AbCdEf"
    targets = [
        ("secretsmanager:GetSecretValue", token_secret),
        ("secretsmanager:DeleteSecret", token_secret),
        ("secretsmanager:PutSecretValue", token_secret),
        ("logs:PutLogEvents", f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/sbc-{stage}:log-stream:x"),
    ]
    if settings.get("remote_env"):
        targets.append(("s3:GetObject", "arn:aws:s3:::" + settings["remote_env"].removeprefix("s3://")))
    if variables.get("SBC_APP_SECRET_PARAMETER"):
        parameter = variables["SBC_APP_SECRET_PARAMETER"]
        targets.append(("ssm:GetParameter", f"arn:aws:ssm:{region}:{account}:parameter{parameter}"))
    return targets


PAIRS = [(one, other) for one in ZAPPA_SETTINGS for other in ZAPPA_SETTINGS if deployment(one) != deployment(other)]


def test_two_deployments_at_least_are_shipped():
    assert {"dev", "prod"} <= {deployment(stage) for stage in ZAPPA_SETTINGS}


@pytest.mark.parametrize("attacker, victim", PAIRS)
def test_attack_one_stages_role_reaches_another_deployments_secrets(attacker, victim):
    policy = policy_of(attacker)
    reached = [(action, arn) for action, arn in owned(victim) if allows(policy, action, arn)]
    assert reached == [], f"{attacker}'s role reaches {victim}'s {reached}"


def test_each_stage_names_a_policy_of_its_own_deployment():
    files: dict[str, set[str]] = {}
    for stage in ZAPPA_SETTINGS:
        path = stage_settings(stage).get("attach_policy")
        assert path and (ROOT / path).is_file(), f"{stage} has no policy of its own"
        files.setdefault(path, set()).add(deployment(stage))
    assert all(len(deployments) == 1 for deployments in files.values()), files
    assert not (ROOT / SHARED_POLICY).exists(), "the policy for every stage is gone"
