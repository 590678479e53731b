"""The Secrets Manager mirror against moto over HTTP: issue, list by tag, revoke, outages, sync both ways."""

from __future__ import annotations

import pytest

from core.errors import InvalidToken
from tokens.authentication import token_authenticate
from tokens.models import ApiToken
from tokens.secrets_sync import HAND_REVOKED_BY, secrets_sync
from tokens.services import identity_get_or_create, token_issue, token_revoke

pytestmark = pytest.mark.usefixtures("committed")
State = ApiToken.MirrorState


def issue(identity: str = "jane.doe@dev", ttl: str = "30d"):
    return token_issue(identity=identity_get_or_create(name=identity), ttl=ttl, name="laptop")


def refreshed(record: ApiToken) -> ApiToken:
    record.refresh_from_db()
    return record


def test_issuing_creates_a_tagged_secret_without_the_token(secrets_view):
    issued = issue()
    name = f"sbc/tokens/{issued.token_id}"
    listed = secrets_view.listed()
    assert listed == {
        name: {
            "app": "simple-bedrock-connector",
            "identity": "jane.doe@dev",
            "expires_at": issued.expires_at.isoformat(timespec="seconds"),
            "deployment": "test",
        }
    }
    value = secrets_view.value(name)
    assert value == {
        "identity": "jane.doe@dev",
        "token_id": issued.token_id,
        "digest": issued.record.digest,
        "expires_at": issued.expires_at.isoformat(timespec="seconds"),
        "limits": {},
    }
    raw = secrets_view.client.get_secret_value(SecretId=name)["SecretString"]
    assert issued.token not in raw and issued.token.split("_")[2] not in raw
    assert refreshed(issued.record).mirror_state == State.SYNCED


def test_the_secret_value_carries_the_identitys_limits(secrets_view):
    from tokens.models import Quota
    from tokens.quotas import limits_forget

    identity = identity_get_or_create(name="ci-pipeline")
    Quota.objects.update_or_create(
        identity=identity, defaults={"tokens_per_day": 100_000, "allowed_models": "claude-4-sonnet, gpt-4o"}
    )
    limits_forget()
    issued = token_issue(identity=identity, ttl="7d")
    limits = secrets_view.value(f"sbc/tokens/{issued.token_id}")["limits"]
    assert limits == {"tokens_per_day": 100_000, "allowed_models": ["claude-4-sonnet", "gpt-4o"]}


def test_the_secret_name_follows_secret_prefix(secrets_view, settings):
    settings.SECRET_PREFIX = "acme/dev/tokens/"
    issued = issue()
    assert list(secrets_view.listed()) == [f"acme/dev/tokens/{issued.token_id}"]


def test_revoking_deletes_the_secret_without_recovery(secrets_view):
    issued, other = issue(), issue("ci-pipeline", "7d")
    assert token_revoke(token=issued.record, revoked_by="test")
    assert list(secrets_view.listed()) == [f"sbc/tokens/{other.token_id}"]
    planned = secrets_view.client.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in planned] == [f"sbc/tokens/{other.token_id}"], "no recovery window"
    assert refreshed(issued.record).mirror_state == State.DELETED


def test_an_outage_during_issue_keeps_the_token_and_sync_stores_it_later(secrets_view, outage):
    with outage():
        issued = issue()
    record = refreshed(issued.record)
    assert record.mirror_state == State.FAILED
    assert "Could not store" in record.mirror_error and issued.token not in record.mirror_error
    assert token_authenticate(issued.token).identity_name == "jane.doe@dev", "the database decides, not the mirror"
    assert f"sbc/tokens/{issued.token_id}" not in secrets_view.listed()
    report = secrets_sync()
    assert report.created == [issued.token_id] and not report.errors
    assert refreshed(issued.record).mirror_state == State.SYNCED
    assert f"sbc/tokens/{issued.token_id}" in secrets_view.listed()


def test_an_outage_during_revoke_revokes_at_once_and_sync_deletes_the_secret(secrets_view, outage):
    issued = issue()
    token_authenticate(issued.token)
    with outage():
        assert token_revoke(token=issued.record, revoked_by="test")
        with pytest.raises(InvalidToken):
            token_authenticate(issued.token)
    record = refreshed(issued.record)
    assert record.mirror_state == State.SYNCED and "Could not delete" in record.mirror_error
    assert f"sbc/tokens/{issued.token_id}" in secrets_view.listed()
    report = secrets_sync()
    assert report.deleted == [f"sbc/tokens/{issued.token_id}"]
    assert secrets_view.listed() == {}
    assert refreshed(issued.record).mirror_state == State.DELETED


def test_a_secret_deleted_by_hand_is_pushed_again_at_the_next_sync(secrets_view):
    issued = issue()
    secrets_view.delete_by_hand(f"sbc/tokens/{issued.token_id}")
    report = secrets_sync()
    assert report.created == [issued.token_id] and not report.revoked
    assert secrets_view.listed()[f"sbc/tokens/{issued.token_id}"]["deployment"] == "test"
    assert refreshed(issued.record).status == "active"
    assert token_authenticate(issued.token).identity_name == "jane.doe@dev"


def test_a_secret_deleted_by_hand_revokes_its_token_when_an_admin_turned_that_on(secrets_view, settings):
    settings.SECRETS_SYNC_REVOKE_MISSING = True
    issued, kept = issue(), issue("ci-pipeline", "7d")
    secrets_view.delete_by_hand(f"sbc/tokens/{issued.token_id}")
    report = secrets_sync()
    assert report.revoked == [issued.token_id] and not report.created
    record = refreshed(issued.record)
    assert record.status == "revoked" and record.revoked_by == HAND_REVOKED_BY
    with pytest.raises(InvalidToken):
        token_authenticate(issued.token)
    assert token_authenticate(kept.token).identity_name == "ci-pipeline"


def test_sync_deletes_secrets_of_unknown_and_expired_tokens(secrets_view):
    from datetime import timedelta

    from django.utils import timezone

    stale, live = issue(), issue("ci-pipeline", "7d")
    ApiToken.objects.filter(pk=stale.record.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    ours = [{"Key": "app", "Value": "simple-bedrock-connector"}, {"Key": "deployment", "Value": "test"}]
    secrets_view.client.create_secret(Name="sbc/tokens/UnknownToken", SecretString="{}", Tags=ours)
    secrets_view.client.create_secret(
        Name="sbc/tokens/OtherStages1", SecretString="{}", Tags=[*ours[:1], {"Key": "deployment", "Value": "prod"}]
    )
    secrets_view.client.create_secret(Name="sbc/tokens/BeforeTheTag", SecretString="{}", Tags=ours[:1])
    secrets_view.client.create_secret(Name="someone-elses/secret", SecretString="{}")
    report = secrets_sync()
    assert sorted(report.deleted) == sorted([f"sbc/tokens/{stale.token_id}", "sbc/tokens/UnknownToken"])
    assert sorted(secrets_view.listed()) == sorted(
        [f"sbc/tokens/{live.token_id}", "sbc/tokens/OtherStages1", "sbc/tokens/BeforeTheTag"]
    ), "another deployment's secret and one without a deployment tag are left alone"
    assert [
        s["Name"] for s in secrets_view.client.list_secrets()["SecretList"] if not s["Name"].startswith("sbc/")
    ] == ["someone-elses/secret"], "only our prefix and tag"
    assert refreshed(stale.record).mirror_state == State.DELETED


def test_tokens_issued_while_the_mirror_was_off_are_stored_by_sync(settings, aws):
    from tests.tokens.conftest import SecretsView

    settings.SECRETS_MIRROR, settings.SECRET_PREFIX = "off", "sbc/tokens/"
    issued = issue()
    assert refreshed(issued.record).mirror_state == State.DISABLED
    settings.SECRETS_MIRROR = "on"
    assert secrets_sync().created == [issued.token_id]
    assert list(SecretsView().listed()) == [f"sbc/tokens/{issued.token_id}"]


def test_sync_is_idempotent(secrets_view):
    issue(), issue("ci-pipeline")
    secrets_sync()
    again = secrets_sync()
    assert again.as_dict() == {"created": [], "revoked": [], "deleted": [], "errors": []}


def test_the_mirror_off_never_calls_aws(settings):
    settings.SECRETS_MIRROR = "off"  # every AWS endpoint in the test settings is a dead port
    issued = issue()
    assert token_revoke(token=issued.record)
    assert secrets_sync().as_dict() == {"created": [], "revoked": [], "deleted": [], "errors": []}
    assert refreshed(issued.record).mirror_state == State.DISABLED
