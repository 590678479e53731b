"""Admins manage model names in the admin, and the gateway serves a change at once, without a redeploy."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.errors import ModelNotFound
from gateway.models import ModelAlias
from gateway.selectors import model_table, resolve_model

CHANGELIST = "/admin/gateway/modelalias/"


@pytest.fixture
def staff(admin) -> Client:
    return admin


def alias_form(**fields) -> dict:
    return {
        "name": "team-coder",
        "bedrock_model_id": "anthropic.claude-3-5-haiku-20241022-v1:0",
        "kind": "chat",
        "owned_by": "anthropic",
        "is_enabled": "on",
        "is_listed": "on",
        "profile": "required",
        "sampling": "both",
        "context_window": 200000,
        "max_output_tokens": 8192,
        "supports_tools": "on",
        "supports_images": "on",
        "reasoning": "none",
        "structured_output": "tool",
        **fields,
    }


def test_an_alias_added_in_the_admin_resolves_at_once(staff):
    model_table()  # a warm cache, as in a running worker
    response = staff.post(f"{CHANGELIST}add/", alias_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    spec = resolve_model("team-coder")
    assert spec.model_id_for("us-east-1") == "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def test_a_compatibility_name_points_at_another_alias(staff):
    target = ModelAlias.objects.get(name="claude-4-sonnet")
    response = staff.post(f"{CHANGELIST}add/", alias_form(name="gpt-5", bedrock_model_id="", alias_of=target.pk))
    assert response.status_code == 302
    assert resolve_model("gpt-5").model_id_for("us-east-1") == resolve_model("claude-4-sonnet").model_id_for(
        "us-east-1"
    )


def test_an_alias_needs_a_bedrock_id_or_a_target(staff):
    response = staff.post(f"{CHANGELIST}add/", alias_form(bedrock_model_id=""))
    assert response.status_code == 200
    assert "Give a Bedrock model id or make this an alias." in response.content.decode()


def test_disabling_an_alias_in_the_list_stops_its_mapping(staff):
    model_table()
    alias = ModelAlias.objects.get(name="mistral-large")
    page = staff.get(CHANGELIST)
    assert page.status_code == 200 and "mistral-large" in page.content.decode()
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": alias.pk,
        "form-0-is_listed": "on",
        "_save": "Save",
    }
    assert staff.post(CHANGELIST, form).status_code == 302
    # The alias no longer applies, and a name that is no Bedrock model id is not sent to Bedrock as one.
    with pytest.raises(ModelNotFound):
        resolve_model("mistral-large")


def test_people_without_staff_rights_cannot_reach_it(db):
    browser = Client()
    browser.force_login(get_user_model().objects.create_user("dev", password="pw-dev-12345"))
    assert browser.get(CHANGELIST).status_code == 302


def test_an_alias_shows_the_capabilities_of_what_it_points_at_and_only_the_fields_it_uses(staff):
    target = ModelAlias.objects.get(name="claude-4-sonnet")
    target.prompt_caching, target.context_window = True, 123_456
    target.save()
    alias = ModelAlias.objects.create(name="gpt-5", alias_of=target, prompt_caching=False, context_window=8_000)
    listing = staff.get(f"{CHANGELIST}?q=gpt-5").content.decode()
    assert "123,456" in listing and "8,000" not in listing, "the list shows the target's context window"
    form = staff.get(f"{CHANGELIST}{alias.pk}/change/").content.decode()
    assert 'name="context_window"' not in form and 'name="prompt_caching"' not in form
    assert "context window 123,456" in form and "Edit them on claude-4-sonnet." in form
    response = staff.post(
        f"{CHANGELIST}{alias.pk}/change/", {"name": "gpt-5", "alias_of": target.pk, "is_enabled": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    alias.refresh_from_db()
    assert not alias.is_listed and alias.context_window == 8_000
