"""`zappa package` builds the Lambda package offline, with everything the service needs and nothing secret."""

from __future__ import annotations

import json
import re
import zipfile

from tests.deploy.conftest import ZAPPA_SETTINGS, stage_settings

# Lambda: 250 MB unzipped (code and layers); Zappa warns above 50 MB zipped and suggests slim_handler.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
ZAPPA_SLIM_THRESHOLD = 50 * 1024 * 1024


def names(package) -> set[str]:
    with zipfile.ZipFile(package) as archive:
        return set(archive.namelist())


def test_it_builds_a_package_with_the_handler_the_settings_templates_and_static_files(lambda_package):
    files = names(lambda_package)
    assert {"handler.py", "zappa_settings.py", "django_zappa_app.py", "manage.py"} <= files
    assert {"sbcproject/settings.py", "sbcproject/wsgi.py", "sbcproject/scheduled.py", "gateway/urls.py"} <= files
    assert "staticfiles/staticfiles.json" in files
    assert any(re.fullmatch(r"staticfiles/admin/css/base\.[0-9a-f]{12}\.css", name) for name in files)
    assert "django/contrib/admin/templates/admin/login.html" in files
    assert any(name.startswith("zappa/") for name in files) and any(name.startswith("whitenoise/") for name in files)


def test_the_package_stays_within_lambda_limits_without_slim_handler(lambda_package):
    with zipfile.ZipFile(lambda_package) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    assert lambda_package.stat().st_size < ZAPPA_SLIM_THRESHOLD
    assert unzipped < LAMBDA_UNZIPPED_LIMIT
    assert stage_settings()["slim_handler"] is False


def test_it_leaves_out_tests_local_data_and_test_only_packages(lambda_package):
    tops = {name.split("/")[0] for name in names(lambda_package)}
    for unwanted in (
        "tests",
        "db.sqlite3",
        ".run",
        ".venv",
        ".tools",
        ".git",
        "artifacts",
        "moto",
        "playwright",
        "pytest",
        "_pytest",
        "hypothesis",
        "openai",
        "anthropic",
        "sympy",
        "troposphere",
        "bedrock_emulator",
        "uvloop",  # the ASGI server's parts: Lambda serves the WSGI application
        "httptools",
        "uvicorn_worker",
    ):
        assert unwanted not in tops, unwanted


def test_the_generated_handler_settings_never_log_events_or_carry_secrets(lambda_package):
    with zipfile.ZipFile(lambda_package) as archive:
        generated = archive.read("zappa_settings.py").decode()
    # DEBUG=True makes Zappa log every raw event, Authorization header and prompt included.
    assert "DEBUG=False" in generated
    assert "LOG_LEVEL='WARNING'" in generated
    assert "DJANGO_SETTINGS='sbcproject.settings'" in generated
    assert "REMOTE_ENV='s3://" in generated
    for secret in ("SECRET_KEY", "DATABASE_URL", "PASSWORD", "postgres://"):
        assert secret not in generated


def test_every_stage_is_configured_safely():
    for stage in ZAPPA_SETTINGS:
        settings = stage_settings(stage)
        assert settings["debug"] is False and settings["log_level"] in ("INFO", "WARNING", "ERROR")
        assert settings["manage_roles"] is False and settings["role_arn"].startswith("arn:aws:iam::")
        assert settings["runtime"] == "python3.11"
        assert not settings.get("environment_variables"), "use aws_environment_variables or remote_env"
        variables = settings["aws_environment_variables"]
        assert all(isinstance(value, str) for value in variables.values())
        assert not {"DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_SECRET_KEY_FALLBACKS"} & set(variables)
        assert not {"AWS_REGION", "AWS_ACCESS_KEY_ID"} & set(variables), "reserved by Lambda"
        assert variables["DJANGO_DEBUG"] == "false"
        # A function URL can run up to Lambda's 15 minutes; API Gateway REST stops waiting at 29 s.
        if settings.get("apigateway_enabled", True):
            assert settings["timeout_seconds"] <= 30
        else:
            assert settings["function_url_enabled"] and 30 < settings["timeout_seconds"] <= 900


def test_the_iam_policy_is_least_privilege():
    from tests.live import ROOT

    policy = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())
    actions = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert {
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
        "secretsmanager:GetSecretValue",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sts:GetCallerIdentity",
    } <= actions
    assert not [action for action in actions if action.endswith(":*") or action == "*"]
    for statement in policy["Statement"]:
        if any(
            action.startswith("secretsmanager:") and action != "secretsmanager:ListSecrets"
            for action in statement["Action"]
        ):
            assert statement["Resource"] == "arn:aws:secretsmanager:*:*:secret:sbc/tokens/*"
