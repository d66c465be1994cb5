"""Delivery throughput against a real LRS, compared with a bare HTTP client in the same run.

Starts MariaDB, Redis, Learning Locker's statement service and one Celery worker process of the
stand-in host (solo pool: one process, one core's worth of work), all on 127.0.0.1.

1. For batch sizes 1, 10 and 100: a bare ``requests`` session posts pre-serialised batches to a
   fresh LRS (the baseline), then the plugin delivers the same number of statements from the
   outbox to the same LRS. Rates are statements/s; ``ratio_bN`` = plugin / bare.
2. Outage: the LRS is stopped, 50,000 statements are queued (the worker fails, alerts and backs
   off), the LRS comes back on the same port; the time until the last one is delivered is
   measured, and the worker's resident memory is sampled throughout.

Run: ``.venv/bin/python benchmarks/delivery.py [--quick]``. Prints ``name=value`` lines.
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xapi_plugin.testing.local_lrs import XAPI_HEADERS, LocalLRS  # noqa: E402
from xapi_plugin.testing.services import CeleryWorker, MariaDBServer, RedisServer  # noqa: E402

DATABASE = "xapi_bench"
WORKER_SETTINGS = {
    "XAPI_RETRY_BASE_DELAY": 0.5,
    "XAPI_RETRY_MAX_DELAY": 2.0,
    "XAPI_SWEEP_INTERVAL": 1,
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
}


def statement(index: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": "http://lms.bench.test", "name": f"l{index % 500}"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": f"http://lms.bench.test/course/block-{index % 50}",
            "definition": {"name": {"en-US": "Unit"}, "type": "http://adlnet.gov/expapi/activities/module"},
        },
        "timestamp": "2026-05-01T12:00:00.000Z",
    }


def bare_rate(lrs: LocalLRS, count: int, batch_size: int) -> float:
    """Statements/s of a plain pooled session posting pre-serialised batches one after another."""
    import requests  # noqa: PLC0415

    batches = [
        json.dumps([statement(i) for i in range(start, min(count, start + batch_size))], separators=(",", ":")).encode()
        for start in range(0, count, batch_size)
    ]
    session = requests.Session()
    headers = dict(XAPI_HEADERS, **{"Content-Type": "application/json"})
    started = time.perf_counter()
    for body in batches:
        answer = session.post(f"{lrs.endpoint}/statements", data=body, headers=headers, auth=lrs.auth, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"the LRS answered {answer.status_code} to the bare client")
    elapsed = time.perf_counter() - started
    session.close()
    return count / elapsed


def make_connection(name: str, endpoint: str):
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    connection = LRSConnection(name=name, endpoint=endpoint, contact_email="ops@bench.test")
    connection.key, connection.secret = "k", "s"
    connection.save()
    return connection


def fill_outbox(connection, count: int, chunk: int = 1000) -> None:
    from xapi_plugin.delivery.outbox import enqueue_statements  # noqa: PLC0415

    for start in range(0, count, chunk):
        enqueue_statements(
            [statement(i) for i in range(start, min(count, start + chunk))],
            connection_id=connection.pk,
            course_key="course-v1:Bench+B+1",
            user_id=None,
        )


def delivered_span(connection, count: int, started_wall, timeout: float) -> float:
    """Seconds from ``started_wall`` to the last delivery, once all ``count`` rows are delivered."""
    from django.db.models import Max  # noqa: PLC0415

    from xapi_plugin.core.constants import OutboxState  # noqa: PLC0415
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    rows = OutboxStatement.objects.filter(connection=connection)
    deadline = time.monotonic() + timeout
    while rows.filter(state=OutboxState.DELIVERED).count() < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {rows.filter(state=OutboxState.DELIVERED).count()}/{count} delivered in time")
        time.sleep(0.25)
    last = rows.aggregate(last=Max("delivered_at"))["last"]
    return (last - started_wall).total_seconds()


def lost_or_duplicated(lrs: LocalLRS, connection) -> int:
    """Statements of the connection's outbox missing from the LRS, plus extra copies in it (0 is right)."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    expected = {
        str(value)
        for value in OutboxStatement.objects.filter(connection=connection).values_list("statement_id", flat=True)
    }
    stored = lrs.statement_ids()
    return len(expected - set(stored)) + (len(stored) - len(set(stored)))


def forget_queued_tasks(redis_server) -> None:
    import redis  # noqa: PLC0415
    from django.core.cache import cache  # noqa: PLC0415

    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    client.flushall()
    client.close()
    cache.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Smaller counts (a smoke run).")
    options = parser.parse_args()
    counts = {1: 1000, 10: 5000, 100: 20000} if not options.quick else {1: 200, 10: 1000, 100: 3000}
    backlog = 50_000 if not options.quick else 5000

    mariadb = MariaDBServer().start()
    mariadb.create_database(DATABASE)
    redis = RedisServer().start()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tests.host.lms_settings",
        XAPI_HOST_MYSQL_PORT=str(mariadb.port),
        XAPI_HOST_MYSQL_DB=DATABASE,
        XAPI_HOST_BROKER_URL=redis.url,
    )
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from xapi_plugin.delivery.tasks import schedule_delivery  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.host.lms_settings",
        "XAPI_HOST_MYSQL_PORT": mariadb.port,
        "XAPI_HOST_MYSQL_DB": DATABASE,
        "XAPI_HOST_BROKER_URL": redis.url,
    }
    figures: dict[str, float] = {}
    worker = None
    try:
        for batch_size, count in counts.items():
            # Each side gets a fresh LRS: the in-memory LRS slows down as it fills up.
            with LocalLRS() as lrs:
                figures[f"bare_rate_b{batch_size}"] = bare_rate(lrs, count, batch_size)
            with LocalLRS() as lrs:
                connection = make_connection(f"bench b{batch_size}", lrs.endpoint)
                fill_outbox(connection, count)
                # Only the timed run below may start delivery: drop the tasks queued while filling.
                forget_queued_tasks(redis)
                settings_json = json.dumps(dict(WORKER_SETTINGS, XAPI_BATCH_SIZE=batch_size))
                worker = CeleryWorker(
                    "tests.host.celery_app",
                    name=f"bench{batch_size}",
                    cwd=str(ROOT),
                    env=dict(env, XAPI_HOST_SETTINGS_JSON=settings_json),
                ).start()
                started = timezone.now()
                schedule_delivery(connection.pk)
                span = delivered_span(connection, count, started, timeout=600)
                plugin_rate = count / span
                figures[f"plugin_rate_b{batch_size}"] = plugin_rate
                figures[f"ratio_b{batch_size}"] = plugin_rate / figures[f"bare_rate_b{batch_size}"]
                figures[f"lost_or_duplicated_b{batch_size}"] = lost_or_duplicated(lrs, connection)
                worker.stop()
                worker = None

        # Outage then drain.
        lrs = LocalLRS().start()
        connection = make_connection("bench outage", lrs.endpoint)
        worker = CeleryWorker(
            "tests.host.celery_app",
            name="drain",
            cwd=str(ROOT),
            beat=True,
            env=dict(env, XAPI_HOST_SETTINGS_JSON=json.dumps(dict(WORKER_SETTINGS, XAPI_BATCH_SIZE=100))),
        ).start()
        samples = [worker.rss_kib()]
        stop_sampling = threading.Event()

        def sample() -> None:
            while not stop_sampling.wait(0.5):
                samples.append(worker.rss_kib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        port = lrs.port
        lrs.stop()
        queued_at = time.perf_counter()
        fill_outbox(connection, backlog)
        figures["backlog_queue_seconds"] = time.perf_counter() - queued_at
        connection.refresh_from_db()
        figures["outage_status_is_cant_connect"] = int(connection.status == "CANT_CONNECT")
        lrs = LocalLRS(port=port).start()
        restarted = timezone.now()
        figures[f"drain_{backlog}_seconds"] = delivered_span(connection, backlog, restarted, timeout=900)
        figures["drain_rate"] = backlog / figures[f"drain_{backlog}_seconds"]
        stop_sampling.set()
        sampler.join()
        samples.append(worker.rss_kib())
        figures["drain_lost_or_duplicated"] = lost_or_duplicated(lrs, connection)
        lrs.stop()
        figures["worker_rss_start_mib"] = samples[0] / 1024
        figures["worker_rss_max_mib"] = max(samples) / 1024
        figures["worker_rss_end_mib"] = samples[-1] / 1024
        # Growth between the first and last quarter of the drain: flat memory stays near 0.
        quarter = max(1, len(samples) // 4)
        early, late = samples[1 : 1 + quarter] or samples[:1], samples[-quarter:]
        figures["worker_rss_growth_mib"] = (sum(late) / len(late) - sum(early) / len(early)) / 1024
    finally:
        if worker:
            worker.stop()
        redis.stop()
        mariadb.stop()
    for name, value in figures.items():
        print(f"{name}={value:.2f}" if isinstance(value, float) else f"{name}={value}")


if __name__ == "__main__":
    main()
