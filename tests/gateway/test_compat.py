"""The compatibility policy: every field rule has its row, the README shows the tables as they are, and
what a request had adapted or dropped reaches the caller (header) and the admin (usage record)."""

from __future__ import annotations

import httpx
import pytest

from gateway.compat import ADAPTED, DROPPED, REFUSED, Adaptations, chat, responses
from gateway.compat.doc import readme_with_section, setup_doc
from gateway.translate.chat_request import FIELD_RULES as CHAT_RULES
from gateway.translate.fields import dropped
from gateway.translate.responses_request import FIELD_RULES as RESPONSES_RULES
from tests.live import ROOT


def covered(table) -> set[str]:
    """Top-level field names a table's rows speak of (`a / b.c / tools[].type=x` -> a, b, tools)."""
    names = set()
    for policy in table:
        for part in policy.name.split(" / "):
            names.add(part.split()[0].split(".")[0].split("[")[0].split(":")[0])
    return names


@pytest.mark.parametrize("rules, api", [(CHAT_RULES, chat), (RESPONSES_RULES, responses)])
def test_every_field_the_gateway_knows_has_a_row_in_its_policy_table(rules, api):
    assert set(rules) - covered(api.TABLE) == set()


@pytest.mark.parametrize("rules, api", [(CHAT_RULES, chat), (RESPONSES_RULES, responses)])
def test_a_field_the_rules_drop_is_not_listed_as_honoured(rules, api):
    treatment = {}
    for policy in api.TABLE:
        for part in policy.name.split(" / "):
            treatment.setdefault(part.split()[0], policy.treatment)
    for name, rule in rules.items():
        if rule is dropped:
            assert treatment.get(name) in (DROPPED, ADAPTED), name


def test_the_readme_shows_the_tables_and_the_client_matrix_as_they_are():
    readme = (ROOT / "README.md").read_text()
    assert readme_with_section(readme) == readme, "run: python manage.py compat_doc"
    assert (ROOT / "docs" / "setup.md").read_text() == setup_doc(), "run: python manage.py compat_doc"


def test_adaptation_names_are_kept_short_and_never_carry_values():
    notes = Adaptations()
    notes.note("unknown:" + "x" * 500)
    notes.note('unknown:evil"\r\nSet-Cookie: a=b')
    notes.note("seed")
    notes.note("seed")
    assert [len(name) <= 60 for name in notes] == [True, True, True]
    assert "\n" not in notes.header() and "\r" not in notes.header() and notes.names[-1] == "seed"


@pytest.mark.e2e
def test_a_request_with_fields_bedrock_has_no_use_for_is_answered_and_says_what_was_dropped(gateway, token, records):
    reply = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "model": "claude-4-sonnet",
            "messages": [{"role": "user", "content": "Hi"}],
            "store": False,
            "seed": 3,
            "brand_new_option": {"x": 1},
        },
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-sbc-adapted"] == "store, seed, unknown:brand_new_option"
    assert records("alice@test")[-1]["adapted"] == "store, seed, unknown:brand_new_option"


@pytest.mark.e2e
def test_reasoning_effort_on_a_model_that_cannot_reason_is_dropped_not_refused(client, emulator_log):
    raw = client.chat.completions.with_raw_response.create(
        model="llama-3.3-70b", reasoning_effort="high", messages=[{"role": "user", "content": "Hi"}]
    )
    assert raw.headers["x-sbc-adapted"] == "reasoning_effort"
    assert "synthetic answer" in raw.parse().choices[0].message.content
    assert "additionalModelRequestFields" not in emulator_log()[-1]["body"]


@pytest.mark.e2e
def test_a_refusal_still_names_the_field_a_client_relies_on(client):
    with pytest.raises(Exception) as caught:
        client.chat.completions.create(model="claude-4-sonnet", n=2, messages=[{"role": "user", "content": "Hi"}])
    assert getattr(caught.value, "status_code", None) == 400 and "`n`" in str(caught.value)
    assert REFUSED in {p.treatment for p in chat.TABLE if p.name.startswith("n ")}
