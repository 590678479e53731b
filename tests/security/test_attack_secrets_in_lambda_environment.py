"""Finding 14: secrets in plain Lambda environment variables. The SAM template resolved the secret key and
DATABASE_URL (with its password) into the function's configuration, where anyone allowed
lambda:GetFunctionConfiguration, and the console, reads them. Every Lambda recipe the repository ships must name
where the secret is instead (a Secrets Manager secret or an SSM SecureString), and the function must read it as it
starts; the Zappa stages that keep Zappa's own handler read theirs from remote_env."""

from __future__ import annotations

import json
import re

import boto3
import pytest
import yaml

from deploy.app_secret import load_app_secret
from tests.deploy.conftest import ZAPPA_SETTINGS, stage_settings
from tests.live import ROOT

SECRET_NAMES = {
    "DJANGO_SECRET_KEY",
    "DJANGO_SECRET_KEY_FALLBACKS",
    "REDIS_URL",
    "OIDC_RP_CLIENT_SECRET",
    "DJANGO_SUPERUSER_PASSWORD",
    "ORIGIN_VERIFY_HEADER_VALUE",
}
PASSWORD_IN_URL = re.compile(r"^[a-z0-9+]+://[^/@:]*:[^/@]*@")  # scheme://user:password@host
READ_AT_START = {"SBC_APP_SECRET_ARN", "SBC_APP_SECRET_PARAMETER"}


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !Sub, ...) kept as their plain values."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


CloudFormationLoader.add_multi_constructor("!", _any_tag)


def plain_secrets(variables: dict[str, object]) -> list[str]:
    found = [name for name in variables if name in SECRET_NAMES]
    found += [name for name, value in variables.items() if "{{resolve:" in str(value)]
    found += [name for name, value in variables.items() if PASSWORD_IN_URL.match(str(value))]
    return sorted(set(found))


def sam_functions() -> dict[str, dict]:
    template = yaml.load((ROOT / "deploy" / "lambda-web-adapter.yaml").read_text(), Loader=CloudFormationLoader)
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }


def test_attack_the_sam_template_puts_no_secret_in_the_functions_settings():
    functions = sam_functions()
    assert functions
    for name, properties in functions.items():
        variables = properties.get("Environment", {}).get("Variables", {})
        assert plain_secrets(variables) == [], name
        assert READ_AT_START & set(variables), f"{name} must say where its secret is read from at start"


@pytest.mark.parametrize("stage", sorted(ZAPPA_SETTINGS))
def test_attack_no_zappa_stage_puts_a_secret_in_the_functions_settings(stage):
    settings = stage_settings(stage)
    for where in ("aws_environment_variables", "environment_variables"):
        assert plain_secrets(settings.get(where, {})) == [], (stage, where)
    variables = settings["aws_environment_variables"]
    if not settings.get("remote_env"):
        # Without Zappa's remote_env the handler is one that reads the app secret first (run.sh, or the jobs one).
        assert READ_AT_START & set(variables), stage
        assert settings["lambda_handler"] in ("run.sh", "deploy.lambda_jobs.zappa_handler"), stage
        start = (ROOT / "run.sh").read_text()
        assert "python -m deploy.app_secret" in start


def test_attack_the_secret_comes_from_an_ssm_securestring_only_when_the_function_starts(moto_server):
    """What run.sh does first: the SecureString (the serverless stage's parameter) becomes the process's own
    environment, DJANGO_SECRET_KEY included; nothing else has to hold it."""
    moto_server.reset()
    parameter = stage_settings("serverless")["aws_environment_variables"]["SBC_APP_SECRET_PARAMETER"]
    ssm = boto3.client(
        "ssm",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    secret = "ssm-secret-key-" + "s" * 40
    ssm.put_parameter(Name=parameter, Type="SecureString", Value=json.dumps({"DJANGO_SECRET_KEY": secret}))
    assert ssm.get_parameter(Name=parameter)["Parameter"]["Type"] == "SecureString"
    environ = {"SBC_APP_SECRET_PARAMETER": parameter}
    assert load_app_secret(environ, ssm) == ["DJANGO_SECRET_KEY"]
    assert environ["DJANGO_SECRET_KEY"] == secret
