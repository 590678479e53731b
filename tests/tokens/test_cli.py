"""The token commands as an admin runs them: issue, list, revoke, sync, and their errors."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.live import ROOT
from tokens.keyformat import TOKEN_REGEX
from tokens.models import ApiToken, Identity

pytestmark = pytest.mark.usefixtures("committed")
RULE = "─" * 60


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def jane() -> Identity:
    return Identity.objects.create(name="jane.doe@dev")


def test_issue_prints_the_documented_lines_with_the_mirror_on(jane, secrets_view):
    out, err = run("issue_token", "--identity", "jane.doe@dev", "--ttl", "30d")
    token_id = ApiToken.objects.get().token_id
    expires = ApiToken.objects.get().expires_at.isoformat(timespec="seconds")
    lines = out.splitlines()
    assert re.fullmatch(r"✓ Authenticated as: arn:aws:\w+::\d{12}:\S+", lines[0])
    assert lines[1:5] == [
        "✓ Token generated for identity: jane.doe@dev",
        f"✓ Stored in Secrets Manager: sbc/tokens/{token_id}",
        f"✓ Expires: {expires}",
        "",
    ]
    assert lines[5] == RULE and lines[7] == RULE
    token = re.fullmatch(r"  Bearer Token: (\S+)", lines[6]).group(1)
    assert re.fullmatch(TOKEN_REGEX, token) and f"_{token_id}_" in token
    assert err == ""
    assert f"sbc/tokens/{token_id}" in secrets_view.listed()


def test_issue_skips_the_aws_lines_with_the_mirror_off(jane):
    out, _ = run("issue_token", "--identity", "jane.doe@dev", "--ttl", "12h", "--name", "laptop")
    lines = out.splitlines()
    assert lines[0] == "✓ Token generated for identity: jane.doe@dev"
    assert lines[1].startswith("✓ Expires: ") and lines[2:4] == ["", RULE]
    assert ApiToken.objects.get().name == "laptop"


def test_issue_json(jane, secrets_view):
    out, _ = run("issue_token", "--identity", "jane.doe@dev", "--ttl", "7d", "--json")
    data = json.loads(out)
    record = ApiToken.objects.get()
    assert data == {
        "token": data["token"],
        "token_id": record.token_id,
        "identity": "jane.doe@dev",
        "expires_at": record.expires_at.isoformat(timespec="seconds"),
        "secret_name": f"sbc/tokens/{record.token_id}",
        "mirror_state": "synced",
    }
    assert re.fullmatch(TOKEN_REGEX, data["token"])


def test_issue_json_with_the_mirror_off_has_no_secret_name(jane):
    data = json.loads(run("issue_token", "--identity", "jane.doe@dev", "--json")[0])
    assert data["secret_name"] is None and data["mirror_state"] == "disabled"


def test_issue_creates_the_identity_only_when_asked():
    with pytest.raises(CommandError, match="Unknown identity 'ci-pipeline'.*--create-identity"):
        run("issue_token", "--identity", "ci-pipeline", "--ttl", "7d")
    run("issue_token", "--identity", "ci-pipeline", "--ttl", "7d", "--create-identity")
    assert ApiToken.objects.get().identity.name == "ci-pipeline"


@pytest.mark.parametrize(
    "ttl, message",
    [("30", "Invalid TTL '30'"), ("0d", "longer than zero"), ("9999d", "the maximum is"), ("abc", "Invalid TTL")],
)
def test_issue_rejects_bad_ttls(jane, ttl, message):
    with pytest.raises(CommandError, match=message):
        run("issue_token", "--identity", "jane.doe@dev", "--ttl", ttl)
    assert not ApiToken.objects.exists()


def test_issue_refuses_a_deactivated_identity(jane):
    Identity.objects.filter(pk=jane.pk).update(is_active=False)
    with pytest.raises(CommandError, match="deactivated"):
        run("issue_token", "--identity", "jane.doe@dev")


def test_issue_refuses_when_sts_is_unreachable(jane, mirror_on, outage):
    with outage("STS"), pytest.raises(CommandError, match="Could not verify the AWS identity with STS.*No token"):
        run("issue_token", "--identity", "jane.doe@dev")
    assert not ApiToken.objects.exists()


def test_issue_during_a_secrets_manager_outage_prints_the_token_and_a_warning(jane, mirror_on, outage):
    with outage():
        out, err = run("issue_token", "--identity", "jane.doe@dev")
    assert "Stored in Secrets Manager" not in out and "Bearer Token: sbc_" in out
    assert "not in Secrets Manager yet" in err and "sync_secrets" in err
    assert ApiToken.objects.get().mirror_state == "failed"


def test_a_bad_ttl_exits_non_zero_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "manage.py", "issue_token", "--identity", "x", "--ttl", "forever"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert result.returncode == 1
    assert "Invalid TTL 'forever'" in result.stderr and "Traceback" not in result.stderr


def test_list_shows_active_tokens_and_all_with_all(jane):
    run("issue_token", "--identity", "jane.doe@dev", "--name", "laptop")
    run("issue_token", "--identity", "ci-pipeline", "--create-identity", "--ttl", "7d")
    revoked = ApiToken.objects.get(identity=jane)
    run("revoke_token", revoked.token_id)
    table, _ = run("list_tokens")
    assert table.splitlines()[0].split() == [
        "TOKEN",
        "ID",
        "IDENTITY",
        "NAME",
        "STATUS",
        "EXPIRES",
        "LAST",
        "USED",
        "MIRROR",
    ]
    assert "ci-pipeline" in table and revoked.token_id not in table
    everything = json.loads(run("list_tokens", "--all", "--json")[0])
    assert {row["token_id"]: row["status"] for row in everything}[revoked.token_id] == "revoked"
    only_jane = json.loads(run("list_tokens", "--identity", "jane.doe@dev", "--all", "--json")[0])
    assert [row["identity"] for row in only_jane] == ["jane.doe@dev"]
    assert "sbc_" not in table + json.dumps(everything), "never the token itself"
    with pytest.raises(CommandError, match="Unknown identity"):
        run("list_tokens", "--identity", "nobody")


def test_revoke_by_id_and_for_a_whole_identity(jane, secrets_view):
    for _ in range(3):
        run("issue_token", "--identity", "jane.doe@dev")
    first, *rest = ApiToken.objects.order_by("created_at")
    out, _ = run("revoke_token", first.token_id)
    assert out.strip() == f"✓ Revoked token {first.token_id} of jane.doe@dev"
    assert "already revoked" in run("revoke_token", first.token_id)[0]
    out, _ = run("revoke_token", "--identity", "jane.doe@dev", "--all")
    assert out.strip() == "✓ Revoked 2 token(s) of jane.doe@dev"
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    assert secrets_view.listed() == {}


def test_revoke_errors(jane):
    with pytest.raises(CommandError, match="Unknown token id 'AAAAAAAAAAAA'"):
        run("revoke_token", "AAAAAAAAAAAA")
    with pytest.raises(CommandError, match="not a token id"):
        run("revoke_token", "sbc_nonsense")
    with pytest.raises(CommandError, match="either"):
        run("revoke_token", "--identity", "jane.doe@dev")
    with pytest.raises(CommandError, match="Give a token id"):
        run("revoke_token")


def test_revoke_accepts_a_pasted_token_without_echoing_it(jane):
    token = json.loads(run("issue_token", "--identity", "jane.doe@dev", "--json")[0])["token"]
    out, err = run("revoke_token", token)
    assert "Revoked token" in out and token not in out + err


def test_sync_reports_in_text_and_json(jane, secrets_view, outage, settings):
    settings.SECRETS_SYNC_REVOKE_MISSING = True
    with outage():
        run("issue_token", "--identity", "jane.doe@dev")
    record = ApiToken.objects.get()
    out, _ = run("sync_secrets")
    assert f"✓ Stored in Secrets Manager: token {record.token_id}" in out
    assert out.splitlines()[-1] == "Sync done: 1 created, 0 revoked, 0 deleted, 0 failed."
    secrets_view.delete_by_hand(f"sbc/tokens/{record.token_id}")
    report = json.loads(run("sync_secrets", "--json")[0])
    assert report == {"mirror": "on", "created": [], "revoked": [record.token_id], "deleted": [], "errors": []}


def test_sync_fails_clearly_when_secrets_manager_is_down(jane, mirror_on, outage):
    with outage(), pytest.raises(CommandError, match="Could not list the secrets under sbc/tokens/"):
        run("sync_secrets")


def test_sync_with_the_mirror_off_does_nothing():
    assert "mirror is off" in run("sync_secrets")[0]
    assert json.loads(run("sync_secrets", "--json")[0]) == {"mirror": "off"}


def test_issue_refuses_an_identity_name_secrets_manager_cannot_tag():
    with pytest.raises(CommandError, match=r"Invalid identity name 'jane \(contractor\)!'"):
        run("issue_token", "--identity", "jane (contractor)!", "--create-identity")
    assert not Identity.objects.exists()
