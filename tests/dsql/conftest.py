"""The DSQL profile's tests run only under it (make test-dsql); the guard's own test runs everywhere."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def dsql_profile():
    if connection.vendor != "dsql":
        pytest.skip("needs the Aurora DSQL profile: make test-dsql")
    from tests.dsql.base import conflicts  # the profile's backend, importable only with psycopg

    conflicts.disarm()
    yield conflicts
    conflicts.disarm()
