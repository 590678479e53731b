"""The audit trail: who issued, revoked or changed what, and when; in the admin (read-only, filterable, CSV), never
holding a secret, and refusing any change or deletion of an entry."""

from __future__ import annotations

import csv
import io
import logging

import orjson
import pytest
from django.core.management import call_command

from audit.models import AuditEntry, AuditImmutable
from tests import people
from tokens.models import ApiToken, Identity, Quota
from tokens.services import token_issue

pytestmark = pytest.mark.django_db
TRAIL = "/admin/audit/auditentry/"


@pytest.fixture
def admin_web(db):
    return people.admin()


def entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def exported(web, **query) -> list[dict]:
    response = web.get(TRAIL + "export.csv", query)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))


def test_an_admin_revoke_is_recorded_with_who_and_before_after(admin_web):
    identity = Identity.objects.create(name="audit-ann@example.com")
    token = token_issue(identity=identity, ttl="7d", created_by="admin:root").record
    response = admin_web.post(f"/admin/tokens/apitoken/{token.pk}/revoke/", {"confirm": "yes"})
    assert response.status_code == 302
    (entry,) = entries(action="revoke", object_id=str(token.pk))
    assert entry.actor == "admin:root" and entry.object_type == "tokens.apitoken"
    assert entry.changes["revoked_by"] == ["", "admin:root"]
    assert entry.changes["revoked_at"][0] is None and entry.changes["revoked_at"][1]
    page = admin_web.get(TRAIL, {"action": "revoke"}).content.decode()
    assert token.token_id in page and "admin:root" in page


def test_an_admin_quota_change_records_the_fields_before_and_after(admin_web):
    identity = Identity.objects.create(name="audit-quota")
    Quota.objects.filter(identity=identity).update(tokens_per_day=1000)
    quota = Quota.objects.get(identity=identity)
    quota.tokens_per_day = 5000
    quota.save()
    (entry,) = entries(action="change", object_type="tokens.quota")
    assert entry.changes == {"tokens_per_day": [1000, 5000]}


def test_the_admins_change_form_is_recorded_as_that_admin(admin_web):
    identity = Identity.objects.create(name="audit-form")
    page = admin_web.get(f"/admin/tokens/identity/{identity.pk}/change/")
    assert page.status_code == 200
    form = {"name": "audit-form", "notes": "moved to team B", "created_at_0": "2026-01-01", "created_at_1": "00:00:00"}
    form.update(
        {
            "quota-TOTAL_FORMS": "1",
            "quota-INITIAL_FORMS": "1",
            "quota-MIN_NUM_FORMS": "0",
            "quota-MAX_NUM_FORMS": "1",
            "quota-0-id": str(identity.quota.pk),
            "quota-0-identity": str(identity.pk),
            "quota-0-tokens_per_day": "2000",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
            "tokens-MIN_NUM_FORMS": "0",
            "tokens-MAX_NUM_FORMS": "1000",
        }
    )
    response = admin_web.post(f"/admin/tokens/identity/{identity.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    (change,) = entries(action="change", object_type="tokens.identity")
    assert change.actor == "admin:root" and change.changes["notes"] == ["", "moved to team B"]
    (quota,) = entries(action="change", object_type="tokens.quota")
    assert quota.actor == "admin:root" and quota.changes["tokens_per_day"] == [None, 2000]


def test_portal_create_and_revoke_of_an_own_key_are_recorded_as_the_user(aliases):
    web = people.developer("audit-dev")
    assert web.post("/keys/create", {"name": "laptop", "ttl": "7d"}).status_code == 302
    token = ApiToken.objects.get(identity__user=web.user)
    (issued,) = entries(action="issue", object_id=str(token.pk))
    assert issued.actor == "portal:audit-dev" and issued.changes["name"] == [None, "laptop"]
    web.post("/keys/revoke", {"token_id": token.token_id, "confirm": "yes"})
    token.refresh_from_db()
    assert token.revoked_at is not None
    (revoked,) = entries(action="revoke", object_id=str(token.pk))
    assert revoked.actor == "portal:audit-dev"


def test_cli_revoke_is_recorded_as_cli():
    identity = Identity.objects.create(name="audit-cli")
    token = token_issue(identity=identity, ttl="7d", created_by="cli").record
    call_command("revoke_token", token.token_id, stdout=io.StringIO())
    (entry,) = entries(action="revoke", object_id=str(token.pk))
    assert entry.actor == "cli"


def test_no_secret_is_ever_recorded(admin_web):
    identity = Identity.objects.create(name="audit-secret")
    token = token_issue(identity=identity, ttl="7d", created_by="test").record
    user = admin_web.user
    user.set_password("a-brand-new-Passw0rd")
    user.save()
    stored = " ".join(e.changes_json for e in AuditEntry.objects.all())
    assert token.digest not in stored and user.password not in stored
    (password,) = entries(object_type="auth.user", action="change")
    assert password.changes["password"] == ["(hidden)", "(hidden)"]
    (issued,) = entries(action="issue", object_id=str(token.pk))
    assert issued.changes["digest"] == [None, "(hidden)"]


def test_the_csv_export_has_the_filtered_entries_with_formulas_neutralised(admin_web):
    Identity.objects.create(name="=HYPERLINK(1)")
    Identity.objects.create(name="audit-plain")
    rows = exported(admin_web, object_type="tokens.identity", q="HYPERLINK")
    assert [(r["action"], r["object_type"], r["object_repr"]) for r in rows] == [
        ("create", "tokens.identity", "'=HYPERLINK(1)")
    ]
    assert orjson.loads(rows[0]["changes"])["name"] == [None, "=HYPERLINK(1)"]
    assert len(exported(admin_web, object_type="tokens.identity")) == 2


def test_entries_cannot_be_changed_or_deleted_in_code_or_in_the_admin(admin_web):
    Identity.objects.create(name="audit-immutable")
    entry = AuditEntry.objects.get(object_repr="audit-immutable")
    entry.actor = "someone-else"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(actor="someone-else")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    change = f"{TRAIL}{entry.pk}/change/"
    assert admin_web.post(change, {"actor": "someone-else"}).status_code == 403
    assert admin_web.post(f"{TRAIL}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_web.get(TRAIL + "add/").status_code == 403
    listing = admin_web.post(TRAIL, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert listing.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.actor != "someone-else" and AuditEntry.objects.filter(pk=entry.pk).exists()
    assert admin_web.get(change).status_code == 200, "still readable"


def test_each_entry_is_emitted_as_an_audit_event(admin_web, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO, logger="sbc.events"), django_capture_on_commit_callbacks(execute=True):
        Identity.objects.create(name="audit-event")
    events = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "sbc.events"]
    audit = [e for e in events if e["event"] == "audit" and e["object"] == "audit-event"]
    assert audit and audit[0]["action"] == "create" and audit[0]["actor"] == "system"
    assert audit[0]["changes"]["name"] == [None, "audit-event"]


def test_non_staff_cannot_see_or_export_the_trail():
    web = people.developer("audit-nosy")
    for url in (TRAIL, TRAIL + "export.csv"):
        response = web.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_lifting_a_sign_in_lock_out_in_the_admin_is_recorded(admin_web):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="locked-out", ip_address="203.0.113.9", user_agent="curl", failures_since_start=5, post_data="x"
    )
    assert entries(object_type="axes.accessattempt") == [], "a failed sign-in is not an admin's action"
    response = admin_web.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    (lifted,) = entries(object_type="axes.accessattempt")
    assert lifted.action == "delete" and lifted.actor == "admin:root"
    assert lifted.changes["username"] == ["locked-out", None] and "post_data" not in lifted.changes
