"""Aurora DSQL's own Django backend (aurora_dsql_django 0.7), run against the local PostgreSQL.

Three changes, nothing else: it signs in with the profile's user and password instead of an IAM token; it turns the
DSQL-only statements PostgreSQL does not know into their PostgreSQL forms (`CREATE [UNIQUE] INDEX ASYNC`,
`ALTER TABLE ASYNC ... VALIDATE CONSTRAINT`, `CALL sys.wait_for_job`); and every statement passes the guard
(`tests.dsql.guard`) first, which fails the test on anything Aurora DSQL refuses. `conflicts` makes chosen
commits fail as DSQL's do when another transaction changed the same rows (SQLSTATE 40001, OC000).
"""

from __future__ import annotations

import re
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import psycopg
from aurora_dsql_django import base as dsql
from aurora_dsql_django.operations import DatabaseOperations as DsqlOperations
from django.db.backends.postgresql import base as postgresql

from tests.dsql.guard import Refused, Transaction, refusals

CONNECTOR_ONLY = ("region", "profile", "token_duration_secs", "custom_credentials_provider")
_ASYNC_INDEX = re.compile(r"^(\s*CREATE\s+(UNIQUE\s+)?INDEX)\s+ASYNC\b", re.I)
_ASYNC_VALIDATE = re.compile(r"^(\s*ALTER\s+TABLE)\s+ASYNC\b", re.I)
_WAIT_FOR_JOB = re.compile(r"^\s*CALL\s+sys\.wait_for_job\(", re.I)
OC000 = "change conflicts with another transaction, please retry: (OC000)"
ROOT = Path(__file__).resolve().parents[2]
TESTS, PROFILE = str(ROOT / "tests") + "/", str(ROOT / "tests" / "dsql") + "/"


def sent_by_a_test() -> bool:
    """Whether the statement comes straight from a test's own setup (its nearest frame of this repository is in
    tests/), not from the product: the guard holds the product to DSQL's rules, not the tests' fixtures."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(str(ROOT)) and "/.venv/" not in path and not path.startswith(PROFILE):
            return path.startswith(TESTS)
        frame = frame.f_back
    return False


class CommitConflicts:
    """`arm(n)`: the n-th commit from now, and each of the `times - 1` after it, fails with DSQL's OC000."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.countdown, self.left, self.raised = 0, 0, 0

    def arm(self, nth: int = 1, times: int = 1) -> None:
        with self._lock:
            self.countdown, self.left, self.raised = nth, times, 0

    def disarm(self) -> None:
        self.arm(0, 0)

    def should_fail(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.countdown -= 1
            if self.countdown > 0:
                return False
            self.left -= 1
            self.countdown = 1
            self.raised += 1
            return True


conflicts = CommitConflicts()


class DatabaseOperations(DsqlOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        """Emptying tables between tests: DELETE, since DSQL has no TRUNCATE."""
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


class DatabaseWrapper(dsql.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dsql_transaction = Transaction()
        self.standing_in = False  # a savepoint standing in for a transaction of the product's, inside a test's
        self.execute_wrappers.append(self._guard)

    def get_new_connection(self, conn_params):
        """PostgreSQL's own connect, with a password, in place of the connector's IAM token."""
        params = {key: value for key, value in conn_params.items() if key not in CONNECTOR_ONLY}
        return postgresql.DatabaseWrapper.get_new_connection(self, params)

    def _guard(self, execute, sql, params, many, context):
        text = sql if isinstance(sql, str) else str(sql)
        if self.standing_in:
            return execute(sql, params, many, context)
        problems = [] if sent_by_a_test() else refusals(text)
        if self.get_autocommit():
            problems += Transaction().add(text)
        else:
            problems += self.dsql_transaction.add(text)
        if problems:
            raise Refused(f"Aurora DSQL refuses {', '.join(problems)}: {text[:300]}")
        if _ASYNC_INDEX.match(text):
            return execute(_ASYNC_INDEX.sub(r"\1", text, count=1), params, many, context)
        if _ASYNC_VALIDATE.match(text):  # DSQL answers with the id of the job it started
            execute(_ASYNC_VALIDATE.sub(r"\1", text, count=1), params, many, context)
            return execute("SELECT 'local-validation'", None, False, context)
        if _WAIT_FOR_JOB.match(text):  # the validation above already ran: the job succeeded
            return execute("SELECT true", None, False, context)
        return execute(sql, params, many, context)

    def _savepoint_allowed(self):
        """A test wraps itself in a transaction: the product's outermost `atomic()` inside it is, on DSQL, a
        transaction of its own, so it gets a savepoint here to stand for one (and only it: a block nested in the
        product's own transaction gets none, as on DSQL)."""
        return bool(self.atomic_blocks) and all(getattr(block, "_from_testcase", False) for block in self.atomic_blocks)

    def _savepoint(self, sid):
        self.dsql_transaction = Transaction()
        with self._standing_in():
            super()._savepoint(sid)

    def _savepoint_commit(self, sid):
        self.dsql_transaction = Transaction()
        with self._standing_in():
            super()._savepoint_commit(sid)

    def _savepoint_rollback(self, sid):
        self.dsql_transaction = Transaction()
        with self._standing_in():
            super()._savepoint_rollback(sid)

    @contextmanager
    def _standing_in(self):
        self.standing_in = True
        try:
            yield
        finally:
            self.standing_in = False

    def _commit(self):
        self.dsql_transaction = Transaction()
        if self.connection is not None and conflicts.should_fail():
            super()._rollback()
            with self.wrap_database_errors:
                raise psycopg.errors.SerializationFailure(OC000)
        return super()._commit()

    def _rollback(self):
        self.dsql_transaction = Transaction()
        return super()._rollback()

    def _set_autocommit(self, autocommit):
        self.dsql_transaction = Transaction()
        return super()._set_autocommit(autocommit)
