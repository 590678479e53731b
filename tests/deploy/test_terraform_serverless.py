"""The serverless shape (deploy/terraform/examples/serverless), read without AWS or a terraform binary: what it
creates streams and idles at about $0 (no VPC, NAT, endpoints, RDS or RDS Proxy anywhere in the modules it uses), its
function is the one the cost table and the Zappa stage assume, its roles hold least privilege, and every environment
gets a token prefix of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.terraform import EXAMPLES, MODULES, blocks, labelled, locals_of, unquote
from tests.live import ROOT

EXAMPLE = EXAMPLES / "serverless"
MODULE = MODULES / "serverless"
FORBIDDEN = {"aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_vpc_endpoint", "aws_db_instance", "aws_db_proxy"}


def modules_used(directory: Path) -> list[Path]:
    """`directory` and every module it calls, directly or through another module."""
    found, pending = [], [directory.resolve()]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.append(current)
        for call in labelled(current, "module").values():
            pending.append((current / unquote(call["source"])).resolve())
    return found


def resources(directory: Path) -> list[tuple[str, str, dict]]:
    return [(kind, name, body) for _, kind, name, body in blocks(directory, "resource")]


def resource(directory: Path, kind: str, name: str) -> dict:
    (body,) = [b for k, n, b in resources(directory) if (k, n) == (kind, name)]
    return body


def test_the_example_uses_the_serverless_module_and_through_it_the_shared_one():
    used = {path.name for path in modules_used(EXAMPLE)}
    assert used == {"serverless", "app"}


def test_nothing_in_it_bills_by_the_hour():
    kinds = {kind for directory in modules_used(EXAMPLE) for kind, _, _ in resources(directory)}
    assert "aws_dsql_cluster" in kinds and "aws_lambda_function_url" in kinds
    assert kinds & FORBIDDEN == set()
    assert not kinds & {"aws_kms_key", "aws_cloudfront_distribution", "aws_security_group", "aws_elasticache_cluster"}
    text = "".join(path.read_text() for directory in modules_used(EXAMPLE) for path in directory.glob("*.tf"))
    assert "vpc_config" not in text


def test_answers_stream_through_the_function_url():
    url = resource(MODULE, "aws_lambda_function_url", "gateway")
    assert unquote(url["invoke_mode"]) == "RESPONSE_STREAM"
    assert unquote(url["authorization_type"]) == "NONE"  # the gateway checks bearer tokens itself
    permissions = [body for kind, _, body in resources(MODULE) if kind == "aws_lambda_permission"]
    assert any(
        unquote(p["action"]) == "lambda:InvokeFunctionUrl" and unquote(p["principal"]) == "*" for p in permissions
    )


def test_the_function_is_the_one_the_cost_table_and_the_zappa_stage_assume():
    example = labelled(EXAMPLE, "variable")
    assert example["memory_size"]["default"] == 320
    assert example["timeout"]["default"] == 900
    assert unquote(example["architecture"]["default"]) == "arm64"
    assert example["reserved_concurrency"]["default"] == 50
    assert unquote(example["environment"]["default"]) == "prod"
    assert [unquote(r) for r in example["bedrock_regions"]["default"]] == ["us-east-1"]
    (call,) = labelled(EXAMPLE, "module").values()
    for name in ("memory_size", "timeout", "architecture", "reserved_concurrency", "environment", "bedrock_regions"):
        assert call[name] == f"${{var.{name}}}", name
    module = labelled(MODULE, "variable")
    assert module["memory_size"]["default"] == 320 and module["timeout"]["default"] == 900
    assert unquote(module["architecture"]["default"]) == "arm64" and module["reserved_concurrency"]["default"] == 50

    gateway = resource(MODULE, "aws_lambda_function", "gateway")
    assert unquote(locals_of(MODULE)["runtime"]) == "python3.11" and gateway["runtime"] == "${local.runtime}"
    assert gateway["architectures"] == ["${var.architecture}"]
    assert gateway["memory_size"] == "${var.memory_size}" and gateway["timeout"] == "${var.timeout}"
    assert gateway["reserved_concurrent_executions"] == "${var.reserved_concurrency}"
    assert gateway["s3_bucket"] == "${var.package_bucket}" and gateway["s3_key"] == "${var.package_key}"


def test_the_web_adapter_starts_the_app_with_the_projects_gunicorn_config():
    values = {key: unquote(value) for key, value in locals_of(MODULE)["web_adapter_environment"].items()}
    assert values == {
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
        "AWS_LWA_PORT": "8080",
        "AWS_LWA_READINESS_CHECK_PATH": "/healthz",
        "AWS_LWA_INVOKE_MODE": "response_stream",
    }
    layer = locals_of(MODULE)["web_adapter_layer"]
    assert "753240598075:layer" in layer and "LambdaAdapterLayerArm64" in layer
    assert labelled(MODULE, "variable")["web_adapter_layer_version"]["default"] == 25  # adapter 0.9.1, pinned
    handler = unquote(labelled(MODULE, "variable")["handler"]["default"])
    script = (ROOT / handler).read_text()
    assert "sbcproject/gunicorn.conf.py" in script and "deploy.app_secret" in script and "AWS_LWA_PORT" in script
    assert "/healthz" in (ROOT / "sbcproject" / "health.py").read_text()


def test_the_jobs_and_migrations_run_from_the_same_zip_as_management_commands():
    jobs = resource(MODULE, "aws_lambda_function", "jobs")
    migrations = resource(MODULE, "aws_lambda_function", "migrations")
    for function in (jobs, migrations):
        assert unquote(function["handler"]) == "deploy.lambda_jobs.zappa_handler"
        assert "layers" not in function  # no Web Adapter: these take {"manage": ...} events themselves
    assert "def zappa_handler(" in (ROOT / "deploy" / "lambda_jobs.py").read_text()
    call = labelled(MODULE, "module")["app"]
    assert call["lambda_jobs"] is True and call["jobs_function_arn"] == "${aws_lambda_function.jobs.arn}"
    assert jobs["role"] == "${aws_iam_role.gateway.arn}" and migrations["role"] == "${aws_iam_role.migrations.arn}"


def policy_actions(directory: Path, name: str) -> set[str]:
    """Every action an aws_iam_policy_document grants, its dynamic statements included (the least-privilege test
    checks their resources)."""
    (body,) = [b for _, kind, n, b in blocks(directory, "data") if (kind, n) == ("aws_iam_policy_document", name)]
    statements = list(body.get("statement", []))
    for dynamic in body.get("dynamic", []):
        for label, block in dynamic.items():
            if unquote(label) == "statement":
                statements.extend(block["content"])
    return {unquote(action) for st in statements for action in st["actions"]}


def test_the_app_signs_in_to_dsql_as_its_own_role_and_only_migrations_as_the_admin():
    values = locals_of(MODULE)
    assert unquote(values["database_url"]) == "dsql://${var.db_user}@${local.dsql_endpoint}/postgres"
    assert unquote(values["admin_url"]) == "dsql://admin@${local.dsql_endpoint}/postgres"
    assert unquote(labelled(MODULE, "variable")["db_user"]["default"]) == "sbc_app"
    migrations = resource(MODULE, "aws_lambda_function", "migrations")
    assert "DATABASE_URL = local.admin_url" in migrations["environment"][0]["variables"]
    # The same scheme the settings read.
    assert 'DB_SCHEMES["dsql"] = "aurora_dsql_django"' in (ROOT / "sbcproject" / "settings.py").read_text()
    app_actions = policy_actions(MODULES / "app", "app")
    migration_actions = policy_actions(MODULE, "migrations")
    assert "dsql:DbConnect" in app_actions and "dsql:DbConnectAdmin" not in app_actions
    assert "dsql:DbConnectAdmin" in migration_actions and not any(a.startswith("bedrock:") for a in migration_actions)
    assert "ssm:GetParameter" in app_actions and "ssm:GetParameter" in migration_actions


def test_the_secret_key_lives_in_one_ssm_securestring_read_at_start():
    call = labelled(MODULE, "module")["app"]
    assert unquote(call["secret_store"]) == "ssm"
    parameter = resource(MODULES / "app", "aws_ssm_parameter", "app")
    assert unquote(parameter["type"]) == "SecureString" and unquote(parameter["tier"]) == "Standard"
    secret_environment = locals_of(MODULES / "app")["app_secret_environment"]
    assert "SBC_APP_SECRET_PARAMETER" in str(secret_environment)
    assert "SBC_APP_SECRET_PARAMETER" in (ROOT / "deploy" / "app_secret.py").read_text()
    assert not re.search(r"DJANGO_SECRET_KEY\s*=", "".join(path.read_text() for path in MODULE.glob("*.tf")))


def test_a_custom_domain_goes_through_api_gateway_rest_in_stream_mode():
    integration = resource(MODULE, "aws_api_gateway_integration", "any")
    assert unquote(integration["response_transfer_mode"]) == "STREAM"
    assert unquote(integration["type"]) == "AWS_PROXY"
    assert integration["uri"] == "${local.streaming_invoke_uri}"
    assert "/response-streaming-invocations" in str(locals_of(MODULE)["streaming_invoke_uri"])
    assert "path/2021-11-15/functions/" in str(locals_of(MODULE)["streaming_invoke_uri"])


def test_logs_are_kept_for_a_while_and_the_budget_alarm_is_optional():
    log_group = resource(MODULES / "app", "aws_cloudwatch_log_group", "this")
    assert log_group["retention_in_days"] == "${var.log_retention_days}"
    assert labelled(MODULE, "variable")["log_retention_days"]["default"] >= 30
    budget = resource(MODULE, "aws_budgets_budget", "monthly")
    assert budget["count"] == "${var.monthly_budget_usd == null ? 0 : 1}"
    assert labelled(MODULE, "variable")["monthly_budget_usd"]["default"] is None


def default_prefix(environment: str, name: str = "sbc") -> str:
    """modules/app's default SECRET_PREFIX, as Terraform computes it."""
    template = locals_of(MODULES / "app")["secret_prefix"]
    match = re.fullmatch(r'\$\{coalesce\(var\.secret_prefix, "(.*)"\)\}', template)
    assert match, template
    return match.group(1).replace("${var.name}", name).replace("${var.environment}", environment)


@pytest.mark.parametrize("shape", ["ecs", "lambda", "serverless"])
def test_each_environment_gets_its_own_token_prefix_and_deployment_id(shape):
    assert default_prefix("dev") == "sbc/dev/tokens/" and default_prefix("prod") == "sbc/prod/tokens/"
    assert labelled(MODULES / shape, "variable")["secret_prefix"]["default"] is None
    call = labelled(MODULES / shape, "module")["app"]
    assert call["environment"] == "${var.environment}" and call["secret_prefix"] == "${var.secret_prefix}"
    for example in EXAMPLES.iterdir():
        assert "secret_prefix" not in labelled(example, "module")["gateway"], example.name
    app = locals_of(MODULES / "app")
    assert app["deployment_id"] == "${coalesce(var.deployment_id, var.environment)}"
    assert "DEPLOYMENT_ID = local.deployment_id" in str(app["environment"]).replace('"', "")
