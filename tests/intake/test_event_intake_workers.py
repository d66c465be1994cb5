"""The event intake with real Celery workers on a deployed-like host: MariaDB, Redis, worker processes.

The learner's request (an openedx-events ``send_event``, an ``/event`` tracking event) only stores
the event; workers report it and write the outbox. Faults are real: the broker unreachable when the
requests end, a worker SIGKILLed while it holds a fold, two workers folding at once. Each test ends
by checking the outbox holds exactly the statements the events call for in event order (worked out
here from the script, not by the plugin): nothing lost, nothing doubled.
"""

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection as db_connection
from openedx_events.learning import signals

from tests.course import support
from tests.delivery.conftest import _point_app_at, real_host, real_host_services  # noqa: F401 - fixtures
from tests.delivery.realhost import folded_by, wait_for
from xapi_plugin.intake import XapiTrackingBackend, event_intake, normalise_event
from xapi_plugin.models import (
    CourseSettings,
    EventIntake,
    LearnerCourseAgent,
    LearnerCourseState,
    LRSConnection,
    OutboxStatement,
)
from xapi_plugin.statements import statement_id
from xapi_plugin.statements import vocabulary as v

pytestmark = pytest.mark.integration

COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"
WORKER_MODE = {"XAPI_EVENT_INTAKE": "worker"}
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
UNIT = "block-v1:edX+DemoX+Demo_Course+type@vertical+block@u{}"
PAGE = f"https://apps.example.com/learning/course/{COURSE_KEY}/block-v1:edX+DemoX+Demo_Course+type@sequential+block@s1/"


@pytest.fixture
def intake_host(real_host, settings):  # noqa: F811 - the fixture imported above
    """The real host with course and navigation statements on, and the event intake in worker mode."""
    settings.XAPI_EVENT_INTAKE = "worker"
    for model in (EventIntake, LearnerCourseState, LearnerCourseAgent):
        model.objects.all().delete()
    get_user_model().objects.filter(id__gte=9100).delete()
    event_intake.FOLD_QUEUE.forget()
    lrs = LRSConnection(
        name="LRS",
        endpoint="http://127.0.0.1:9/xAPI",
        contact_email="ops@example.com",
        enabled=False,  # delivery is not under test: rows stay in the outbox
        available_to_all=True,
    )
    lrs.key, lrs.secret = "k", "s"
    lrs.save()
    CourseSettings.objects.create(course_key=COURSE_KEY, enabled=True, connection=lrs)
    yield real_host
    for model in (EventIntake, LearnerCourseState, LearnerCourseAgent):
        model.objects.all().delete()


@dataclass(frozen=True)
class Step:
    """One thing a learner's requests tell the platform, and the statement id it calls for (or None)."""

    at: datetime
    send: object  # () -> None
    expected_id: str | None


def _learners(count: int) -> list:
    return [
        get_user_model().objects.create(id=9100 + n, username=f"ev{9100 + n}", email=f"ev{9100 + n}@example.com")
        for n in range(count)
    ]


def _signal_step(signal, at: datetime, verb: str | None, **payload) -> Step:
    metadata = support.metadata_for(signal, time=at)

    def send():
        signal.send_event_with_custom_metadata(metadata, send_robust=False, **payload)

    return Step(at, send, statement_id(str(metadata.id), verb) if verb else None)


def _navigation_step(user_id: int, at: datetime, unit: int) -> Step:
    raw = {
        "name": "edx.ui.lms.sequence.next_selected",
        "timestamp": at.isoformat(),
        "data": {"current_tab": unit, "id": UNIT.format(unit), "tab_count": 9, "widget_placement": "top"},
        "context": {"user_id": user_id, "event_source": "browser", "page": PAGE + UNIT.format(unit)},
    }
    fingerprint = normalise_event(raw).fingerprint
    return Step(at, lambda: XapiTrackingBackend().send(raw), statement_id(fingerprint, v.VERB_NAVIGATED))


def _script(user, start: datetime) -> list[Step]:
    """Enrol, four grade updates (one repeating the last: no statement), pass, three unit moves."""
    at = [start + timedelta(seconds=n) for n in range(10)]
    return [
        _signal_step(signals.COURSE_ENROLLMENT_CREATED, at[0], v.VERB_REGISTERED, enrollment=support.enrollment(user)),
        _signal_step(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, at[1], v.VERB_EARNED, grade=support.grade(user, 0.2)),
        _signal_step(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, at[2], None, grade=support.grade(user, 0.2)),
        _signal_step(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, at[3], v.VERB_EARNED, grade=support.grade(user, 0.5)),
        _signal_step(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, at[4], v.VERB_EARNED, grade=support.grade(user, 0.8)),
        _signal_step(
            signals.COURSE_PASSING_STATUS_UPDATED,
            at[5],
            v.VERB_PASSED,
            course_passing_status=support.passing(user, True),
        ),
        *(_navigation_step(user.id, at[6 + n], n + 1) for n in range(3)),
    ]


def _all_folded(total: int) -> bool:
    return EventIntake.objects.filter(folded_at__isnull=False).count() == total


def _assert_outbox_is_exactly_the_script(steps: list[Step]) -> None:
    assert EventIntake.objects.count() == len(steps), "an event was lost or stored twice"
    assert set(EventIntake.objects.values_list("outcome", flat=True)) == {"reported"}
    stored = [str(pk) for pk in OutboxStatement.objects.values_list("statement_id", flat=True)]
    assert len(stored) == len(set(stored)), "a statement was written twice"
    expected = {step.expected_id for step in steps if step.expected_id}
    assert set(stored) == expected, (len(stored), len(expected))
    grades = dict(LearnerCourseState.objects.values_list("user_id", "grade_percent"))
    assert set(grades.values()) == {0.8}, grades  # the last grade in event order, for every learner


def test_broker_down_during_requests_then_the_periodic_run_reports_everything_in_event_order(intake_host):
    from tests.host.celery_app import app  # noqa: PLC0415

    steps = [step for user in _learners(3) for step in _script(user, T0)]
    arrival = random.Random(16).sample(steps, len(steps))  # two web workers, any order
    _point_app_at(app, "redis://127.0.0.1:9/0")  # nothing listens there: every publish fails
    try:
        started = time.monotonic()
        for step in arrival:
            step.send()
        elapsed = time.monotonic() - started
    finally:
        _point_app_at(app, intake_host.redis.url)
    assert elapsed < 15, f"requests waited on the dead broker ({elapsed:.1f} s for {len(steps)} events)"
    assert EventIntake.objects.count() == len(steps)
    assert not OutboxStatement.objects.exists(), "the request path must not report in worker mode"
    assert not LearnerCourseState.objects.exists()

    intake_host.start_worker("w1", beat=True, **WORKER_MODE)
    wait_for(lambda: _all_folded(len(steps)), 30, "the periodic run to report the backlog")
    _assert_outbox_is_exactly_the_script(steps)


def test_worker_sigkilled_mid_fold_loses_and_doubles_nothing(intake_host):
    (user,) = _learners(1)
    steps = _script(user, T0)
    first, later = steps[:2], steps[2:]
    intake_host.start_worker("first", **WORKER_MODE)
    for step in first:
        step.send()
    try:
        wait_for(lambda: _all_folded(len(first)), 20, "the first events to be reported")
    except AssertionError:
        print("WORKERLOG", intake_host.workers[0].log_text()[-4000:])
        print("ROWS", list(EventIntake.objects.values_list("kind", "folded_at", "claimed_until", "attempts", "error")))
        raise
    intake_host.stop_workers()

    doomed = intake_host.start_worker("doomed", **WORKER_MODE)
    # Hold the learner's course state: the worker claims the new rows and blocks inside its fold.
    with intake_host.learner_rows_locked(LearnerCourseState._meta.db_table, user.id):
        cache.clear()  # this process's own cache still holds the first batch's "fold queued" flag
        for step in later:
            step.send()
        wait_for(
            lambda: EventIntake.objects.filter(claimed_until__isnull=False, folded_at__isnull=True).exists(),
            20,
            "the doomed worker to claim rows",
        )
        time.sleep(0.5)  # it is now waiting on the state row lock, inside its fold transaction
        # (it may have claimed only the first rows: the others were stored while it started; they wait too)
        doomed.kill()
    assert EventIntake.objects.filter(folded_at__isnull=True).count() == len(later)

    rescuer = intake_host.start_worker("rescuer", beat=True, **WORKER_MODE)
    wait_for(lambda: _all_folded(len(steps)), 40, "the rescuer to report after the lease")
    _assert_outbox_is_exactly_the_script(steps)
    wait_for(lambda: folded_by(rescuer) > 0, 10, "the rescuer's fold result")


def test_two_workers_report_each_event_once_in_event_order(intake_host):
    users = _learners(8)
    one = intake_host.start_worker("one", beat=True, **WORKER_MODE)
    two = intake_host.start_worker("two", **WORKER_MODE)
    # The learners' requests interleaved in time, as a busy LMS sends them.
    steps = sorted((step for user in users for step in _script(user, T0)), key=lambda step: step.at)
    # Spread over a few seconds, so beat (every second) hands fold runs to both workers.
    for start in range(0, len(steps), 6):
        for step in steps[start : start + 6]:
            step.send()
        time.sleep(0.3)
    wait_for(lambda: _all_folded(len(steps)), 60, "both workers to report everything")
    _assert_outbox_is_exactly_the_script(steps)
    for worker in (one, two):
        wait_for(
            lambda worker=worker: folded_by(worker) > 0,
            10,
            f"worker {worker.name} to have folded something (both must claim)",
        )
    summary = event_intake.event_intake_summary()
    assert summary.pending == 0 and summary.failed == 0
    assert summary.median_fold_latency is not None and summary.median_fold_latency < 2.0, summary
    assert db_connection.vendor == "mysql"
