"""Aurora DSQL's own Django backend (aurora_dsql_django 0.7), run against the local PostgreSQL.

Three changes, nothing else: it signs in with the profile's user and password instead of an IAM token; it turns the
DSQL-only statements PostgreSQL does not know into their PostgreSQL forms (`CREATE [UNIQUE] INDEX ASYNC`,
`ALTER TABLE ASYNC ... VALIDATE CONSTRAINT`, `CALL sys.wait_for_job`); and every statement passes the guard
(`tests.dsql.guard`) first, which fails the test on anything Aurora DSQL refuses. `conflicts` makes chosen
commits fail as DSQL's do when another transaction changed the same rows (SQLSTATE 40001, OC000).
"""

from __future__ import annotations

import re
import threading

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
        self.execute_wrappers.append(self._guard)

    def get_new_connection(self, conn_params):
        """PostgreSQL's own connect, with a password, in place of the connector's IAM token."""
        params = {key: value for key, value in conn_params.items() if key not in CONNECTOR_ONLY}
        return postgresql.DatabaseWrapper.get_new_connection(self, params)

    def _guard(self, execute, sql, params, many, context):
        text = sql if isinstance(sql, str) else str(sql)
        problems = refusals(text)
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
