"""deploy/terraform checked without AWS or a terraform binary: every file parses, every variable and output is
documented, the examples fill in what the modules need, the settings are the product's own, and checkov's static
scan passes with every skip explained where it is made."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.deploy.terraform import (
    EXAMPLES,
    MODULES,
    TERRAFORM,
    blocks,
    checkov_skips,
    labelled,
    locals_of,
    parse,
    tf_files,
    unquote,
)
from tests.live import ROOT

CHECKOV = ROOT / ".build" / "checkov" / "bin" / "checkov"
SHAPES = ("ecs", "lambda", "serverless")


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_terraform_file_parses(path):
    assert isinstance(parse(path), dict)


def test_each_module_and_example_declares_its_versions_and_documents_its_interface():
    directories = [d for d in (*MODULES.iterdir(), *EXAMPLES.iterdir()) if d.is_dir()]
    assert {d.name for d in MODULES.iterdir()} >= {
        *SHAPES,
        "app",
        "foundation",
        "database",
        "redis",
        "endpoints",
        "waf",
    }
    for directory in directories:
        assert (directory / "versions.tf").exists(), directory
        for name, variable in labelled(directory, "variable").items():
            assert unquote(variable.get("description", "")).strip(), f"{directory.name}: variable {name}"
            assert "type" in variable, f"{directory.name}: variable {name}"
        for name, output in labelled(directory, "output").items():
            assert unquote(output.get("description", "")).strip(), f"{directory.name}: output {name}"


def tfvars(shape: str) -> dict:
    import hcl2

    values = hcl2.loads((EXAMPLES / shape / "terraform.tfvars.example").read_text())
    return {key: value for key, value in values.items() if key != "__comments__"}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_example_tfvars_sets_every_required_variable_and_nothing_unknown(shape):
    variables = labelled(EXAMPLES / shape, "variable")
    values = tfvars(shape)
    assert set(values) <= set(variables)
    assert {name for name, v in variables.items() if "default" not in v} <= set(values)
    # The example passes only what the module declares, and everything the module requires.
    (call,) = labelled(EXAMPLES / shape, "module").values()
    module_variables = labelled(MODULES / shape, "variable")
    passed = set(call) - {"source", "providers", "__is_block__"}
    assert passed <= set(module_variables)
    assert {name for name, v in module_variables.items() if "default" not in v} <= passed


@pytest.mark.parametrize("shape", SHAPES)
def test_the_outputs_give_the_base_url_and_the_log_group(shape):
    assert {"base_url", "log_group_name", "run_management_command"} <= set(labelled(EXAMPLES / shape, "output"))


def environment_names(shape: str) -> set[str]:
    """The settings a shape gives the app: its own and those every shape shares (modules/app)."""
    shape_locals = locals_of(MODULES / shape)
    text = shape_locals["environment"] + locals_of(MODULES / "app")["environment"]
    names = set(re.findall(r"\b([A-Z][A-Z0-9_]{2,})\s*=", text))
    if "module.app.app_secret_environment" in shape_locals["environment"]:
        names |= set(re.findall(r"\b([A-Z][A-Z0-9_]{2,})\s*=", locals_of(MODULES / "app")["app_secret_environment"]))
    return names


@pytest.mark.parametrize("shape", SHAPES)
def test_the_functions_and_tasks_get_the_products_own_settings_and_no_secret(shape):
    known = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    known |= set(re.findall(r'"([A-Z][A-Z0-9_]+)"', (ROOT / "sbcproject" / "settings.py").read_text()))
    known |= set(re.findall(r'"([A-Z][A-Z0-9_]+)"', (ROOT / "deploy" / "app_secret.py").read_text()))
    names = environment_names(shape)
    assert {"DJANGO_ALLOWED_HOSTS", "BEDROCK_REGIONS", "SECRETS_MIRROR", "SECRET_PREFIX", "DEPLOYMENT_ID"} <= names
    assert names <= known, names - known
    secrets = {"DJANGO_SECRET_KEY", "REDIS_URL", "DJANGO_SECRET_KEY_FALLBACKS", "ORIGIN_VERIFY_HEADER_VALUE"}
    assert not names & secrets
    if shape == "serverless":
        # DSQL has no password: the role's IAM token signs in, so DATABASE_URL is a plain setting there.
        assert (
            unquote(locals_of(MODULES / shape)["database_url"])
            == "dsql://${var.db_user}@${local.dsql_endpoint}/postgres"
        )
    else:
        assert "DATABASE_URL" not in names


def test_the_task_definition_takes_its_secrets_from_secrets_manager():
    ecs = "".join(p.read_text() for p in (MODULES / "ecs").glob("*.tf"))
    assert re.search(r'secret_keys\s+= concat\(\["DJANGO_SECRET_KEY", "DATABASE_URL"\]', ecs)
    assert 'valueFrom = "${module.app.app_secret_arn}:${key}::"' in ecs
    assert 'secret_store = "secretsmanager"' in ecs
    assert "readonlyRootFilesystem = true" in ecs


def test_the_load_balancer_outlasts_agent_streams_and_gunicorn_outlasts_the_load_balancer():
    idle = labelled(MODULES / "ecs", "variable")["idle_timeout"]
    assert idle["default"] >= 900
    ecs = locals_of(MODULES / "ecs")["environment"]
    assert "GUNICORN_KEEPALIVE = tostring(var.idle_timeout + 5)" in ecs
    (lb,) = [body for _, kind, _, body in blocks(MODULES / "ecs", "resource") if kind == "aws_lb"]
    assert lb["idle_timeout"] == "${var.idle_timeout}"


def test_the_scheduled_jobs_are_zappas_events():
    zappa = json.loads((ROOT / "zappa_settings.json").read_text())["dev"]["events"]
    scheduled = (ROOT / "sbcproject" / "scheduled.py").read_text()
    expected = {}
    for event in zappa:
        function = event["function"].rsplit(".", 1)[1]
        (command,) = re.findall(rf'def {function}\(.*?call_command\("([a-z_]+)"\)', scheduled, re.S)
        expected[command] = event["expression"]
    jobs = locals_of(MODULES / "app")["all_jobs"]
    assert {unquote(job["command"]): unquote(job["schedule"]) for job in jobs.values()} == expected


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_schedules_the_shared_jobs(shape):
    text = "".join(path.read_text() for path in (MODULES / shape).glob("*.tf"))
    # The Lambda shapes let modules/app's EventBridge rules invoke their jobs function; ECS runs them as tasks.
    assert re.search(r"lambda_jobs\s+= true", text) or (
        "jobs = module.app.jobs" in text and re.search(r"for_each\s+= local\.jobs", text)
    ), shape


def test_the_lambda_shapes_stream_with_the_image_and_buffer_with_the_zip():
    lambda_main = (MODULES / "lambda" / "main.tf").read_text()
    assert 'invoke_mode = local.zip ? "BUFFERED" : "RESPONSE_STREAM"' in lambda_main
    assert 'handler                        = local.zip ? "handler.lambda_handler" : null' in lambda_main
    assert "proxy_enabled             = true" in lambda_main  # RDS Proxy for Lambda


def test_the_alarms_watch_log_events_the_gateway_writes():
    metrics = locals_of(MODULES / "app")["metrics"]
    patterns = [unquote(metric["pattern"]).replace('\\"', '"') for metric in metrics.values()]
    assert len(patterns) == 4
    views = (ROOT / "gateway" / "views" / "base.py").read_text()
    metering = (ROOT / "usage" / "metering.py").read_text()
    throttle = (ROOT / "tokens" / "throttle.py").read_text()
    assert '$.event = "auth_failure"' in patterns[0] and re.search(r'event_emit\(\s*"auth_failure"', views)
    assert re.search(r'event_emit\(\s*"response",.*?\bstatus=status', metering, re.S)
    assert any("$.status >= 500" in p for p in patterns) and any("$.status = 429" in p for p in patterns)
    assert "failed authentications: refused" in patterns[1] and "failed authentications: refused" in throttle


def test_every_checkov_skip_says_why():
    skips = checkov_skips()
    assert skips, "the scan's exceptions are written next to the resource they concern"
    for path, line, check, reason in skips:
        where = f"{path.relative_to(TERRAFORM)}:{line}"
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), where
        assert len(reason) >= 30, f"{where}: {check} needs a reason"


def test_the_static_security_scan_passes():
    if not CHECKOV.exists():
        pytest.skip("checkov is not installed: `make test` installs it into .build/checkov (it needs PyPI)")
    result = subprocess.run(
        [str(CHECKOV), "-d", str(TERRAFORM), "--framework", "terraform", "--output", "json", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']} {c['file_path']}" for c in report["results"]["failed_checks"]]
    assert failed == [] and summary["parsing_errors"] == 0, failed
    assert summary["passed"] > 300
    # Every skip checkov applied is one of the written, explained ones.
    written = {check for _, _, check, _ in checkov_skips()}
    for skipped in report["results"].get("skipped_checks", []):
        reason = skipped["check_result"].get("suppress_comment", "")
        assert skipped["check_id"] in written and len(reason) >= 30, skipped["check_id"]


def test_the_hardening_table_names_what_the_terraform_creates():
    docs = (ROOT / "docs" / "deploy.md").read_text()
    table = docs.split("### The hardening checklist, resource by resource", 1)[1].split("\n\n", 2)[1]
    checklist = [
        "throttling per IP",
        "WAF",
        "rotation",
        "alarms for authentication failures",
        "models",
        "VPC endpoints",
    ]
    assert [item for item in checklist if item not in table] == []
    terraform = "".join(path.read_text() for path in tf_files())
    for name in ("RatePerClientAddress", "AuthFailures", "AddressesHeldOff", "ServerErrors", "Throttled"):
        assert name in table and name in terraform, name
    assert docs.index("terraform apply") < docs.index("zappa deploy") and docs.index("terraform apply") < docs.index(
        "sam build"
    )
