"""A fresh serverless function, started as the Lambda image starts it, answers its first chat completion without
loading what that answer does not need (the admin, the portal, the API schema, CloudWatch's handler, boto3).

The time it took is printed, never asserted: `make coldstart` measures it properly (median of several runs, on the
packaged dependencies) and docs/performance.md records it.
"""

from __future__ import annotations

import json

from bench.coldstart import cold_start
from tests.live import server_env


def _started(emulator, static_root, issue, django_db_blocker, *, imports: bool = False):
    from gateway.models import ModelAlias
    from tests.catalog import catalog_seed

    with django_db_blocker.unblock():
        if not ModelAlias.objects.filter(name="claude-4-sonnet").exists():
            catalog_seed()
    env = server_env(AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url, STATIC_ROOT=str(static_root))
    return cold_start(env, issue("coldstart@test"), imports=imports)


def test_a_fresh_function_answers_its_first_chat_completion(emulator, static_root, issue, django_db_blocker, capsys):
    run = _started(emulator, static_root, issue, django_db_blocker)
    with capsys.disabled():
        print(
            f"\ncold start to the first /v1 answer: {run.seconds:.2f} s ({run.cpu_seconds:.2f} s of CPU), "
            f"peak RSS {run.peak_rss_mb:.0f} MB over {run.processes} processes"
        )
    assert run.status == 200, run.body[:500]
    answer = json.loads(run.body)
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"]


def test_the_first_answer_loads_neither_the_admin_nor_the_schema_nor_boto3(
    emulator, static_root, issue, django_db_blocker
):
    run = _started(emulator, static_root, issue, django_db_blocker, imports=True)
    assert run.status == 200, run.body[:500]
    loaded = set(run.modules)
    assert "gateway.views.chat" in loaded  # the profile did see the process's imports
    assert run.unneeded() == []


def test_the_health_check_comes_first_so_it_answers_alone_as_the_site_would(settings):
    """GET /healthz is answered by a handler built with the health check alone (`sbcproject.asgi`), not the site's:
    the same answer only while the health check runs before every other middleware."""
    from sbcproject.asgi import HEALTH_CHECK

    assert settings.MIDDLEWARE[0] == HEALTH_CHECK
