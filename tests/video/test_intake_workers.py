"""The video intake with real Celery workers on a deployed-like host: MariaDB, Redis, worker processes.

The learner's request (``XapiTrackingBackend.send``) only stores the observation; workers fold it
into the viewing state and write the outbox. Faults are real: the broker unreachable when the
requests end, a worker SIGKILLed while it holds a fold, two workers folding at once. Each test ends
by recomputing, with the pure state machine, the statements the stored observations call for in
event order, and checks the outbox holds exactly those: nothing lost, nothing doubled.
"""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection as db_connection

from tests.conftest import COURSE_KEY
from tests.delivery.conftest import _point_app_at, real_host, real_host_services  # noqa: F401 - fixtures
from tests.delivery.realhost import folded_by, wait_for
from tests.video.conftest import ScriptedPlayer
from xapi_plugin.intake import tracking
from xapi_plugin.models import (
    CourseSettings,
    LearnerCourseAgent,
    LRSConnection,
    OutboxStatement,
    VideoIntake,
    VideoViewingState,
)
from xapi_plugin.studio import get_course_settings
from xapi_plugin.video import intake
from xapi_plugin.video.overrides import resolve_video_settings
from xapi_plugin.video.viewing import Viewing, cap_open_sessions, guard_observation, step

pytestmark = pytest.mark.integration

LENGTH = 120
WORKER_MODE = {"XAPI_VIDEO_INTAKE": "worker"}


@pytest.fixture
def intake_host(real_host, settings):  # noqa: F811 - the fixture imported above
    """The real host with video statements on for the demo course and the intake in worker mode."""
    settings.XAPI_VIDEO_INTAKE = "worker"
    for model in (VideoIntake, VideoViewingState, LearnerCourseAgent):
        model.objects.all().delete()
    get_user_model().objects.filter(id__gte=9000).delete()
    tracking._handler.cache_clear()
    # A "fold queued" flag a previous test left (its publish may even have failed) would keep this
    # test's requests from queueing a fold: start from none.
    cache.clear()
    intake.FOLD_QUEUE.forget()
    lrs = LRSConnection(
        name="LRS",
        endpoint="http://127.0.0.1:9/xAPI",
        contact_email="ops@example.com",
        enabled=False,
        available_to_all=True,
    )
    lrs.key, lrs.secret = "k", "s"
    lrs.save()
    CourseSettings.objects.create(course_key=COURSE_KEY, enabled=True, connection=lrs, beacon_interval="quarters")
    yield real_host
    for model in (VideoIntake, VideoViewingState, LearnerCourseAgent):
        model.objects.all().delete()


def _learners(count: int) -> list[int]:
    users = [9000 + n for n in range(count)]
    for user_id in users:
        get_user_model().objects.create(id=user_id, username=f"fold{user_id}", email=f"fold{user_id}@example.com")
    return users


def _watch(user_id: int, tab: str, offset: float, stretches: int) -> list[dict]:
    """One tab's events: load, then play/pause stretches of 10 s, at ``offset`` seconds after START."""
    player = ScriptedPlayer(user_id, page=f"http://lms/unit?tab={tab}", session=f"s{user_id}")
    events = [player.event("load_video", offset, duration=LENGTH)]
    position, at = 0.0, offset + 1
    for _ in range(stretches):
        events.append(player.event("play_video", at, currentTime=position, duration=LENGTH))
        position, at = min(LENGTH, position + 10), at + 10
        events.append(player.event("pause_video", at, currentTime=position, duration=LENGTH))
        at += 1
    return events


def _send(events: list[dict]) -> None:
    backend = tracking.XapiTrackingBackend()
    for raw in events:
        backend.send(raw)


def _expected_statement_ids(user_ids) -> set[str]:
    """What the stored observations call for, folded in event order by the pure state machine."""
    settings = resolve_video_settings(get_course_settings(COURSE_KEY), "")
    expected = set()
    for user_id in user_ids:
        registration = str(LearnerCourseAgent.objects.get(user_id=user_id, course_key=COURSE_KEY).registration)
        viewings: dict[str, Viewing] = {}
        for row in VideoIntake.objects.filter(user_id=user_id).order_by("event_at", "id"):
            obs = intake.observation_from_row(
                row.user_id, row.course_key, row.video_key, row.source_id, row.event_at, row.observation
            )
            viewing = viewings.setdefault(
                row.video_key, Viewing(user_id=user_id, video_key=row.video_key, registration=registration)
            )
            obs = guard_observation(viewing, obs)
            intents = step(viewing, obs, settings) + cap_open_sessions(viewing, settings)
            expected |= {intent.statement_id for intent in intents}
    return expected


def _all_folded(total: int) -> bool:
    return VideoIntake.objects.filter(folded_at__isnull=False).count() == total


def _assert_outbox_is_exactly_the_fold(user_ids, total_events: int) -> None:
    assert VideoIntake.objects.count() == total_events, "an observation was lost or stored twice"
    assert not VideoIntake.objects.filter(folded_at__isnull=True).exists()
    expected = _expected_statement_ids(user_ids)
    stored = [str(pk) for pk in OutboxStatement.objects.values_list("statement_id", flat=True)]
    assert len(stored) == len(set(stored))
    assert set(stored) == expected, (len(stored), len(expected))
    assert len(expected) > total_events / 2  # the script makes a statement for most events


def test_broker_down_during_requests_then_the_periodic_run_folds_everything(intake_host):
    from tests.host.celery_app import app  # noqa: PLC0415

    users = _learners(3)
    events = [event for user_id in users for event in _watch(user_id, "a", 0, 6)]
    _point_app_at(app, "redis://127.0.0.1:9/0")  # nothing listens there: every publish fails
    try:
        started = time.monotonic()
        _send(events)
        elapsed = time.monotonic() - started
    finally:
        _point_app_at(app, intake_host.redis.url)
    assert elapsed < 15, f"requests waited on the dead broker ({elapsed:.1f} s for {len(events)} events)"
    assert VideoIntake.objects.count() == len(events)
    assert not OutboxStatement.objects.exists(), "the request path must not fold in worker mode"

    intake_host.start_worker("w1", beat=True, **WORKER_MODE)
    wait_for(lambda: _all_folded(len(events)), 30, "the periodic run to fold the backlog")
    _assert_outbox_is_exactly_the_fold(users, len(events))


def test_worker_sigkilled_mid_fold_loses_and_doubles_nothing(intake_host):
    users = _learners(1)
    (user_id,) = users
    first = _watch(user_id, "a", 0, 2)
    intake_host.start_worker("first", **WORKER_MODE)
    _send(first)
    wait_for(lambda: _all_folded(len(first)), 20, "the first events to be folded")
    intake_host.stop_workers()

    doomed = intake_host.start_worker("doomed", **WORKER_MODE)
    later = _watch(user_id, "a", 100, 4)
    # Hold the learner's viewing state: the worker claims the new rows and blocks inside its fold.
    with intake_host.learner_rows_locked(VideoViewingState._meta.db_table, user_id):
        # This process's cache is its own (locmem): the "fold queued" flag of the first batch is still
        # set here, though the worker started that fold long ago. A deployment shares the cache.
        cache.clear()
        _send(later)
        wait_for(
            lambda: VideoIntake.objects.filter(claimed_until__isnull=False, folded_at__isnull=True).exists(),
            20,
            "the doomed worker to claim rows",
        )
        time.sleep(0.5)  # it is now waiting on the state row lock, inside its fold transaction
        # (it may have claimed only the first rows: the others were stored while it started; they wait too)
        doomed.kill()
    assert VideoIntake.objects.filter(folded_at__isnull=True).count() == len(later)

    rescuer = intake_host.start_worker("rescuer", beat=True, **WORKER_MODE)
    wait_for(lambda: _all_folded(len(first) + len(later)), 40, "the rescuer to fold after the lease")
    _assert_outbox_is_exactly_the_fold(users, len(first) + len(later))
    # A fold task logs its result when it ends, after lingering a second for new rows.
    wait_for(lambda: folded_by(rescuer) > 0, 10, "the rescuer's fold result")


def test_two_workers_fold_two_tabs_in_event_order_each_observation_once(intake_host):
    users = _learners(8)
    one = intake_host.start_worker("one", beat=True, **WORKER_MODE)
    two = intake_host.start_worker("two", **WORKER_MODE)
    # Two tabs per learner, interleaved in time as a browser with two open tabs sends them.
    events = sorted(
        (event for user_id in users for tab in ("a", "b") for event in _watch(user_id, tab, 0.5 * (tab == "b"), 8)),
        key=lambda event: event["timestamp"],
    )
    for start in range(0, len(events), 20):
        _send(events[start : start + 20])
        time.sleep(0.05)
    wait_for(lambda: _all_folded(len(events)), 60, "both workers to fold everything")
    _assert_outbox_is_exactly_the_fold(users, len(events))
    for worker in (one, two):
        # A fold task logs its result when it ends, after lingering a second for new rows.
        wait_for(
            lambda worker=worker: folded_by(worker) > 0,
            10,
            f"worker {worker.name} to have folded something (both must claim)",
        )
    latencies = intake.intake_summary()
    assert latencies.median_fold_latency is not None and latencies.median_fold_latency < 2.0, latencies
    assert db_connection.vendor == "mysql"
