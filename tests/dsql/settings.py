"""The suite's settings with Aurora DSQL's backend on the local PostgreSQL (`make test-dsql`).

DATABASE_URL is a dsql:// URL, as in production, read by the same settings; only the engine (the adapter's own
classes, signing in with a password: tests.dsql.base) and the connection options change. Its own database
(test_dsql_<pid>) keeps it apart from the PostgreSQL run of the suite. Transactions run at REPEATABLE READ, the
isolation DSQL gives, so that two writers of one row conflict as they do there.
"""

import os

from psycopg import IsolationLevel

os.environ["DATABASE_URL"] = os.environ.get("DSQL_TEST_DATABASE_URL", "dsql://postgres@127.0.0.1:5432/dsql")

from tests.settings import *  # noqa: E402,F401,F403

DATABASES["default"].update(  # noqa: F405
    ENGINE="tests.dsql",
    OPTIONS={"sslmode": "disable", "isolation_level": IsolationLevel.REPEATABLE_READ},
    TEST={"NAME": f"test_dsql_{os.getpid()}"},  # one per run, like the PostgreSQL run's
)
