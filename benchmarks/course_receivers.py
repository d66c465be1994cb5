"""Course receivers and tracking families: what the learner's request pays, and what the worker reports.

Run: ``.venv/bin/python benchmarks/course_receivers.py [calls]`` (set ``XAPI_HOST_MYSQL_PORT`` for
MariaDB). Starts a Redis (broker and shared cache, as in a deployment). Prints ``name=value``.

Request path, each call inside ``transaction.atomic()`` as the platform's own code sends it
(openedx-events' ``send_event`` reaching the plugin's receiver, or ``XapiTrackingBackend.send``),
the commit included:

* ``grade_changed_request``: ``PERSISTENT_GRADE_SUMMARY_CHANGED``, event intake in worker mode
  (the default): one INSERT, and the fold task queued at most once per run;
* ``enrolment_request``, ``navigation_request``, ``problem_request``: the same for an enrolment
  and for a navigation and a server ``problem_check`` tracking event;
* ``grade_changed_inline``: the old request path (``XAPI_EVENT_INTAKE = "inline"``: settings,
  state row lock, statement and outbox write in the request), for comparison.

Baselines measured in the same run: ``baseline_atomic_select1`` (an empty ``atomic()`` with one
``SELECT 1``: the transaction the receiver sits in) and ``baseline_celery_publish`` (one Celery
publish of the grade event to Redis: what event-routing-backends' asynchronous mode pays).
``*_added_ms_p50`` is the median minus the empty transaction's. Worker side: ``fold_events_per_s``
(the grade changes stored above reported in this process, one core: settings, state row, statement,
outbox), and ``event_to_outbox`` (a real Celery worker running, navigation events sent at a steady
pace: received to reported, the outbox rows being written in the report's transaction).
"""

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from xapi_plugin.testing.services import RedisServer  # noqa: E402

_REDIS = RedisServer().start()
os.environ["XAPI_HOST_BROKER_URL"] = _REDIS.url
os.environ["XAPI_HOST_CACHE_URL"] = _REDIS.url.rsplit("/", 1)[0] + "/1"

from stand_in import start_bench_worker, start_stand_in_lms  # noqa: E402  (benchmarks/ is on sys.path when run)

_DB_DIR = start_stand_in_lms("course-receivers")

from django.conf import settings as django_settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

COURSE = "course-v1:Bench+Course+2026"
PROBLEM = "block-v1:Bench+Course+2026+type@problem+block@p1"
UNIT = "block-v1:Bench+Course+2026+type@vertical+block@u{}"


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000


def timed(calls) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        with transaction.atomic():
            call()
        samples.append(time.perf_counter() - started)
    return samples


def navigation_event(user_id: int, n: int) -> dict:
    return {
        "name": "edx.ui.lms.sequence.next_selected",
        "timestamp": f"2026-03-02T10:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}+00:00",
        "data": {"current_tab": 2, "id": UNIT.format(n % 9), "tab_count": 9, "widget_placement": "top"},
        "context": {"user_id": user_id, "course_id": COURSE, "event_source": "browser", "path": "/event"},
    }


def problem_event(user_id: int, n: int) -> dict:
    answer = "p1_2_1"
    return {
        "name": "problem_check",
        "timestamp": f"2026-03-02T11:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}+00:00",
        "data": {
            "problem_id": PROBLEM,
            "attempts": 1 + n % 3,
            "grade": 1,
            "max_grade": 1,
            "correct_map": {answer: {"correctness": "correct", "npoints": None}},
            "answers": {answer: "choice_1"},
            "submission": {answer: {"question": "Pick one", "answer": "One", "response_type": "choiceresponse"}},
            "success": "correct",
        },
        "context": {"user_id": user_id, "course_id": COURSE, "event_source": "server", "module": {"display_name": "P"}},
    }


def main(calls: int) -> None:
    from celery import current_app  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415
    from openedx_events.learning.data import (  # noqa: PLC0415
        CourseData,
        CourseEnrollmentData,
        PersistentCourseGradeData,
        UserData,
        UserPersonalData,
    )
    from openedx_events.learning.signals import (  # noqa: PLC0415
        COURSE_ENROLLMENT_CREATED,
        PERSISTENT_GRADE_SUMMARY_CHANGED,
    )

    import tests.host.celery_app  # noqa: F401, PLC0415 - the host's Celery app, on the Redis above
    from xapi_plugin.delivery import outbox  # noqa: PLC0415
    from xapi_plugin.intake import XapiTrackingBackend, fold_pending_events  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings, EventIntake, LRSConnection, OutboxStatement  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    cache.clear()
    outbox._schedule_delivery = lambda connection_id: None  # delivery is not measured here
    lrs = LRSConnection(
        name="bench", endpoint="http://127.0.0.1:9/xAPI", contact_email="ops@example.com", available_to_all=True
    )
    lrs.key, lrs.secret = "k", "s"
    lrs.save()
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=lrs)
    standin_platform.make_course(COURSE, display_name="Bench course")
    course = CourseData(course_key=CourseKey.from_string(COURSE), display_name="Bench course")
    users = [get_user_model().objects.create(username=f"c{n}", email=f"c{n}@example.com") for n in range(50)]

    def grade(user_id: int, percent: float) -> PersistentCourseGradeData:
        return PersistentCourseGradeData(
            user_id=user_id,
            course=course,
            course_edited_timestamp=datetime(2026, 1, 1, tzinfo=UTC),
            course_version="v1",
            grading_policy_hash="hash",
            percent_grade=percent,
            letter_grade="",
            passed_timestamp=None,
        )

    def enrollment(user) -> CourseEnrollmentData:
        return CourseEnrollmentData(
            user=UserData(id=user.pk, is_active=True, pii=UserPersonalData(username=user.username, email=user.email)),
            course=course,
            mode="audit",
            is_active=True,
            creation_date=datetime(2026, 1, 1, tzinfo=UTC),
        )

    def grade_calls(offset: float):
        return [
            lambda n=n: PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(
                grade=grade(users[n % len(users)].pk, offset + 0.9 * n / calls)
            )
            for n in range(calls)
        ]

    # Baseline 1: the caller's transaction with nothing of ours in it.
    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    baseline = timed([select_one] * calls)
    # Baseline 2: one Celery publish of the grade event (event-routing-backends' async mode).
    app = current_app._get_current_object()
    wire = json.loads(json.dumps({"grade": grade(users[0].pk, 0.5).__dict__}, default=str))
    publish = []
    for _ in range(calls):
        started = time.perf_counter()
        app.send_task("xapi_bench.noop", args=[wire])
        publish.append(time.perf_counter() - started)
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()

    # The request path, worker mode (the default).
    django_settings.XAPI_EVENT_INTAKE = "worker"
    changed = timed(grade_calls(0.01))
    stored = EventIntake.objects.count()
    assert stored == calls and not OutboxStatement.objects.exists(), (stored, OutboxStatement.objects.count())
    enrol = timed(
        [lambda user=user: COURSE_ENROLLMENT_CREATED.send_event(enrollment=enrollment(user)) for user in users]
    )
    backend = XapiTrackingBackend()
    navigation = timed([lambda n=n: backend.send(navigation_event(users[n % 50].pk, n)) for n in range(calls)])
    problems = timed([lambda n=n: backend.send(problem_event(users[n % 50].pk, n)) for n in range(calls)])
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # the fold task queued above: folded below instead

    # The worker: report everything stored above, in this process (one core).
    total = EventIntake.objects.filter(folded_at__isnull=True).count()
    profile = None
    if os.environ.get("XAPI_BENCH_PROFILE"):
        import cProfile  # noqa: PLC0415

        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    report = fold_pending_events(time_budget=3600)
    fold_seconds = time.perf_counter() - started
    if profile is not None:
        import pstats  # noqa: PLC0415

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    assert report["folded"] == total, (report, total)
    written = OutboxStatement.objects.count()

    # Event to outbox with a real worker running, events sent at a steady pace.
    cache.clear()
    worker = start_bench_worker(XAPI_EVENT_INTAKE="worker")
    try:
        paced_from = EventIntake.objects.order_by("-id").values_list("id", flat=True).first()
        for n in range(min(calls, 600)):
            with transaction.atomic():
                backend.send(navigation_event(users[n % 50].pk, 100_000 + n))
            time.sleep(0.01)  # ~80 events/s: many learners moving through units at once
        deadline = time.monotonic() + 60
        paced = EventIntake.objects.filter(id__gt=paced_from)
        while paced.filter(folded_at__isnull=True).exists():
            if time.monotonic() > deadline:
                raise SystemExit("the worker did not report the paced events within 60 s")
            time.sleep(0.05)
        latencies = [
            (folded - received).total_seconds() for received, folded in paced.values_list("received_at", "folded_at")
        ]
    finally:
        worker.stop()

    # The old request path, for comparison: everything in the request.
    django_settings.XAPI_EVENT_INTAKE = "inline"
    inline = timed(grade_calls(0.02))

    base_p50, base_p99 = quantiles(baseline)
    publish_p50, publish_p99 = quantiles(publish)
    print(f"database={connection.vendor}")
    print(f"calls={calls}")
    print(f"events_folded={total}")
    print(f"statements_written={written}")
    print(f"baseline_atomic_select1_ms_p50={base_p50:.3f}")
    print(f"baseline_atomic_select1_ms_p99={base_p99:.3f}")
    print(f"baseline_celery_publish_ms_p50={publish_p50:.3f}")
    print(f"baseline_celery_publish_ms_p99={publish_p99:.3f}")
    for name, samples in (
        ("grade_changed_request", changed),
        ("enrolment_request", enrol),
        ("navigation_request", navigation),
        ("problem_request", problems),
        ("grade_changed_inline", inline),
    ):
        p50, p99 = quantiles(samples)
        print(f"{name}_ms_p50={p50:.3f}")
        print(f"{name}_ms_p99={p99:.3f}")
        print(f"{name}_added_ms_p50={p50 - base_p50:.3f}")
        print(f"{name}_vs_baseline={p50 / base_p50:.2f}")
    print(f"grade_changed_request_vs_inline={quantiles(changed)[0] / quantiles(inline)[0]:.2f}")
    print(f"fold_events_per_s={total / fold_seconds:.0f}")
    latency_p50, latency_p99 = quantiles(latencies)
    print(f"event_to_outbox_ms_p50={latency_p50:.1f}")
    print(f"event_to_outbox_ms_p99={latency_p99:.1f}")


if __name__ == "__main__":
    try:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    finally:
        _REDIS.stop()
