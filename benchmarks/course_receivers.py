"""Course receivers on the request path: what a grade change costs inside the caller's transaction.

Run: ``.venv/bin/python benchmarks/course_receivers.py [calls]`` (set ``XAPI_HOST_MYSQL_PORT`` for
MariaDB). Prints ``name=value``: median and p99 of one ``PERSISTENT_GRADE_SUMMARY_CHANGED`` sent
inside ``transaction.atomic()`` (openedx-events' ``send_event``, reaching the plugin's receiver, as
the platform's grade update does), for a grade that changed (a statement is written) and one that
did not (compared and dropped), against the baseline measured in the same run: an empty
``transaction.atomic()`` with one ``SELECT 1``.
"""

import statistics
import sys
import time
from datetime import UTC, datetime

from stand_in import start_stand_in_lms  # noqa: E402  (benchmarks/ is on sys.path when run)

_DB_DIR = start_stand_in_lms("course-receivers")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

COURSE = "course-v1:Bench+Course+2026"


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000


def main(calls: int) -> None:
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415
    from openedx_events.learning.data import CourseData, PersistentCourseGradeData  # noqa: PLC0415
    from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED  # noqa: PLC0415

    from xapi_plugin.delivery import outbox  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings, LRSConnection  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    outbox._schedule_delivery = lambda connection_id: None  # no broker: delivery is not measured here
    lrs = LRSConnection(
        name="bench", endpoint="http://127.0.0.1:9/xAPI", contact_email="ops@example.com", available_to_all=True
    )
    lrs.key, lrs.secret = "k", "s"
    lrs.save()
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=lrs)
    standin_platform.make_course(COURSE, display_name="Bench course")
    users = [get_user_model().objects.create(username=f"c{n}", email=f"c{n}@example.com").pk for n in range(50)]

    def grade(user_id: int, percent: float) -> PersistentCourseGradeData:
        return PersistentCourseGradeData(
            user_id=user_id,
            course=CourseData(course_key=CourseKey.from_string(COURSE), display_name="Bench course"),
            course_edited_timestamp=datetime(2026, 1, 1, tzinfo=UTC),
            course_version="v1",
            grading_policy_hash="hash",
            percent_grade=percent,
            letter_grade="",
            passed_timestamp=None,
        )

    def timed(make) -> list[float]:
        samples = []
        for n in range(calls):
            data = make(n)
            started = time.perf_counter()
            with transaction.atomic():
                PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=data)
            samples.append(time.perf_counter() - started)
        return samples

    baseline = []
    for _ in range(calls):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        baseline.append(time.perf_counter() - started)
    changed = timed(lambda n: grade(users[n % len(users)], 0.01 + 0.9 * n / calls))
    unchanged = timed(lambda n: grade(users[n % len(users)], 0.91))
    unchanged = timed(lambda n: grade(users[n % len(users)], 0.91))  # second pass: nothing changes any more

    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    written = OutboxStatement.objects.count()
    base_p50, base_p99 = quantiles(baseline)
    changed_p50, changed_p99 = quantiles(changed)
    same_p50, same_p99 = quantiles(unchanged)
    print(f"database={connection.vendor}")
    print(f"statements_written={written}")
    print(f"baseline_atomic_select1_ms_p50={base_p50:.3f}")
    print(f"grade_changed_receiver_ms_p50={changed_p50:.3f}")
    print(f"grade_changed_receiver_ms_p99={changed_p99:.3f}")
    print(f"grade_unchanged_receiver_ms_p50={same_p50:.3f}")
    print(f"grade_unchanged_receiver_ms_p99={same_p99:.3f}")
    print(f"grade_changed_vs_baseline={changed_p50 / base_p50:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
