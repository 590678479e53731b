"""GET /healthz: liveness for load balancers, with a cheap database check.

One lost connection is not a database that is down: a failed check is tried once more on a fresh connection
before the answer is 503.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse

from core.db_breaker import breaker as database_breaker


def _database_answers() -> bool:
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any database failure means "not healthy"
            if attempt == 2 or connection.in_atomic_block:
                database_breaker.failed(exc)
                return False
            try:
                connection.close()  # the next try opens a fresh connection
            except DatabaseError:
                pass
        else:
            database_breaker.succeeded()
            return True
    return False


def healthz(request):
    if not _database_answers():
        return JsonResponse({"status": "unhealthy", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
