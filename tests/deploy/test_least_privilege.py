"""One description of least privilege for the gateway's roles, applied to every policy the repository ships:
each Zappa stage's own policy (deploy/iam/<stage>.json, its attach_policy), the policy documents of deploy/terraform,
and whatever zappa_settings.json adds. A permission added to one of them without a rule here fails, so they cannot
drift apart; and no two deployments' policies reach the same secret, object, parameter or log group."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from functools import cache

import pytest

from tests.deploy.conftest import ZAPPA_SETTINGS, stage_settings
from tests.deploy.terraform import MODULES, blocks, locals_of, unquote
from tests.live import ROOT

# What ${...} references stand for in the Terraform, to check the ARNs they build.
ACCOUNT, REGION = "123456789012", "us-east-1"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/sbc/prod"
APP_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:sbc/app/prod-AbCdEf"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0d3e4a1c-0000-4000-8000-000000000000"
APP_PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/sbc/prod/app"
CLUSTER = f"arn:aws:dsql:{REGION}:{ACCOUNT}:cluster/abcdefghijklmnopqrstuvwxyz"
SAMPLES = {
    "local.partition": "aws",
    "region": REGION,
    "local.account_id": ACCOUNT,
    "id": "anthropic.claude-sonnet-4-20250514-v1:0",
    "local.region": REGION,
    "local.secret_arn_prefix": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:sbc/prod/tokens/",
    "aws_cloudwatch_log_group.this.arn": LOG_GROUP,
    "module.app.log_group_arn": LOG_GROUP,
    "aws_secretsmanager_secret.app[*].arn": APP_SECRET,
    "module.app.app_secret_arn": APP_SECRET,
    "local.parameter_arn": APP_PARAMETER,
    "module.app.app_parameter_arn": APP_PARAMETER,
    "var.dsql_cluster_arn": CLUSTER,
    "aws_dsql_cluster.this.arn": CLUSTER,
    "aws_secretsmanager_secret.credentials[0].arn": APP_SECRET.replace("sbc/app/prod", "sbc-prod/db-credentials"),
    "var.kms_key_arn": KEY,
    "var.alert_sns_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:sbc-budget-alerts",
    "module.foundation.kms_key_arn": KEY,
    "var.remote_env_object_arn": "arn:aws:s3:::sbc-zappa-123456789012-prod/secrets/prod.json",
    "local.ecr_repository_arn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/sbc",
    "aws_ecs_task_definition.jobs.arn_without_revision": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/sbc-jobs",
    "aws_iam_role.task.arn": f"arn:aws:iam::{ACCOUNT}:role/sbc-prod-task",
    "aws_iam_role.execution.arn": f"arn:aws:iam::{ACCOUNT}:role/sbc-prod-execution",
}

REGION_OR_ANY = r"([a-z]{2}(-gov)?-[a-z]+-\d|\*)"
ACCOUNT_OR_ANY = r"(\d{12}|\*)"
MODEL_ID = r"[A-Za-z0-9.:-]+"  # one model or profile: no wildcard
BEDROCK = (
    rf"arn:aws:bedrock:{REGION_OR_ANY}::foundation-model/{MODEL_ID}"
    rf"|arn:aws:bedrock:{REGION_OR_ANY}:{ACCOUNT_OR_ANY}:(application-)?inference-profile/{MODEL_ID}"
)
# sbc/<environment>/tokens/*: each environment its own prefix (the shared sbc/tokens/ of deploy/iam-policy.json too).
TOKEN_SECRETS = rf"arn:aws:secretsmanager:{REGION_OR_ANY}:{ACCOUNT_OR_ANY}:secret:sbc/([A-Za-z0-9._-]+/)?tokens/\*"
NAMED_SECRET = r"arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"  # one secret, by name
GATEWAY_LOG_GROUPS = (
    rf"arn:aws:logs:{REGION_OR_ANY}:{ACCOUNT_OR_ANY}:log-group:(/aws/lambda/sbc-[^:]*|/sbc/[^:]*)(:\*)?"
)
STAR = r"\*"
# aws/ssm's key id is not known before first use: any key of the account, but only by that alias and through SSM.
AWS_SSM_KEY = r"arn:aws:kms:[a-z0-9-]+:\d{12}:key/\*"
AWS_SSM_KEY_CONDITIONS = {"kms:ViaService": "ssm.", "kms:ResourceAliases": "alias/aws/ssm"}
# Actions only one kind of role may hold: the DSQL admin connect is the migrations role's, never the app's.
ONLY_IN = {"dsql:DbConnectAdmin": "migrations"}


@dataclass(frozen=True)
class Rule:
    resources: str  # every resource of a statement granting the action must match this pattern
    reason: str


TOKEN_MIRROR = Rule(TOKEN_SECRETS, "the Secrets Manager mirror touches secrets under SECRET_PREFIX only")
ENI = Rule(STAR, "Lambda creates the function's network interfaces with its role before they exist")
RULES: dict[str, Rule] = {
    "bedrock:InvokeModel": Rule(BEDROCK, "the configured models and inference profiles; also authorizes Converse"),
    "bedrock:InvokeModelWithResponseStream": Rule(BEDROCK, "the same, streamed; also authorizes ConverseStream"),
    **dict.fromkeys(
        [
            "secretsmanager:CreateSecret",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:RestoreSecret",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
        ],
        TOKEN_MIRROR,
    ),
    "secretsmanager:GetSecretValue": Rule(
        f"{TOKEN_SECRETS}|{NAMED_SECRET}",
        "token secrets under the prefix, or one named secret the role starts with (app secret, database credentials)",
    ),
    "secretsmanager:ListSecrets": Rule(
        STAR, "ListSecrets has no resource-level scoping (sync_secrets lists the prefix)"
    ),
    "sts:GetCallerIdentity": Rule(STAR, "GetCallerIdentity has no resource-level scoping"),
    "logs:CreateLogGroup": Rule(GATEWAY_LOG_GROUPS, "the gateway's own log groups"),
    "logs:CreateLogStream": Rule(GATEWAY_LOG_GROUPS, "the gateway's own log groups"),
    "logs:PutLogEvents": Rule(GATEWAY_LOG_GROUPS, "the gateway's own log groups"),
    "logs:DescribeLogGroups": Rule(
        rf"arn:aws:logs:{REGION_OR_ANY}:{ACCOUNT_OR_ANY}:log-group:\*",
        "watchtower checks that its group exists; the call lists group names only",
    ),
    "s3:GetObject": Rule(
        r"arn:aws:s3:::sbc-zappa-[a-z0-9*-]+/secrets/[A-Za-z0-9.*_-]+", "Zappa's remote_env object, read at cold start"
    ),
    "sns:Publish": Rule(r"arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+", "the budget alerts' one topic"),
    "kms:Decrypt": Rule(
        rf"arn:aws:kms:[a-z0-9-]+:\d{{12}}:key/[0-9a-f-]+|{AWS_SSM_KEY}",
        "the deployment's own key, or AWS's aws/ssm key through Parameter Store only",
    ),
    "ssm:GetParameter": Rule(r"arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter/sbc/[^*]+", "the app's own parameter, by name"),
    "dsql:DbConnect": Rule(r"arn:aws:dsql:[a-z0-9-]+:\d{12}:cluster/[a-z0-9]+", "the deployment's own cluster"),
    "dsql:DbConnectAdmin": Rule(r"arn:aws:dsql:[a-z0-9-]+:\d{12}:cluster/[a-z0-9]+", "the migrations role's cluster"),
    "ecr:GetAuthorizationToken": Rule(STAR, "GetAuthorizationToken has no resource-level scoping"),
    "ecr:BatchCheckLayerAvailability": Rule(
        r"arn:aws:ecr:[a-z0-9-]+:\d{12}:repository/[^*]+", "the image's repository"
    ),
    "ecr:BatchGetImage": Rule(r"arn:aws:ecr:[a-z0-9-]+:\d{12}:repository/[^*]+", "the image's repository"),
    "ecr:GetDownloadUrlForLayer": Rule(r"arn:aws:ecr:[a-z0-9-]+:\d{12}:repository/[^*]+", "the image's repository"),
    "ecs:RunTask": Rule(r"arn:aws:ecs:[a-z0-9-]+:\d{12}:task-definition/[^*:]+:\*", "the jobs task, any revision"),
    "iam:PassRole": Rule(r"arn:aws:iam::\d{12}:role/[^*]+", "the task's own roles, by name"),
    **dict.fromkeys(
        [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ],
        ENI,
    ),
}


@dataclass
class Statement:
    where: str
    sid: str
    effect: str
    actions: list[str]
    resources: list[str]
    conditions: dict[str, str] = field(default_factory=dict)  # condition key -> its values, joined


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def violations(statements: list[Statement]) -> list[str]:
    found = []
    for st in statements:
        if st.effect != "Allow":
            continue
        for action in st.actions:
            if "*" in action:
                found.append(f"{st.where} {st.sid}: wildcard action {action}")
                continue
            rule = RULES.get(action)
            if rule is None:
                found.append(f"{st.where} {st.sid}: {action} has no least-privilege rule")
                continue
            if action in ONLY_IN and ONLY_IN[action] not in st.where:
                found.append(f"{st.where} {st.sid}: {action} belongs to the {ONLY_IN[action]} role only")
            for resource in st.resources:
                if not re.fullmatch(rule.resources, resource):
                    found.append(f"{st.where} {st.sid}: {action} on {resource} (allowed: {rule.reason})")
                elif re.fullmatch(AWS_SSM_KEY, resource) and any(
                    value not in st.conditions.get(key, "") for key, value in AWS_SSM_KEY_CONDITIONS.items()
                ):
                    found.append(f"{st.where} {st.sid}: {action} on any key without the aws/ssm alias and SSM")
    return found


def json_statements(document: dict, where: str) -> list[Statement]:
    return [
        Statement(
            where,
            st.get("Sid", "?"),
            st.get("Effect", "Allow"),
            as_list(st["Action"]),
            as_list(st["Resource"]),
            {
                key: " ".join(map(str, as_list(v)))
                for test in st.get("Condition", {}).values()
                for key, v in test.items()
            },
        )
        for st in as_list(document["Statement"])
    ]


def substitute(template: str) -> str:
    def sample(match: re.Match) -> str:
        expression = match.group(1).strip()
        assert expression in SAMPLES, f"no sample value for ${{{expression}}}: add one to SAMPLES"
        return SAMPLES[expression]

    return re.sub(r"\$\{([^}]+)\}", sample, unquote(template))


def terraform_resources(value, module_locals: dict[str, str]) -> list[str]:
    """The ARNs a statement's `resources` can hold; a `${local.x}` list is read from the local's ARN templates."""
    items = as_list(value)
    if len(items) == 1 and re.fullmatch(r"\$\{local\.\w+\}", items[0]) and items[0][2:-1] not in SAMPLES:
        expression = module_locals[items[0][len("${local.") : -1]]
        return [substitute(arn) for arn in re.findall(r'"(arn:[^"]+)"', expression)]
    return [substitute(item) for item in items]


def terraform_documents() -> dict[str, list[Statement]]:
    """Identity policies (aws_iam_policy_document without principals) by module/name, statically expanded."""
    documents = {}
    for path, kind, name, body in blocks(MODULES, "data"):
        if kind != "aws_iam_policy_document":
            continue
        module = path.parent.name
        raw = list(body.get("statement", []))
        for dynamic in body.get("dynamic", []):
            for label, block in dynamic.items():
                if unquote(label) == "statement":
                    raw.extend(block["content"])
        if any("principals" in st for st in raw):
            continue  # trust, key and bucket policies: resource policies, scanned by checkov
        where = f"{module}/{name}"
        documents[where] = [
            Statement(
                where,
                unquote(st.get("sid", "?")),
                unquote(st.get("effect", "Allow")),
                [unquote(a) for a in as_list(st["actions"])],
                terraform_resources(st["resources"], locals_of(path.parent)),
                {
                    unquote(c["variable"]): " ".join(unquote(v) for v in as_list(c["values"]))
                    for c in as_list(st.get("condition", []))
                },
            )
            for st in raw
        ]
    return documents


def zappa_documents() -> dict[str, list[Statement]]:
    documents = {}
    for stage in ZAPPA_SETTINGS:
        values = stage_settings(stage)
        statements = list(values.get("extra_permissions", []))
        if values.get("attach_policy"):
            statements += as_list(json.loads((ROOT / values["attach_policy"]).read_text())["Statement"])
        documents[f"zappa_settings.json/{stage}"] = json_statements({"Statement": statements}, stage)
    return documents


STAGE_POLICIES = sorted((ROOT / "deploy" / "iam").glob("*.json"))
GATEWAY_STAGES = ("dev", "prod", "serverless")  # the stages that serve requests (not the jobs or migrations)


def test_the_rules_cover_every_policy_the_terraform_ships():
    documents = terraform_documents()
    assert {"app/app", "ecs/execution", "ecs/scheduler", "lambda/vpc_access", "database/proxy"} <= set(documents)
    assert {"serverless/migrations"} <= set(documents)
    assert [] == [v for statements in documents.values() for v in violations(statements)]


def test_every_stage_policy_keeps_to_the_same_rules():
    assert {path.stem for path in STAGE_POLICIES} >= {"dev", "prod", "serverless", "serverless-migrations"}
    for path in STAGE_POLICIES:
        assert [] == violations(json_statements(json.loads(path.read_text()), path.stem)), path.name


def test_zappa_settings_add_nothing_beyond_the_rules_and_use_the_terraform_role():
    for where, statements in zappa_documents().items():
        assert [] == violations(statements), where
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    lambda_module = "".join(p.read_text() for p in (MODULES / "lambda").glob("*.tf"))
    assert 'name               = "${local.full_name}-lambda"' in lambda_module
    assert 'zappa_bucket     = "${var.name}-zappa-${local.account_id}-${var.environment}"' in lambda_module
    assert 'remote_env_key   = "secrets/${var.environment}.json"' in lambda_module
    for stage in settings:
        values = stage_settings(stage)
        project, deployment = values["project_name"], values["aws_environment_variables"]["DEPLOYMENT_ID"]
        # Zappa's broad default role stays off: the stage runs with the role deploy/terraform creates for its
        # deployment (the gateway's, which its jobs share, or the migrations' own), with that role's own policy.
        assert values["manage_roles"] is False
        role = re.fullmatch(
            rf"arn:aws:iam::\d{{12}}:role/{project}-{deployment}-(lambda|migrations)", values["role_arn"]
        )
        assert role, stage
        policy = deployment if role[1] == "lambda" else f"{deployment}-migrations"
        assert values["attach_policy"] == f"deploy/iam/{policy}.json", stage
        assert re.fullmatch(rf"{project}-zappa-\d{{12}}-{deployment}", values["s3_bucket"]), stage
        if values.get("remote_env"):
            assert values["remote_env"] == f"s3://{values['s3_bucket']}/secrets/{stage}.json", stage


def test_the_json_policy_and_the_terraform_grant_the_gateway_the_same_actions():
    def allowed(statements, prefix):
        return {a for st in statements if st.effect == "Allow" for a in st.actions if a.startswith(prefix)}

    app = terraform_documents()["app/app"]
    for stage in GATEWAY_STAGES:
        json_policy = json_statements(json.loads((ROOT / "deploy" / "iam" / f"{stage}.json").read_text()), stage)
        for service in ("bedrock:", "secretsmanager:", "sts:"):
            assert allowed(json_policy, service) == allowed(app, service), (stage, service)
        # Logs: Zappa's functions may create their /aws/lambda group; Terraform creates its group itself.
        assert allowed(app, "logs:") <= allowed(json_policy, "logs:"), stage


# Actions whose resource is the whole service (no resource-level scoping), or shared by every deployment on purpose
# (the Bedrock models): the same grant in two policies reaches nothing of either deployment's own.
SHARED = {
    "secretsmanager:ListSecrets",
    "sts:GetCallerIdentity",
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
}
SHARED_PREFIXES = ("ec2:",)  # network interfaces: Lambda creates them before they exist, nothing to name


def globs_meet(a: str, b: str) -> bool:
    """Whether some ARN matches both IAM patterns ('*' any run of characters, '?' one)."""

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*" and (meet(i + 1, j) or (j < len(b) and meet(i, j + 1))):
            return True
        if j < len(b) and b[j] == "*" and (meet(i, j + 1) or (i < len(a) and meet(i + 1, j))):
            return True
        return (
            i < len(a) and j < len(b) and "*" not in (a[i], b[j]) and (a[i] == b[j] or "?" in (a[i], b[j]))
        ) and meet(i + 1, j + 1)

    return meet(0, 0)


def grants(path) -> set[tuple[str, str]]:
    document = json.loads(path.read_text())
    return {
        (action, resource)
        for st in json_statements(document, path.stem)
        if st.effect == "Allow"
        for action in st.actions
        if action not in SHARED and not action.startswith(SHARED_PREFIXES)
        for resource in st.resources
    }


def test_no_two_deployments_policies_reach_the_same_resource():
    deployments: dict[str, set[tuple[str, str]]] = {}
    for stage in ZAPPA_SETTINGS:
        values = stage_settings(stage)
        deployment = values["aws_environment_variables"]["DEPLOYMENT_ID"]
        deployments.setdefault(deployment, set()).update(grants(ROOT / values["attach_policy"]))
    assert len(deployments) >= 3
    overlaps = [
        (one, other, action, resource, theirs)
        for one, other in itertools.combinations(sorted(deployments), 2)
        for action, resource in deployments[one]
        for their_action, theirs in deployments[other]
        if globs_meet(action, their_action) and globs_meet(resource, theirs)
    ]
    assert overlaps == []


@pytest.mark.parametrize(
    "a, b, meet",
    [
        ("arn:aws:s3:::sbc-zappa-*/secrets/*", "arn:aws:s3:::sbc-zappa-1-prod/secrets/prod.json", True),
        ("arn:aws:secretsmanager:*:*:secret:sbc/tokens/*", "arn:aws:secretsmanager:us-east-1:1:secret:sbc/*", True),
        (
            "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/sbc-dev:*",
            "arn:aws:logs:*:1:log-group:/aws/lambda/sbc-*",
            True,
        ),
        (
            "arn:aws:secretsmanager:us-east-1:1:secret:sbc/dev/tokens/*",
            "arn:aws:secretsmanager:us-east-1:1:secret:sbc/prod/tokens/*",
            False,
        ),
        (
            "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/sbc-dev:*",
            "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/sbc-devx",
            False,
        ),
    ],
)
def test_the_overlap_check_finds_what_two_patterns_share(a, b, meet):
    assert globs_meet(a, b) is meet and globs_meet(b, a) is meet


@pytest.mark.parametrize(
    "statement, problem",
    [
        ({"Action": "bedrock:*", "Resource": "*"}, "wildcard action"),
        (
            {"Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:*::foundation-model/*"},
            "bedrock:InvokeModel on",
        ),
        ({"Action": "secretsmanager:DeleteSecret", "Resource": "*"}, "secretsmanager:DeleteSecret on *"),
        ({"Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*:*:log-group:*"}, "logs:PutLogEvents on"),
        ({"Action": "s3:PutObject", "Resource": "arn:aws:s3:::sbc-zappa-x/secrets/x"}, "has no least-privilege rule"),
        (
            {"Action": "dsql:DbConnectAdmin", "Resource": "arn:aws:dsql:us-east-1:123456789012:cluster/abc"},
            "belongs to the migrations role only",
        ),
        (
            {"Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:123456789012:key/*"},
            "without the aws/ssm alias",
        ),
    ],
)
def test_the_rules_refuse_broader_grants(statement, problem):
    (found,) = violations(json_statements({"Statement": [{"Effect": "Allow", **statement}]}, "t"))
    assert problem in found
