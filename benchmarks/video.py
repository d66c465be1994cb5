"""Video events: what the learner's request pays, what the worker folds, and how long an event takes to the outbox.

Run: ``.venv/bin/python benchmarks/video.py [events] [--mariadb]``. Uses the stand-in LMS on a
throw-away SQLite file; ``--mariadb`` starts a private MariaDB for the run
(``xapi_plugin.testing.services.MariaDBServer``), or set ``XAPI_HOST_MYSQL_PORT`` to use one that
runs. Also starts a Redis (broker and shared cache) and, for the latency, one real Celery worker.
The MySQL driver is the test host's: ``mysqlclient`` when installed (the ``test`` extra), else
PyMySQL; ``database_driver`` says which. Each figure is printed as ``name=value``; ratios are
against baselines measured in the same run:

* ``baseline_celery_publish``: one Celery publish of the same event to Redis per event (what
  event-routing-backends' asynchronous mode pays on the request path);
* ``baseline_normalise``: normalising a tracking event (the intake's first step for every event).

Figures:

* ``ingest`` (request path): ``XapiTrackingBackend.send`` as the LMS calls it, intake in worker
  mode: dedupe, reading the event, course settings, one INSERT into the intake, the fold task
  queued (one publish per fold run); per-event median and p99 in ms.
* ``fold``: the worker's side, in this process on one core: leasing rows, viewing state
  locked/read/written, statements built, outbox rows written (``fold_events_per_s`` and
  ``fold_us_per_event``; ``fold_vs_state_step``: its share of the pure state machine's rate in
  the same run, ``fold_vs_celery_publish``: against the publish baseline's rate).
* ``event_to_outbox``: a real worker running, events sent at a steady pace: received to folded
  (the outbox rows are written in the fold's transaction).
* ``inline``: the old request path (fold in the request, ``XAPI_VIDEO_INTAKE = "inline"``).
* ``state_step``: the pure viewing state machine (segments, sessions, beacons, completion).
* ``mapping``: building statement dicts from the state machine's intents.
"""

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from xapi_plugin.testing.services import MariaDBServer, RedisServer  # noqa: E402

_MARIADB = None
if "--mariadb" in sys.argv:
    sys.argv.remove("--mariadb")
    _MARIADB = MariaDBServer().start()
    _MARIADB.create_database("xapi_bench")
    os.environ.update(XAPI_HOST_MYSQL_PORT=str(_MARIADB.port), XAPI_HOST_MYSQL_DB="xapi_bench")
_REDIS = RedisServer().start()
os.environ["XAPI_HOST_BROKER_URL"] = _REDIS.url
os.environ["XAPI_HOST_CACHE_URL"] = _REDIS.url.rsplit("/", 1)[0] + "/1"

from stand_in import start_bench_worker, start_stand_in_lms  # noqa: E402  (benchmarks/ is on sys.path when run)

_DB_DIR = start_stand_in_lms("video")

from django.conf import settings as django_settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402

COURSE = "course-v1:Bench+Video+2026"
LENGTH = 600
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def session_events(user_id: int, count: int) -> list[dict]:
    """One learner watching in 10-second play/pause stretches, with a seek now and then."""
    events = [_event("load_video", user_id, 0, duration=LENGTH)]
    position, wall = 0.0, 1.0
    while len(events) < count:
        events.append(_event("play_video", user_id, wall, currentTime=position, duration=LENGTH))
        position, wall = min(LENGTH, position + 10), wall + 10
        events.append(_event("pause_video", user_id, wall, currentTime=position, duration=LENGTH))
        if len(events) % 7 == 0:
            events.append(_event("seek_video", user_id, wall + 1, old_time=position, new_time=max(0, position - 5)))
            position = max(0, position - 5)
        wall += 2
        if position >= LENGTH:
            position = 0.0
    return events[:count]


def _event(name: str, user_id: int, at: float, **data) -> dict:
    return {
        "name": name,
        "timestamp": (START + timedelta(seconds=at)).isoformat(),
        "data": {"id": "benchvideo", "code": "html5", **data},
        "context": {"user_id": user_id, "course_id": COURSE, "session": f"s{user_id}", "page": "/unit"},
    }


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def quantiles(samples: list[float]) -> tuple[float, float]:
    """Median and 99th percentile, in ms."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000


def timed(calls) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main(total: int) -> None:
    from celery import current_app  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    import tests.host.celery_app  # noqa: F401, PLC0415 - the host's Celery app, on the Redis above
    from xapi_plugin.delivery import outbox  # noqa: PLC0415
    from xapi_plugin.intake.tracking import XapiTrackingBackend, normalise_event  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement, VideoIntake  # noqa: PLC0415
    from xapi_plugin.statements.common import course_activity  # noqa: PLC0415
    from xapi_plugin.statements.video import VideoTarget, build_video_statement  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415
    from xapi_plugin.video import intake  # noqa: PLC0415
    from xapi_plugin.video.ingest import observation_from_event  # noqa: PLC0415
    from xapi_plugin.video.viewing import VideoSettings, Viewing, step  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    cache.clear()
    outbox._schedule_delivery = lambda connection_id: None  # delivery is not measured here
    connection = LRSConnection(
        name="bench", endpoint="http://127.0.0.1:9/xAPI", contact_email="ops@example.com", available_to_all=True
    )
    connection.key, connection.secret = "k", "s"
    connection.save()
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=connection, beacon_interval="one_percent")
    standin_platform.make_course(COURSE, display_name="Bench course")
    learners = 20
    for user_id in range(1, 3 * learners + 1):
        get_user_model().objects.create(id=user_id, username=f"u{user_id}", email=f"u{user_id}@example.com")

    def interleaved(first_user: int) -> list[dict]:
        per_learner = total // learners
        streams = [session_events(user_id, per_learner) for user_id in range(first_user, first_user + learners)]
        return [stream[i] for i in range(per_learner) for stream in streams]  # as a busy LMS would

    events = interleaved(1)

    # Baseline 1: normalising each event (the intake's first step for every event).
    started = time.perf_counter()
    normalised = [normalise_event(raw) for raw in events]
    for event in normalised:
        _ = event.fingerprint
    baseline = rate(len(events), time.perf_counter() - started)

    # Baseline 2: one Celery publish of the same event to Redis (event-routing-backends' async mode).
    app = current_app._get_current_object()
    wire = [json.loads(json.dumps(raw, default=str)) for raw in events]
    publish = timed(lambda raw=raw: app.send_task("xapi_bench.noop", args=[raw]) for raw in wire)
    publish_rate = rate(len(events), sum(publish))
    publish_p50, publish_p99 = quantiles(publish)
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # drop the published messages

    # The pure state machine alone.
    observations = [observation_from_event(event) for event in normalised]
    settings = VideoSettings(True, 100, 0, "one_percent")
    viewings = {
        user_id: Viewing(user_id=user_id, video_key=observations[0].video_key, registration=f"reg{user_id}")
        for user_id in range(1, learners + 1)
    }
    started = time.perf_counter()
    intents = []
    for obs in observations:
        intents.extend(step(viewings[obs.user_id], obs, settings))
    state_step = rate(len(observations), time.perf_counter() - started)

    # Mapping alone: intents to statement dicts.
    target = VideoTarget(
        actor={"objectType": "Agent", "mbox": "mailto:u1@example.com"},
        registration="6a1f5e0c-8d2b-4c47-9a51-3f0e2b7d9c10",
        video_id="http://lms.example/xblock/block-v1:Bench+Video+2026+type@video+block@benchvideo",
        video_name=None,
        course=course_activity(COURSE, "Bench course", "http://lms.example"),
        language="en",
        root_url="http://lms.example",
    )
    started = time.perf_counter()
    for intent in intents:
        build_video_statement(intent, target)
    mapping = rate(len(intents), time.perf_counter() - started)

    # The request path: what the LMS pays per player event (worker mode, the default).
    django_settings.XAPI_VIDEO_INTAKE = "worker"
    backend = XapiTrackingBackend()
    request = timed(lambda raw=raw: backend.send(raw) for raw in events)
    ingest = rate(len(events), sum(request))
    ingest_p50, ingest_p99 = quantiles(request)
    assert VideoIntake.objects.count() == len(events) and not OutboxStatement.objects.exists()
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # the fold task queued above: folded below instead

    # The worker's fold, in this process (one core).
    profile = None
    if os.environ.get("XAPI_BENCH_PROFILE"):
        import cProfile  # noqa: PLC0415

        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    report = intake.fold_pending(time_budget=3600)
    fold_seconds = time.perf_counter() - started
    fold = rate(report["folded"], fold_seconds)
    if profile is not None:
        import pstats  # noqa: PLC0415

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    queued = OutboxStatement.objects.count()
    assert report["folded"] == len(events), report

    # The old request path for comparison: fold inside the request.
    django_settings.XAPI_VIDEO_INTAKE = "inline"
    inline_events = interleaved(learners + 1)
    inline = timed(lambda raw=raw: backend.send(raw) for raw in inline_events)
    inline_rate = rate(len(inline_events), sum(inline))
    inline_p50, _ = quantiles(inline)

    # Event to outbox with a real worker running, events sent at a steady pace.
    django_settings.XAPI_VIDEO_INTAKE = "worker"
    cache.clear()
    worker = start_bench_worker(XAPI_VIDEO_INTAKE="worker")
    try:
        paced = interleaved(2 * learners + 1)[:600]
        before = VideoIntake.objects.filter(folded_at__isnull=False).count()
        for raw in paced:
            backend.send(raw)
            time.sleep(0.005)  # ~150 events/s, several learners' players at once
        deadline = time.monotonic() + 60
        while VideoIntake.objects.filter(folded_at__isnull=False).count() < before + len(paced):
            if time.monotonic() > deadline:
                raise SystemExit("the worker did not fold the paced events within 60 s")
            time.sleep(0.05)
        user_ids = {raw["context"]["user_id"] for raw in paced}
        latencies = [
            (folded - received).total_seconds()
            for received, folded in VideoIntake.objects.filter(user_id__in=user_ids).values_list(
                "received_at", "folded_at"
            )
        ]
    finally:
        worker.stop()
    latency_p50, latency_p99 = quantiles(latencies)

    from django.db import connection  # noqa: PLC0415

    vendor = connection.vendor
    driver = "sqlite3" if vendor == "sqlite" else type(connection.connection).__module__.split(".")[0]
    print(f"database={vendor}")
    print(f"database_driver={ {'MySQLdb': 'mysqlclient', 'pymysql': 'PyMySQL'}.get(driver, driver) }")
    print(f"events={len(events)}")
    print(f"statements_per_event={queued / len(events):.2f}")
    print(f"baseline_normalise_events_per_s={baseline:.0f}")
    print(f"baseline_celery_publish_events_per_s={publish_rate:.0f}")
    print(f"baseline_celery_publish_ms_p50={publish_p50:.3f}")
    print(f"baseline_celery_publish_ms_p99={publish_p99:.3f}")
    print(f"ingest_events_per_s={ingest:.0f}")
    print(f"ingest_ms_p50={ingest_p50:.3f}")
    print(f"ingest_ms_p99={ingest_p99:.3f}")
    print(f"ingest_vs_celery_publish={publish_p50 and ingest_p50 / publish_p50:.3f}")
    print(f"ingest_vs_celery_publish_mean={publish_rate / ingest:.3f}")
    print(f"fold_events_per_s={fold:.0f}")
    print(f"fold_us_per_event={fold_seconds / report['folded'] * 1e6:.0f}")
    print(f"fold_vs_state_step={fold / state_step:.3f}")
    print(f"fold_vs_celery_publish={fold / publish_rate:.3f}")
    print(f"inline_ingest_events_per_s={inline_rate:.0f}")
    print(f"inline_ingest_ms_p50={inline_p50:.3f}")
    print(f"event_to_outbox_ms_p50={latency_p50:.1f}")
    print(f"event_to_outbox_ms_p99={latency_p99:.1f}")
    print(f"event_to_outbox_vs_celery_publish={latency_p50 / publish_p50:.1f}")
    print(f"state_step_events_per_s={state_step:.0f}")
    print(f"mapping_statements_per_s={mapping:.0f}")
    print(f"ingest_vs_baseline={ingest / baseline:.4f}")
    print(f"state_step_vs_baseline={state_step / baseline:.4f}")
    print(f"mapping_vs_baseline={mapping / baseline:.4f}")


if __name__ == "__main__":
    try:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
    finally:
        _REDIS.stop()
        if _MARIADB is not None:
            _MARIADB.stop()
