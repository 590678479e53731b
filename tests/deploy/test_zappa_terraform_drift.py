"""The Zappa serverless stages and the Terraform serverless shape deploy the same functions: the gateway under the
Web Adapter (sbc-<deployment>), its scheduled jobs (-jobs) and its migrations (-migrations). Read without Terraform
(python-hcl2) and compared setting by setting, with Terraform's names filled in for the Zappa deployment, so a
change to one that the other lacks fails here, as the IAM rules do in test_least_privilege."""

from __future__ import annotations

import ast
import json
import re

import pytest

from tests.deploy.conftest import stage_settings
from tests.deploy.terraform import EXAMPLES, MODULES, blocks, labelled, locals_of, unquote
from tests.deploy.test_least_privilege import json_statements, terraform_documents
from tests.live import ROOT

SERVERLESS = MODULES / "serverless"
WEB, JOBS, MIGRATIONS = "serverless", "serverless-jobs", "serverless-migrations"
FUNCTIONS = {"gateway": WEB, "jobs": JOBS, "migrations": MIGRATIONS}  # Terraform resource -> Zappa stage


def zappa(stage: str) -> dict:
    return stage_settings(stage)


def env(stage: str) -> dict[str, str]:
    return zappa(stage)["aws_environment_variables"]


def defaults(directory) -> dict:
    return {name: unquote(body.get("default")) for name, body in labelled(directory, "variable").items()}


def functions() -> dict[str, dict]:
    return {name: body for _, kind, name, body in blocks(SERVERLESS, "resource") if kind == "aws_lambda_function"}


def references() -> dict[str, str]:
    """What Terraform's expressions stand for in the Zappa deployment (its names, region and DSQL cluster)."""
    web = zappa(WEB)
    host = re.fullmatch(r"dsql://[^@]+@([a-z0-9]+)\.dsql\.([a-z0-9-]+)\.on\.aws/postgres", env(WEB)["DATABASE_URL"])
    assert host, env(WEB)["DATABASE_URL"]
    variables = defaults(SERVERLESS)
    return {
        "var.name": web["project_name"],
        "var.environment": env(WEB)["DEPLOYMENT_ID"],
        "local.region": web["aws_region"],
        "local.partition": "aws",
        "var.db_user": variables["db_user"],
        "aws_dsql_cluster.this.identifier": host[1],
        "var.architecture": variables["architecture"],
        "tostring(var.web_adapter_layer_version)": str(variables["web_adapter_layer_version"]),
        "var.web_adapter_layer_version": str(variables["web_adapter_layer_version"]),
        "var.handler": variables["handler"],
    }


def render(template: str, local_values: dict[str, str] | None = None) -> str:
    """A Terraform string with its ${...} references replaced, locals first, until none is left."""
    refs = references()
    text = unquote(template)
    for _ in range(5):
        text = re.sub(
            r"\$\{([^{}]+)\}",
            lambda m: (local_values or {}).get(m[1].strip()) or refs.get(m[1].strip()) or m[0],
            text,
        )
    assert "${" not in text, text
    return text


def serverless_locals() -> dict[str, str]:
    raw = locals_of(SERVERLESS)
    values = {"local.dsql_endpoint": render(raw["dsql_endpoint"])}
    values["local.full_name"] = render('"${var.name}-${var.environment}"')
    for name in ("database_url", "admin_url", "runtime"):
        values[f"local.{name}"] = render(raw[name], values)
    return values


def app_default(name: str) -> str:
    """modules/app's coalesce(var.x, "<default>") for a local, rendered."""
    expression = locals_of(MODULES / "app")[name]
    match = re.fullmatch(r"\$\{coalesce\(var\.\w+, (.+)\)\}", expression)
    default = match[1] if match else expression
    return render(default if default.startswith('"') else f"${{{default}}}")


def test_the_three_functions_have_the_same_names_handlers_and_sizes():
    local = serverless_locals()
    module, example = defaults(SERVERLESS), defaults(EXAMPLES / "serverless")
    for key in ("memory_size", "timeout", "architecture", "reserved_concurrency"):
        assert example[key] == module[key], f"the example's {key} default differs from the module's"
    for resource, stage in FUNCTIONS.items():
        body, settings = functions()[resource], zappa(stage)
        project, name = settings["project_name"], stage.replace(WEB, env(WEB)["DEPLOYMENT_ID"])
        assert render(body["function_name"], local) == f"{project}-{name}", resource
        assert render(body["handler"], local) == settings["lambda_handler"], resource
        assert render(body["runtime"], local) == settings["runtime"], resource
        assert [render(a, local) for a in body["architectures"]] == [settings["architecture"]], resource
        memory = body["memory_size"] if isinstance(body["memory_size"], int) else module["memory_size"]
        assert memory == settings["memory_size"], resource
        timeout = body["timeout"] if isinstance(body["timeout"], int) else module["timeout"]
        assert timeout == settings["timeout_seconds"], resource
        reserved = body["reserved_concurrent_executions"]
        reserved = reserved if isinstance(reserved, int) else module["reserved_concurrency"]
        assert reserved == settings["lambda_concurrency"], resource
        # Neither shape puts a function in a VPC: Bedrock, DSQL, SSM and CloudWatch are public endpoints.
        assert "vpc_config" not in body and not settings.get("vpc_config"), resource


def test_the_web_adapter_is_the_same_layer_and_settings():
    raw, local = locals_of(SERVERLESS), serverless_locals()
    (prefix,) = re.findall(r'"(arn:[^"]+:layer)"', raw["web_adapter_layer"])
    arch = "LambdaAdapterLayerArm64" if references()["var.architecture"] == "arm64" else "LambdaAdapterLayerX86"
    assert f'"{arch}"' in raw["web_adapter_layer"]
    expected = ":".join([render(prefix, local), arch, references()["var.web_adapter_layer_version"]])
    assert zappa(WEB)["layers"] == [expected]
    adapter = {key: unquote(value) for key, value in raw["web_adapter_environment"].items()}
    assert {key: value for key, value in env(WEB).items() if key.startswith(("AWS_LWA_", "AWS_LAMBDA_"))} == adapter
    for stage in (JOBS, MIGRATIONS):
        assert not zappa(stage)["layers"], "the jobs functions take their events from Zappa's handler, not the adapter"
    for key in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
        (value,) = re.findall(rf'\b{key} = "([^"]+)"', raw["environment"])
        assert env(WEB)[key] == value, key


def test_the_app_settings_that_keep_deployments_apart_are_the_same():
    local = serverless_locals()
    bodies = functions()
    for resource, stage in FUNCTIONS.items():
        variables = env(stage)
        assert variables["SECRET_PREFIX"] == app_default("secret_prefix"), stage
        assert variables["DEPLOYMENT_ID"] == app_default("deployment_id"), stage
        assert variables["SBC_APP_SECRET_PARAMETER"] == render(locals_of(MODULES / "app")["parameter_name"]), stage
        url = local["local.admin_url"] if "admin_url" in str(bodies[resource]["environment"]) else None
        assert variables["DATABASE_URL"] == (url or local["local.database_url"]), stage
    assert env(MIGRATIONS)["DATABASE_URL"].startswith("dsql://admin@")


def test_the_scheduled_jobs_run_the_same_commands_on_the_same_schedules():
    tree = ast.parse((ROOT / "sbcproject" / "scheduled.py").read_text())
    command_of = {
        f"sbcproject.scheduled.{node.name}": call.args[0].value
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "call_command"
    }
    terraform = {
        (unquote(job["command"]), unquote(job["schedule"])) for job in locals_of(MODULES / "app")["all_jobs"].values()
    }
    events = {(command_of[event["function"]], event["expression"]) for event in zappa(JOBS)["events"]}
    assert events == terraform
    assert not zappa(WEB)["events"] and not zappa(MIGRATIONS)["events"]


def test_the_function_url_streams_in_both_and_the_docs_carry_the_one_command_zappa_lacks():
    (url,) = [body for _, kind, _, body in blocks(SERVERLESS, "resource") if kind == "aws_lambda_function_url"]
    assert unquote(url["invoke_mode"]) == "RESPONSE_STREAM" and unquote(url["authorization_type"]) == "NONE"
    web = zappa(WEB)
    assert web["function_url_enabled"] and web["function_url_config"]["authorizer"] == "NONE"
    # Zappa 0.63 never sets InvokeMode (the URL is created BUFFERED): docs/zappa.md says how, once per URL.
    name = f"{web['project_name']}-{WEB}"
    command = f"aws lambda update-function-url-config --function-name {name} --invoke-mode RESPONSE_STREAM"
    assert command in (ROOT / "docs" / "zappa.md").read_text()


# kms:Decrypt: Terraform grants it on aws/ssm through SSM only; the Zappa policies leave it out, since aws/ssm's own
# key policy already lets every principal of the account decrypt through Parameter Store (AWS's Parameter Store
# guide, "Restricting decryption of SecureString parameter values"). Logs: Zappa's functions log to their
# /aws/lambda group, Terraform's to the app's log group (Zappa cannot set a function's log group).
COMPARED = ("bedrock:", "secretsmanager:", "sts:", "ssm:", "dsql:")


@pytest.mark.parametrize("terraform, stage", [("app/app", WEB), ("serverless/migrations", MIGRATIONS)])
def test_the_roles_grant_the_same_actions(terraform, stage):
    def allowed(statements) -> set[str]:
        return {a for st in statements if st.effect == "Allow" for a in st.actions if a.startswith(COMPARED)}

    ours = json_statements(json.loads((ROOT / zappa(stage)["attach_policy"]).read_text()), stage)
    theirs = terraform_documents()[terraform]
    if terraform == "app/app":
        # modules/app's optional statements this shape does not switch on: the Secrets Manager app secret
        # (secret_store = "ssm" here) adds an action the token mirror already holds.
        assert 'secret_store                  = "ssm"' in (SERVERLESS / "main.tf").read_text()
    assert allowed(ours) == allowed(theirs)
    assert zappa(JOBS)["attach_policy"] == zappa(WEB)["attach_policy"], "the jobs share the gateway's role"
