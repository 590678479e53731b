"""`zappa package` builds the Lambda package offline, with everything the service needs and nothing secret."""

from __future__ import annotations

import json
import re
import zipfile

from tests.deploy.conftest import ZAPPA_SETTINGS, stage_settings
from tests.live import ROOT

# Lambda: 250 MB unzipped, code and layers together (the Web Adapter's layer is about 5 MB; room is kept for it).
# A zip over 50 MB cannot be uploaded directly, but Zappa and Terraform both deploy it from S3, where only the
# unzipped size counts; Zappa still prints its advice to use slim_handler above 50 MB.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
LAYER_ROOM = 20 * 1024 * 1024


def names(package) -> set[str]:
    with zipfile.ZipFile(package) as archive:
        return set(archive.namelist())


def test_it_builds_a_package_with_the_handler_the_settings_templates_and_static_files(lambda_package):
    files = names(lambda_package)
    assert {"handler.py", "zappa_settings.py", "django_zappa_app.py", "manage.py"} <= files
    assert {"sbcproject/settings.pyc", "sbcproject/wsgi.pyc", "sbcproject/scheduled.pyc", "gateway/urls.pyc"} <= files
    assert "staticfiles/staticfiles.json" in files
    assert "deploy/cost/prices.toml" in files, "the admin prices the Secrets Manager mirror from it"
    assert any(re.fullmatch(r"staticfiles/admin/css/base\.[0-9a-f]{12}\.css", name) for name in files)
    assert "django/contrib/admin/templates/admin/login.html" in files
    assert any(name.startswith("zappa/") for name in files) and any(name.startswith("whitenoise/") for name in files)


def test_the_package_stays_within_lambda_limits_without_slim_handler(lambda_package):
    with zipfile.ZipFile(lambda_package) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    assert unzipped < LAMBDA_UNZIPPED_LIMIT - LAYER_ROOM
    assert stage_settings()["slim_handler"] is False
    assert stage_settings()["s3_bucket"], "deployed from S3, where a zip may be over 50 MB"


def test_the_package_carries_bytecode_so_a_cold_start_compiles_nothing(lambda_package):
    """/var/task is read-only: a module shipped as source is compiled again at every cold start."""
    files = names(lambda_package)
    for module in ("django/db/models/query", "rest_framework/views", "gateway/views/chat", "sbcproject/settings"):
        assert f"{module}.pyc" in files and f"{module}.py" not in files, module
    assert "sbcproject/gunicorn.conf.py" in files, "gunicorn reads its config file as source"
    assert "gateway/migrations/0001_initial.py" in files, "migrations keep their sources"


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
        "mypy",
        "ruff",
    ):
        assert unwanted not in tops, unwanted
    # Django's translation sources: the compiled catalogues (.mo) are what runs.
    assert not [name for name in names(lambda_package) if name.endswith(".po")]


def test_it_holds_what_the_streaming_stage_starts_under_the_web_adapter(lambda_package):
    """run.sh at the root (Zappa marks every file executable), the start module that reads the app secret, the
    jobs stages' handler, and the ASGI server gunicorn runs: every stage packs the same project and libraries."""
    files = names(lambda_package)
    assert "run.sh" in files
    assert {"deploy/__init__.pyc", "deploy/app_secret.pyc", "deploy/lambda_jobs.pyc"} <= files
    assert {"sbcproject/gunicorn.conf.py", "sbcproject/asgi.pyc", "sbcproject/asgi_worker.pyc"} <= files
    tops = {name.split("/")[0] for name in files}
    assert {"gunicorn", "uvicorn", "uvicorn_worker", "uvloop", "httptools"} <= tops
    # The deploy recipes stay out: nothing of Terraform, the IAM documents or the SAM template rides along.
    assert not [name for name in files if name.startswith(("deploy/terraform", "deploy/iam")) or name.endswith(".yaml")]
    with zipfile.ZipFile(lambda_package) as archive:
        assert (archive.getinfo("run.sh").external_attr >> 16) & 0o111


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
        assert not {"DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FALLBACKS", "REDIS_URL"} & set(variables), stage
        # A DSQL address names a database user, never a password: the IAM token made per connection is the credential.
        assert re.fullmatch(
            r"dsql://[a-z_]+@[a-z0-9]+\.dsql\.[a-z0-9-]+\.on\.aws/postgres",
            variables.get("DATABASE_URL", "dsql://a@b.dsql.c.on.aws/postgres"),
        )
        assert not {"AWS_REGION", "AWS_ACCESS_KEY_ID"} & set(variables), "reserved by Lambda"
        assert variables["DJANGO_DEBUG"] == "false"
        # The secret key comes from remote_env (Zappa's handler) or from the app secret read at start.
        assert bool(settings.get("remote_env")) != bool(variables.get("SBC_APP_SECRET_PARAMETER")), stage
        # A function URL can run up to Lambda's 15 minutes; API Gateway REST stops waiting at 29 s.
        if settings.get("apigateway_enabled", True):
            assert settings["timeout_seconds"] <= 30
        elif settings.get("function_url_enabled"):
            assert 30 < settings["timeout_seconds"] <= 900
        # Each deployment keeps its token secrets apart (finding 1: two deployments revoked each other's tokens).
        deployment = variables["DEPLOYMENT_ID"]
        assert variables["SECRET_PREFIX"] == f"{settings['project_name']}/{deployment}/tokens/", stage


def test_the_streaming_stage_runs_under_the_web_adapter_outside_any_vpc():
    settings = stage_settings("serverless")
    variables = settings["aws_environment_variables"]
    assert settings["architecture"] == "arm64" and settings["memory_size"] == 320 and settings["timeout_seconds"] == 900
    assert settings["lambda_handler"] == "run.sh" and not settings.get("vpc_config")
    (layer,) = settings["layers"]
    assert re.fullmatch(r"arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:\d+", layer)
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert variables["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert variables["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"
    assert settings["function_url_enabled"] and not settings["apigateway_enabled"]
    assert settings["function_url_config"]["authorizer"] == "NONE"
    assert settings["lambda_concurrency"] >= 1, "reserved concurrency caps what a runaway client can cost"
    # The Web Adapter owns every invocation, so the scheduled jobs and `zappa manage` go to the jobs stages.
    assert not settings["events"] and not settings.get("keep_warm")
    assert (ROOT / "run.sh").stat().st_mode & 0o111


def test_the_jobs_and_migrations_stages_use_zappas_handler_with_the_secret_read_first():
    web = stage_settings("serverless")
    jobs, migrations = stage_settings("serverless-jobs"), stage_settings("serverless-migrations")
    for stage in (jobs, migrations):
        assert stage["lambda_handler"] == "deploy.lambda_jobs.zappa_handler"
        assert not stage["layers"] and not stage["function_url_enabled"]
        assert not {key for key in stage["aws_environment_variables"] if key.startswith(("AWS_LWA_", "AWS_LAMBDA_"))}
        for key in ("DEPLOYMENT_ID", "SECRET_PREFIX", "SBC_APP_SECRET_PARAMETER"):
            assert stage["aws_environment_variables"][key] == web["aws_environment_variables"][key], key
    assert {(event["function"], event["expression"]) for event in jobs["events"]} == {
        ("sbcproject.scheduled.sync_secrets", "rate(15 minutes)"),
        ("sbcproject.scheduled.purge_responses", "cron(41 * * * ? *)"),
        ("sbcproject.scheduled.reap_reservations", "cron(47 */6 * * ? *)"),
        ("sbcproject.scheduled.clear_sessions", "cron(17 3 * * ? *)"),
    }
    assert not migrations["events"]
    # The jobs connect as the app's database role, like the gateway; only the migrations function as the admin.
    assert jobs["aws_environment_variables"]["DATABASE_URL"] == web["aws_environment_variables"]["DATABASE_URL"]
    assert migrations["aws_environment_variables"]["DATABASE_URL"].startswith("dsql://admin@")
    assert not web["aws_environment_variables"]["DATABASE_URL"].startswith("dsql://admin@")


def test_each_stage_has_an_iam_policy_of_its_own_that_is_least_privilege():
    for stage in ZAPPA_SETTINGS:
        settings = stage_settings(stage)
        policy = json.loads((ROOT / settings["attach_policy"]).read_text())
        actions = {action for statement in policy["Statement"] for action in statement["Action"]}
        assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= actions, stage
        # The token mirror for the functions that serve requests or run sync_secrets; the migrations need none of it.
        if settings.get("lambda_handler") != "deploy.lambda_jobs.zappa_handler" or settings["events"]:
            assert {"secretsmanager:GetSecretValue", "sts:GetCallerIdentity"} <= actions, stage
        assert not [action for action in actions if action.endswith(":*") or action == "*"]
        prefix = settings["aws_environment_variables"]["SECRET_PREFIX"]
        for statement in policy["Statement"]:
            if any(
                action.startswith("secretsmanager:") and action != "secretsmanager:ListSecrets"
                for action in statement["Action"]
            ):
                assert statement["Resource"] == f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{prefix}*"
