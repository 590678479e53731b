"""The Django admin as staff use it: issue a token once, see status and mirror state, revoke."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from core.errors import InvalidToken
from tokens.authentication import token_authenticate
from tokens.keyformat import TOKEN_REGEX
from tokens.models import ApiToken, Identity
from tokens.services import token_issue

pytestmark = pytest.mark.usefixtures("committed")
ISSUE_URL = "/admin/tokens/apitoken/issue/"


@pytest.fixture
def browser() -> Client:
    """Django's test client (the suite's `client` is the openai SDK)."""
    return Client()


@pytest.fixture
def staff(browser):
    user = get_user_model().objects.create_user("alice", password="pw-alice-123", is_staff=True, is_superuser=True)
    browser.force_login(user)
    return browser


@pytest.fixture
def jane() -> Identity:
    return Identity.objects.create(name="jane.doe@dev")


def issue_in_admin(staff, identity: Identity, **fields):
    return staff.post(ISSUE_URL, {"identity": identity.pk, "name": "laptop", "ttl": "30d", **fields})


def new_log_entry(before: set[int]) -> LogEntry:
    """The one admin log entry written since `before` (entries live tests committed earlier stay in the database)."""
    return LogEntry.objects.exclude(pk__in=before).get()


def test_the_issue_page_shows_the_token_once_and_never_stores_it_elsewhere(staff, jane):
    logged = set(LogEntry.objects.values_list("pk", flat=True))
    assert staff.get(ISSUE_URL).status_code == 200
    posted = issue_in_admin(staff, jane)
    assert posted.status_code == 302 and posted["Location"] == reverse("admin:tokens_apitoken_issued")
    at_rest = str(dict(staff.session)) + str(posted.cookies)
    response = staff.get(posted["Location"])
    token = re.search(TOKEN_REGEX, response.content.decode()).group(0)
    assert "no-store" in response["Cache-Control"]
    assert token_authenticate(token).identity_name == "jane.doe@dev"
    assert token not in posted["Location"] and token not in at_rest and token not in str(response.cookies)
    assert not list(response.context["messages"]), "never through the messages framework"
    assert token not in str(dict(staff.session))
    again = staff.get(posted["Location"]).content.decode()
    assert token not in again and "This token is no longer shown" in again, "a reload shows it no more"
    assert ApiToken.objects.count() == 1, "and issues nothing"
    entry = new_log_entry(logged)
    assert entry.is_addition() and entry.object_repr == f"{ApiToken.objects.get().token_id} (jane.doe@dev)"
    assert token not in f"{entry.object_repr} {entry.change_message}"
    # Nothing shows it again: the changelist, the token page, the issue form.
    record = ApiToken.objects.get()
    for url in (
        reverse("admin:tokens_apitoken_changelist"),
        reverse("admin:tokens_apitoken_change", args=[record.pk]),
        ISSUE_URL,
    ):
        page = staff.get(url).content.decode()
        assert token not in page and record.digest not in page


def test_the_issue_form_rejects_deactivated_identities_and_unlisted_ttls(staff, jane):
    Identity.objects.filter(pk=jane.pk).update(is_active=False)
    assert issue_in_admin(staff, jane).context["form"].errors["identity"]
    active = Identity.objects.create(name="ci-pipeline")
    assert issue_in_admin(staff, active, ttl="9999d").context["form"].errors["ttl"]
    assert not ApiToken.objects.exists()


def test_the_add_button_leads_to_the_issue_view(staff):
    response = staff.get(reverse("admin:tokens_apitoken_add"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:tokens_apitoken_issue")
    assert ISSUE_URL in staff.get(reverse("admin:tokens_apitoken_changelist")).content.decode()


def test_the_changelist_shows_status_and_filters_by_it(staff, jane):
    live = token_issue(identity=jane, ttl="1d", name="live").record
    gone = token_issue(identity=jane, ttl="1d", name="gone").record
    staff.post(
        reverse("admin:tokens_apitoken_changelist"), {"action": "revoke_selected", "_selected_action": [gone.pk]}
    )
    page = staff.get(reverse("admin:tokens_apitoken_changelist")).content.decode()
    assert "revoked" in page and "active" in page
    revoked_only = staff.get(reverse("admin:tokens_apitoken_changelist"), {"status": "revoked"})
    assert [t.pk for t in revoked_only.context["cl"].result_list] == [gone.pk]
    found = staff.get(reverse("admin:tokens_apitoken_changelist"), {"q": live.token_id})
    assert [t.pk for t in found.context["cl"].result_list] == [live.pk]


def test_revoke_selected_tokens(staff, jane):
    logged = set(LogEntry.objects.values_list("pk", flat=True))
    issued = token_issue(identity=jane, ttl="1d")
    token_authenticate(issued.token)
    response = staff.post(
        reverse("admin:tokens_apitoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [issued.record.pk]},
        follow=True,
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    with pytest.raises(InvalidToken):
        token_authenticate(issued.token)
    issued.record.refresh_from_db()
    assert issued.record.revoked_by == "admin:alice"
    entry = new_log_entry(logged)
    assert entry.is_change() and entry.change_message == "Revoked"


def test_revoke_all_tokens_of_selected_identities(staff, jane):
    tokens = [token_issue(identity=jane, ttl="1d").token for _ in range(2)]
    other = token_issue(identity=Identity.objects.create(name="ci-pipeline"), ttl="1d").token
    staff.post(
        reverse("admin:tokens_identity_changelist"), {"action": "revoke_all_tokens", "_selected_action": [jane.pk]}
    )
    for token in tokens:
        with pytest.raises(InvalidToken):
            token_authenticate(token)
    assert token_authenticate(other).identity_name == "ci-pipeline"


def change_form_data(response) -> dict:
    """What the browser would post back unchanged: the main form and every inline formset."""

    def values(form) -> dict:
        data = {}
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value
        return data

    data = values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(values(formset.management_form))
        for form in formset.forms:
            data.update(values(form))
    return data


def test_deactivating_an_identity_in_the_admin_stops_its_tokens(staff, jane):
    issued = token_issue(identity=jane, ttl="1d")
    token_authenticate(issued.token)
    url = reverse("admin:tokens_identity_change", args=[jane.pk])
    data = change_form_data(staff.get(url))
    data.pop("is_active")
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    jane.refresh_from_db()
    assert not jane.is_active
    with pytest.raises(InvalidToken):
        token_authenticate(issued.token)


def test_tokens_are_read_only_except_their_name(staff, jane):
    record = token_issue(identity=jane, ttl="1d", name="old").record
    url = reverse("admin:tokens_apitoken_change", args=[record.pk])
    page = staff.get(url).content.decode()
    assert 'name="name"' in page and 'name="expires_at"' not in page and "digest" not in page
    staff.post(url, {"name": "new", "expires_at": "2099-01-01T00:00:00Z"})
    record.refresh_from_db()
    assert record.name == "new" and record.expires_at.year != 2099
    assert staff.get(reverse("admin:tokens_apitoken_delete", args=[record.pk])).status_code == 403


def test_a_non_staff_user_gets_no_admin(browser, jane):
    client = browser
    user = get_user_model().objects.create_user("bob", password="pw-bob-12345")
    client.force_login(user)
    for url in (ISSUE_URL, reverse("admin:tokens_apitoken_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(ISSUE_URL, {"identity": jane.pk, "ttl": "30d"})
    assert response.status_code == 302 and not ApiToken.objects.exists()


def test_staff_without_the_add_permission_cannot_issue(browser, jane):
    client = browser
    user = get_user_model().objects.create_user("carol", password="pw-carol-1234", is_staff=True)
    client.force_login(user)
    assert client.post(ISSUE_URL, {"identity": jane.pk, "ttl": "30d"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_with_the_mirror_on_the_result_page_names_the_secret(staff, jane, secrets_view):
    response = staff.get(issue_in_admin(staff, jane)["Location"])
    record = ApiToken.objects.get()
    assert f"sbc/tokens/{record.token_id}" in response.content.decode()
    assert f"sbc/tokens/{record.token_id}" in secrets_view.listed()


def test_the_admin_speaks_of_the_product_and_of_api_tokens(staff):
    page = staff.get("/admin/").content.decode()
    assert "Simple Bedrock Connector" in page and "Django administration" not in page
    assert "API tokens" in page and "Api tokens" not in page
    assert 'rel="icon"' in page


def test_a_token_is_revoked_from_its_own_page_after_a_confirmation(staff, jane):
    issued = token_issue(identity=jane, ttl="1d", name="laptop", created_by="test")
    page = f"/admin/tokens/apitoken/{issued.record.pk}/change/"
    revoke = f"/admin/tokens/apitoken/{issued.record.pk}/revoke/"
    assert f'href="{revoke}"' in staff.get(page).content.decode()
    confirm = staff.get(revoke)
    assert confirm.status_code == 200 and f"Revoke token {issued.record.token_id}" in confirm.content.decode()
    issued.record.refresh_from_db()
    assert issued.record.status == "active", "a GET never revokes"
    done = staff.post(revoke, {"confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == page
    issued.record.refresh_from_db()
    assert issued.record.status == "revoked" and issued.record.revoked_by == "admin:alice"
    assert f'href="{revoke}"' not in staff.get(page).content.decode()
    with pytest.raises(InvalidToken):
        token_authenticate(issued.token)
