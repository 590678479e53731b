"""`make faults`, short (issue 23): the gateway on a PostgreSQL cluster and a Redis of the run's own, 12 clients
under each fault, every answer matched to its usage record by request id afterwards.

One run serves every test here (a module fixture, a few minutes: each outage is shortened, and a scenario whose
records and counters do not agree at once is given the time a replay or a reaper takes). It needs the PostgreSQL
server binaries and redis-server, and runs in the SQLite pass only: it uses none of the suite's servers, so a
second pass on PostgreSQL would measure the same thing again.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from bench.faults.report import details, summary, table
from bench.faults.run import LOCKOUT_LIMIT, Result, Settings, run
from bench.faults.scenarios import SCENARIOS
from bench.faults.services import missing_binaries
from tests.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(missing_binaries()), reason=f"the fault run cannot start here: {missing_binaries()}"),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the fault run has servers of its own: it runs once, in the SQLite pass",
    ),
]

# Where today's gateway is known to fall short, {scenario: why}: marked xfail (not strict) until it does not.
KNOWN_SHORT: dict[str, str] = {}
HEALTH_SHORT: dict[str, str] = {
    "connections-terminated": "the fresh connection /healthz retries on can be terminated too: a full run saw 1 of "
    "60 probes answered 503 with backends killed every 0.2 s and the database up",
}
DEATH_SHORT: dict[str, str] = {
    "client-disconnects": "a gateway worker died of SIGSEGV once while clients dropped their streams (one full run "
    "of three): its streams were cut, then recorded as interrupted by the reaper",
}


@pytest.fixture(scope="module")
def results() -> dict[str, Result]:
    done = run(list(SCENARIOS), Settings(quick=True))
    (ARTIFACTS / "faults.txt").write_text("\n".join([table(done), *details(done), summary(done)]) + "\n")
    return {result.name: result for result in done}


def scenario(name: str, short: dict[str, str] = KNOWN_SHORT):
    return pytest.param(name, marks=pytest.mark.xfail(reason=short[name], strict=False)) if name in short else name


@pytest.mark.parametrize("name", [scenario(name) for name in SCENARIOS])
def test_every_answer_has_its_record_and_counters_equal_records(results, name):
    result = results[name]
    assert result.sent > 0
    assert result.ledger.missing == 0, details([result])
    assert result.ledger.doubled == 0
    assert result.ledger.drift_tokens == 0, result.ledger.drift
    assert result.labels["500"] == 0, "a client saw a 500"
    assert result.unseen_refusals == 0, "a 503 for a database that was down left no response event"


def test_the_fault_reached_the_clients(results):
    """The run proves something only if each fault was felt: the run's own check, not the gateway's."""
    assert results["database-stopped"].labels["503 db"] > 0
    assert results["bedrock-errors"].labels["429"] + results["bedrock-errors"].labels["503"] > 0
    assert results["bedrock-errors"].labels["200 cut"] > 0
    killed = results["worker-killed"].labels
    assert killed["200 cut"] + sum(count for label, count in killed.items() if label.startswith("no answer")) > 0
    assert results["client-timeout"].labels["no answer (ReadTimeout)"] > 0


@pytest.mark.parametrize("name", [scenario(name, DEATH_SHORT) for name in SCENARIOS])
def test_no_worker_dies_unless_killed(results, name):
    assert results[name].deaths == []


def test_a_crashed_worker_locks_nobody_out_for_long(results):
    assert results["worker-killed"].lockout <= LOCKOUT_LIMIT


def test_abandoned_whole_answers_are_recorded_499(results):
    assert results["client-timeout"].ledger.abandoned_not_499 == 0


@pytest.mark.parametrize("name", [scenario(name, HEALTH_SHORT) for name in SCENARIOS if name != "database-stopped"])
def test_healthz_is_steady_while_the_database_is_up(results, name):
    assert results[name].health_failures == 0, f"{results[name].health_failures} of {results[name].health_probes}"
