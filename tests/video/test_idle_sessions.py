"""Sessions of closed tabs: ended with ``terminated`` by the periodic task, once, at their last event.

Scripted players feed the real intake; ``close_idle_sessions`` runs with an explicit ``now``;
every statement is checked by Ralph's Video Profile models and posted to a real LRS.
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.video.conftest import (
    PAGE,
    START,
    ScriptedPlayer,
    assert_profile_valid_and_accepted,
    context_ext,
    outbox_statements,
    result_ext,
    verbs,
)
from xapi_plugin.core import metrics
from xapi_plugin.testing.validation import assert_video_sessions
from xapi_plugin.video.state import close_idle_sessions
from xapi_plugin.video.viewing import INACTIVITY, Observation, VideoSettings, Viewing, step
from xapi_plugin.video.viewing import close_idle_sessions as close_idle_sessions_of

L = 195  # the demo course's video length (s)
MINUTE = 60

PAUSED_AT_60 = [
    ("load_video", 0, {"duration": L}),
    ("play_video", 1, {"currentTime": 0, "duration": L}),
    ("pause_video", 61, {"currentTime": 60, "duration": L}),
]


def at(seconds: float):
    return START + timedelta(seconds=seconds)


def viewing_states():
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

    return list(VideoViewingState.objects.order_by("pk"))


def by_verb(statements, verb):
    return [s for s in statements if s["verb"]["display"]["en-US"] == verb]


@pytest.fixture
def lrs(local_lrs):
    return local_lrs


@pytest.mark.integration
class TestIdleSessionIsClosed:
    @pytest.fixture(autouse=True)
    def _setup(self, lrs, video_course, learner):
        self.lrs = lrs
        video_course()
        self.player = ScriptedPlayer(learner.pk)

    def test_closed_once_with_terminated_at_its_last_event(self):
        self.player.run(PAUSED_AT_60)
        before = outbox_statements()
        assert verbs(before) == ["initialized", "played", "progressed", "paused"]

        assert close_idle_sessions(now=at(61) + INACTIVITY + timedelta(seconds=1)) == 1

        statements = outbox_statements()
        assert statements[:-1] == before
        terminated = statements[-1]
        assert verbs([terminated]) == ["terminated"]
        assert terminated["timestamp"] == "2026-03-02T09:01:01.000Z"  # the pause, not the run
        assert context_ext(terminated, "session-id") == before[0]["id"]  # the initialized statement
        assert result_ext(terminated, "time") == 60.0
        assert result_ext(terminated, "played-segments") == "0.000[.]60.000"
        assert result_ext(terminated, "progress") == 0.307
        assert context_ext(terminated, "length") == L
        assert_profile_valid_and_accepted(statements, self.lrs)
        assert assert_video_sessions(statements) == 1  # closed by inactivity: the whole primary pattern
        assert viewing_states()[0].sessions == {}

        # A second run, later still, finds nothing to close and queues nothing.
        assert close_idle_sessions(now=at(61) + 2 * INACTIVITY) == 0
        assert outbox_statements() == statements

    def test_tab_closed_while_playing_keeps_what_was_confirmed(self):
        # Closed during playback: the last event (a caption toggle at 40 s) confirms 0-40.
        self.player.run(
            [
                ("load_video", 0, {"duration": L}),
                ("play_video", 1, {"currentTime": 0, "duration": L}),
                ("edx.video.closed_captions.shown", 41, {"current_time": 40, "duration": L}),
            ]
        )
        assert close_idle_sessions(now=at(41) + INACTIVITY + timedelta(minutes=5)) == 1
        statements = outbox_statements()
        terminated = by_verb(statements, "terminated")
        assert len(terminated) == 1
        assert terminated[0]["timestamp"] == "2026-03-02T09:00:41.000Z"
        assert result_ext(terminated[0], "played-segments") == "0.000[.]40.000"
        assert result_ext(terminated[0], "time") == 40.0
        assert_profile_valid_and_accepted(statements, self.lrs)

    @pytest.mark.parametrize("idle", [29 * MINUTE, 30 * MINUTE])
    def test_session_idle_up_to_thirty_minutes_is_left_open(self, idle):
        self.player.run(PAUSED_AT_60)
        before = outbox_statements()
        assert close_idle_sessions(now=at(61) + timedelta(seconds=idle)) == 0
        assert outbox_statements() == before
        assert len(viewing_states()[0].sessions) == 1

    def test_next_event_after_closing_opens_a_new_session(self):
        self.player.run(PAUSED_AT_60)
        assert close_idle_sessions(now=at(61) + INACTIVITY + timedelta(seconds=1)) == 1
        # The learner comes back 40 minutes later on the same page and plays on.
        self.player.run([("play_video", 61 + 40 * MINUTE, {"currentTime": 60, "duration": L})])

        statements = outbox_statements()
        assert verbs(statements) == ["initialized", "played", "progressed", "paused", "terminated"] + [
            "initialized",
            "played",
        ]
        first, second = by_verb(statements, "initialized")
        assert second["id"] != first["id"]
        assert second["timestamp"] == "2026-03-02T09:41:01.000Z"
        assert context_ext(statements[-1], "session-id") == second["id"]
        assert_profile_valid_and_accepted(statements, self.lrs)

    def test_several_states_in_small_batches(self, learner, django_user_model):
        others = [
            django_user_model.objects.create(id=learner.pk + n, username=f"other{learner.pk + n}") for n in (1, 2)
        ]
        for user in [learner, *others]:
            ScriptedPlayer(user.pk).run(PAUSED_AT_60)
        assert close_idle_sessions(now=at(61) + INACTIVITY + timedelta(seconds=1), batch_size=1) == 3
        statements = outbox_statements()
        assert len(by_verb(statements, "terminated")) == 3
        ended = {(str(s["actor"]), context_ext(s, "session-id")) for s in by_verb(statements, "terminated")}
        assert ended == {(str(s["actor"]), s["id"]) for s in by_verb(statements, "initialized")}
        assert_profile_valid_and_accepted(statements, self.lrs)


@pytest.mark.integration
def test_only_the_idle_page_of_a_viewing_is_closed(lrs, video_course, learner):
    video_course()
    tab_a = ScriptedPlayer(learner.pk, page=PAGE + "?tab=a")
    tab_b = ScriptedPlayer(learner.pk, page=PAGE + "?tab=b")
    tab_a.run(PAUSED_AT_60)
    # Tab b is opened 20 minutes later and watched for 30 s.
    tab_b.run([(name, when + 20 * MINUTE, data) for name, when, data in PAUSED_AT_60[:2]])
    tab_b.run([("pause_video", 20 * MINUTE + 31, {"currentTime": 30, "duration": L})])
    session_a, session_b = (s["id"] for s in by_verb(outbox_statements(), "initialized"))
    b_last = at(20 * MINUTE + 31)

    # Tab a is idle, tab b is not: tab b's state is still active, the run leaves both.
    assert close_idle_sessions(now=at(61) + INACTIVITY + timedelta(minutes=1)) == 0
    assert len(viewing_states()[0].sessions) == 2

    # Once tab b is idle too, both end, each at its own last event, in its own session.
    assert close_idle_sessions(now=b_last + INACTIVITY + timedelta(seconds=1)) == 2
    statements = outbox_statements()
    terminated = {context_ext(s, "session-id"): s for s in by_verb(statements, "terminated")}
    assert set(terminated) == {session_a, session_b}
    assert terminated[session_a]["timestamp"] == "2026-03-02T09:01:01.000Z"
    assert terminated[session_b]["timestamp"] == "2026-03-02T09:20:31.000Z"
    assert result_ext(terminated[session_b], "time") == 30.0
    assert viewing_states()[0].sessions == {}
    assert_profile_valid_and_accepted(statements, lrs)


def test_pure_close_leaves_the_active_page_open():
    """The pure closing: one page idle past ``INACTIVITY`` ends, the other page keeps its session."""
    settings = VideoSettings(tracking_enabled=True, end_percent=100, end_seconds=0, beacon_interval="quarters")
    viewing = Viewing(user_id=7, video_key="block-v1:x+y+z+type@video+block@v", registration="reg")

    def observe(page, kind, seconds, **values):
        obs = Observation(
            user_id=7,
            course_key="course-v1:x+y+z",
            video_key=viewing.video_key,
            kind=kind,
            timestamp=at(seconds),
            page_key=page,
            source_id=f"{page}-{kind}-{seconds}",
            duration=L,
            **values,
        )
        return step(viewing, obs, settings)

    opened_a = observe("a", "load", 0)
    observe("a", "play", 1, position=0)
    observe("a", "pause", 11, position=10)
    observe("b", "load", 20 * MINUTE)
    last_event = viewing.last_event_at

    intents = close_idle_sessions_of(viewing, settings, at(11) + INACTIVITY + timedelta(seconds=1))
    assert [(i.verb.rsplit("/", 1)[1], i.session_id, i.timestamp) for i in intents] == [
        ("terminated", opened_a[0].session_id, at(11))
    ]
    assert intents[0].played_segments == "0.000[.]10.000"
    assert intents[0].time == 10
    assert list(viewing.sessions) == ["b"]
    assert viewing.last_event_at == last_event  # closing is not an event
    assert close_idle_sessions_of(viewing, settings, at(11) + INACTIVITY + timedelta(seconds=2)) == []


@pytest.mark.django_db
def test_course_that_turned_video_statements_off_is_left_alone(video_course, learner):
    course = video_course()
    ScriptedPlayer(learner.pk).run(PAUSED_AT_60)
    before = outbox_statements()
    course.send_video_statements = False
    course.save()

    assert close_idle_sessions(now=at(61) + 2 * INACTIVITY) == 0
    assert outbox_statements() == before
    assert len(viewing_states()[0].sessions) == 1

    # Turned on again: the session is still there to close.
    course.send_video_statements = True
    course.save()
    assert close_idle_sessions(now=at(61) + 2 * INACTIVITY) == 1
    assert verbs(outbox_statements())[-1] == "terminated"


@pytest.mark.django_db
def test_one_broken_state_is_logged_counted_and_skipped(video_course, learner, django_user_model, caplog):
    video_course()
    other = django_user_model.objects.create(id=learner.pk + 1, username=f"other{learner.pk + 1}")
    ScriptedPlayer(learner.pk).run(PAUSED_AT_60)
    ScriptedPlayer(other.pk).run(PAUSED_AT_60)
    broken = viewing_states()[0]
    broken.sessions = {PAGE: {"id": "not a session"}}  # no times: cannot be read back
    broken.save()
    failed_before = metrics.read_counters()[metrics.IDLE_CLOSE_FAILED]

    with caplog.at_level(logging.ERROR, logger="xapi_plugin.video.state"):
        assert close_idle_sessions(now=at(61) + 2 * INACTIVITY) == 1

    assert metrics.read_counters()[metrics.IDLE_CLOSE_FAILED] == failed_before + 1
    assert f"viewing state {broken.pk}" in caplog.text
    assert [len(state.sessions) for state in viewing_states()] == [1, 0]
    assert verbs(outbox_statements()).count("terminated") == 1


@pytest.mark.django_db
def test_the_celery_task_closes_idle_sessions(video_course, learner):
    from tests.host.celery_app import app  # noqa: PLC0415
    from xapi_plugin import tasks  # noqa: PLC0415

    video_course()
    # The task takes no arguments and uses the real clock: events from two hours ago.
    two_hours_ago = (timezone.now() - START).total_seconds() - 2 * 3600
    ScriptedPlayer(learner.pk).run([(name, two_hours_ago + when, data) for name, when, data in PAUSED_AT_60])

    assert tasks.close_idle_sessions.name == "xapi_plugin.video.tasks.close_idle_sessions"
    app.loader.import_default_modules()  # what a worker does: autodiscover_tasks() finds it
    assert "xapi_plugin.video.tasks.close_idle_sessions" in app.tasks
    assert tasks.close_idle_sessions.apply().get() == 1
    assert verbs(outbox_statements())[-1] == "terminated"
    assert tasks.close_idle_sessions.apply().get() == 0


def test_the_beat_entries_name_the_registered_task():
    from pathlib import Path  # noqa: PLC0415

    from xapi_plugin.demo import settings as demo_settings  # noqa: PLC0415
    from xapi_plugin.video.tasks import close_idle_sessions as task  # noqa: PLC0415

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f'"task": "{task.name}"' in readme
    assert task.name in {entry["task"] for entry in demo_settings.CELERY_BEAT_SCHEDULE.values()}
