"""Scripted viewing sessions through the real intake: statements, segments, progress, completion, beacons.

Every statement produced is checked by Ralph's Video Profile models and posted to a real LRS.
"""

import math
from unittest import TestCase

import ddt
import pytest

from tests.video.conftest import (
    PAGE,
    ScriptedPlayer,
    assert_profile_valid_and_accepted,
    context_ext,
    outbox_statements,
    result_ext,
    verbs,
)
from xapi_plugin.core.constants import BeaconInterval
from xapi_plugin.testing.validation import assert_video_sessions

L = 195  # the demo course's video length (s)
HOURS = 3600

# name: (course settings, [(tab, event, seconds after start, data)], expected verbs,
#        expected played-segments at the end, expected progress at the end)
SCRIPTS = {
    "straight_through": (
        {},
        [
            ("a", "load_video", 0, {"duration": 0}),
            ("a", "play_video", 1, {"currentTime": 0, "duration": L}),
            ("a", "pause_video", 61, {"currentTime": 60, "duration": L}),
            ("a", "play_video", 70, {"currentTime": 60, "duration": L}),
            ("a", "stop_video", 205, {"currentTime": L, "duration": L}),
        ],
        ["initialized", "played", "progressed", "paused", "played"] + ["progressed"] * 3 + ["completed", "terminated"],
        "0.000[.]60.000[,]60.000[.]195.000",
        1.0,
    ),
    "skip_ahead": (
        {},
        [
            ("a", "load_video", 0, {"duration": L}),
            ("a", "play_video", 1, {"currentTime": 0, "duration": L}),
            ("a", "seek_video", 31, {"old_time": 30, "new_time": 150, "type": "onSlideSeek", "duration": L}),
            ("a", "stop_video", 76, {"currentTime": L, "duration": L}),
        ],
        ["initialized", "played", "seeked", "progressed", "terminated"],
        "0.000[.]30.000[,]150.000[.]195.000",
        75 / L,
    ),
    "rewatch": (
        {},
        [
            ("a", "load_video", 0, {"duration": L}),
            ("a", "play_video", 1, {"currentTime": 0, "duration": L}),
            ("a", "pause_video", 101, {"currentTime": 100, "duration": L}),
            ("a", "seek_video", 102, {"old_time": 100, "new_time": 0, "duration": L}),
            ("a", "play_video", 103, {"currentTime": 0, "duration": L}),
            ("a", "pause_video", 203, {"currentTime": 100, "duration": L}),
        ],
        ["initialized", "played", "progressed", "progressed", "paused", "seeked", "played", "paused"],
        "0.000[.]100.000[,]0.000[.]100.000",
        100 / L,
    ),
    "two_sessions": (
        {},
        [
            ("a", "load_video", 0, {"duration": L}),
            ("a", "play_video", 1, {"currentTime": 0, "duration": L}),
            ("a", "pause_video", 51, {"currentTime": 50, "duration": L}),
            # Two hours later, the learner opens the unit again (a new page load).
            ("a", "load_video", 2 * HOURS, {"duration": L}),
            ("a", "play_video", 2 * HOURS + 1, {"currentTime": 50, "duration": L}),
            ("a", "stop_video", 2 * HOURS + 146, {"currentTime": L, "duration": L}),
        ],
        ["initialized", "played", "progressed", "paused", "terminated", "initialized", "played"]
        + ["progressed"] * 3
        + ["completed", "terminated"],
        "0.000[.]50.000[,]50.000[.]195.000",
        1.0,
    ),
    "two_tabs": (
        {},
        [
            ("a", "load_video", 0, {"duration": L}),
            ("b", "load_video", 1, {"duration": L}),
            ("a", "play_video", 2, {"currentTime": 0, "duration": L}),
            ("b", "play_video", 3, {"currentTime": 100, "duration": L}),
            ("a", "pause_video", 42, {"currentTime": 40, "duration": L}),
            ("b", "pause_video", 53, {"currentTime": 150, "duration": L}),
        ],
        ["initialized", "initialized", "played", "played", "paused", "progressed", "paused"],
        "0.000[.]40.000[,]100.000[.]150.000",
        90 / L,
    ),
    "pause_near_end_with_end_seconds": (
        {"video_end_seconds": 10},
        [
            ("a", "load_video", 0, {"duration": L}),
            ("a", "play_video", 1, {"currentTime": 0, "duration": L}),
            ("a", "pause_video", 191, {"currentTime": 190, "duration": L}),
        ],
        ["initialized", "played", "progressed", "progressed", "progressed", "completed", "paused"],
        "0.000[.]190.000",
        190 / L,
    ),
    "unknown_duration_until_play": (
        {},
        [
            ("a", "load_video", 0, {"duration": 0}),
            ("a", "play_video", 1, {"currentTime": 0}),
            ("a", "edx.video.closed_captions.shown", 5, {"current_time": 4, "duration": None}),
            ("a", "pause_video", 31, {"currentTime": 30, "duration": None}),
            # The length becomes known: initialized (dated at the load) goes out first.
            ("a", "play_video", 32, {"currentTime": 30, "duration": L}),
            ("a", "pause_video", 62, {"currentTime": 60, "duration": L}),
        ],
        ["initialized", "played", "progressed", "paused"],
        "0.000[.]30.000[,]30.000[.]60.000",
        60 / L,
    ),
    "complete_video_without_watching": (
        {},
        [
            ("a", "load_video", 0, {"duration": L}),
            ("a", "play_video", 1, {"currentTime": 0, "duration": L}),
            ("a", "pause_video", 21, {"currentTime": 20, "duration": L}),
            ("a", "complete_video", 22, {"duration": L}),
        ],
        ["initialized", "played", "paused"],
        "0.000[.]20.000",
        20 / L,
    ),
    "mobile_app_events": (
        {"video_end_percent": 40},
        [
            ("a", "edx.video.loaded", 0, {"current_time": 0, "duration": L}),
            ("a", "edx.video.played", 1, {"current_time": 0, "duration": L}),
            ("a", "edx.video.position.changed", 11, {"old_time": 10, "new_time": 100, "duration": L}),
            ("a", "edx.video.speed.changed", 12, {"current_time": 101, "old_speed": "1.0", "new_speed": "1.5"}),
            ("a", "edx.video.paused", 60, {"current_time": 180, "duration": L}),
            ("a", "edx.video.stopped", 61, {"current_time": 180, "duration": L}),
        ],
        # The speed change has no template: no statement; the new speed rides on the next ones.
        ["initialized", "played", "seeked", "progressed", "completed", "paused", "terminated"],
        "0.000[.]10.000[,]100.000[.]180.000",
        90 / L,
    ),
}


def play(script, user_id, paths=("backend",)) -> None:
    tabs = {
        "a": ScriptedPlayer(user_id, page=PAGE + "?tab=a", paths=paths),
        "b": ScriptedPlayer(user_id, page=PAGE + "?tab=b", paths=paths),
    }
    for tab, name, at, data in script:
        tabs[tab].send(tabs[tab].event(name, at, **data))


@pytest.mark.integration
@ddt.ddt
class ScriptedSessionTest(TestCase):
    @pytest.fixture(autouse=True)
    def _services(self, local_lrs, video_course, learner):
        self.lrs = local_lrs
        self.video_course = video_course
        self.learner = learner

    @ddt.data(*SCRIPTS)
    def test_script(self, name):
        settings, script, expected_verbs, segments, progress = SCRIPTS[name]
        self.video_course(**settings)
        play(script, self.learner.pk)
        statements = outbox_statements()
        self.assertEqual(verbs(statements), expected_verbs)
        assert_profile_valid_and_accepted(statements, self.lrs)

        last_with_segments = [s for s in statements if result_ext(s, "played-segments") is not None][-1]
        self.assertEqual(result_ext(last_with_segments, "played-segments"), segments)
        # Progress with 3 decimals, rounded down (never claims more than was watched).
        self.assertEqual(result_ext(last_with_segments, "progress"), math.floor(progress * 1000 + 1e-6) / 1000)
        self.assertLessEqual(verbs(statements).count("completed"), 1)
        if name == "two_sessions":
            # The new page load closed the first session with terminated: both follow the pattern.
            assert assert_video_sessions(statements) == 2
        if name == "mobile_app_events":
            # Statements after the speed change carry the new speed; those before do not.
            speeds = [context_ext(s, "speed") for s in statements]
            self.assertEqual(speeds, [None, None, None, "1.5x", "1.5x", "1.5x", "1.5x"])
        for statement in statements:
            self.assertEqual(context_ext(statement, "length"), L)
            self.assertEqual(
                statement["context"]["contextActivities"]["parent"][0]["id"].rsplit("/", 1)[1],
                "course-v1:edX+DemoX+Demo_Course",
            )
            self.assertTrue(statement["object"]["id"].endswith("type@video+block@0b9e39477cf34507a7a48f74be381fdd"))

    def test_straight_through_times_and_completion(self):
        self.video_course()
        play(SCRIPTS["straight_through"][1], self.learner.pk)
        statements = outbox_statements()
        by_verb = {}
        for statement in statements:
            by_verb.setdefault(statement["verb"]["display"]["en-US"], []).append(statement)
        completed = by_verb["completed"][0]
        self.assertIs(completed["result"]["completion"], True)
        # Watched 0-60 then 60-195: 195 s of playback.
        self.assertEqual(completed["result"]["duration"], "PT195S")
        self.assertEqual(result_ext(completed, "progress"), 1.0)
        self.assertIsNone(context_ext(completed, "completion-threshold"))  # threshold 1: left out
        # Beacons at 25/50/75/100 %, their time interpolated from play/pause.
        self.assertEqual([result_ext(s, "progress") for s in by_verb["progressed"]], [0.25, 0.5, 0.75, 1.0])
        self.assertEqual(result_ext(by_verb["progressed"][0], "time"), 48.75)
        self.assertEqual(by_verb["progressed"][0]["timestamp"], "2026-03-02T09:00:49.750Z")
        session_ids = {context_ext(s, "session-id") for s in statements}
        self.assertEqual(session_ids, {by_verb["initialized"][0]["id"]})
        self.assertEqual(len({s["context"]["registration"] for s in statements}), 1)

    def test_threshold_is_sent_when_not_one_and_completion_happens_there(self):
        self.video_course(video_end_seconds=10)
        play(SCRIPTS["pause_near_end_with_end_seconds"][1], self.learner.pk)
        statements = outbox_statements()
        completed = next(s for s in statements if s["verb"]["display"]["en-US"] == "completed")
        self.assertEqual(context_ext(completed, "completion-threshold"), 0.949)  # min(1, 185/195)
        self.assertAlmostEqual(result_ext(completed, "time"), 0.949 * L, places=3)
        for statement in statements:
            if statement["verb"]["display"]["en-US"] in ("initialized", "paused", "completed", "progressed"):
                self.assertEqual(context_ext(statement, "completion-threshold"), 0.949)

    def test_completion_exactly_once_per_registration(self):
        self.video_course(video_end_percent=50)
        script = SCRIPTS["straight_through"][1]
        play(script, self.learner.pk)
        later = [(tab, name, at + 3 * HOURS, data) for tab, name, at, data in script]
        play(later, self.learner.pk)
        statements = outbox_statements()
        self.assertEqual(verbs(statements).count("completed"), 1)
        self.assertEqual(verbs(statements).count("initialized"), 2)
        assert_profile_valid_and_accepted(statements, self.lrs)

    def test_two_tabs_have_their_own_sessions(self):
        self.video_course()
        play(SCRIPTS["two_tabs"][1], self.learner.pk)
        statements = outbox_statements()
        sessions = {}
        for statement in statements:
            sessions.setdefault(context_ext(statement, "session-id"), []).append(statement["verb"]["display"]["en-US"])
        self.assertEqual(
            sorted(sessions.values()),
            [["initialized", "played", "paused"], ["initialized", "played", "progressed", "paused"]],
        )

    def test_inactivity_opens_a_new_session(self):
        self.video_course()
        play(
            [
                ("a", "load_video", 0, {"duration": L}),
                ("a", "play_video", 1, {"currentTime": 0, "duration": L}),
                ("a", "pause_video", 11, {"currentTime": 10, "duration": L}),
                # Same page, 45 minutes later: the first session is over.
                ("a", "play_video", 2700, {"currentTime": 10, "duration": L}),
            ],
            self.learner.pk,
        )
        statements = outbox_statements()
        self.assertEqual(verbs(statements), ["initialized", "played", "paused", "terminated", "initialized", "played"])
        terminated = statements[3]
        self.assertEqual(terminated["timestamp"], "2026-03-02T09:00:11.000Z")  # at the session's last event
        self.assertEqual(result_ext(terminated, "played-segments"), "0.000[.]10.000")
        assert_profile_valid_and_accepted(statements, self.lrs)


@pytest.mark.integration
@ddt.ddt
class BeaconIntervalTest(TestCase):
    @pytest.fixture(autouse=True)
    def _services(self, local_lrs, video_course, learner):
        self.lrs = local_lrs
        self.video_course = video_course
        self.learner = learner

    @ddt.data(
        # (beacon interval, video length, played up to, expected beacon progress values)
        (BeaconInterval.QUARTERS, 100, 100, [0.25, 0.5, 0.75, 1.0]),
        (BeaconInterval.QUARTERS, 100, 60, [0.25, 0.5]),
        (BeaconInterval.ONE_PERCENT, 100, 100, [n / 100 for n in range(1, 101)]),
        # 1 % of 50 s is 0.5 s: at most one per second of playback, i.e. every 2 %.
        (BeaconInterval.ONE_PERCENT, 50, 20, [n / 50 for n in range(1, 21)]),
        # 1 % of 3600 s is 36 s: at least one per 30 s of playback.
        (BeaconInterval.ONE_PERCENT, 3600, 120, [0.008, 0.01, 0.018, 0.02, 0.028, 0.03]),
    )
    @ddt.unpack
    def test_beacons(self, interval, length, until, expected):
        self.video_course(beacon_interval=interval, video_end_percent=100)
        play(
            [
                ("a", "load_video", 0, {"duration": length}),
                ("a", "play_video", 1, {"currentTime": 0, "duration": length}),
                ("a", "pause_video", 1 + until, {"currentTime": until, "duration": length}),
            ],
            self.learner.pk,
        )
        statements = outbox_statements()
        beacons = [s for s in statements if s["verb"]["display"]["en-US"] == "progressed"]
        self.assertEqual([result_ext(s, "progress") for s in beacons], expected)
        played = [result_ext(s, "time") for s in beacons]  # one stretch from 0: media time = playback time
        gaps = [b - a for a, b in zip(played, played[1:], strict=False)]
        if interval == BeaconInterval.ONE_PERCENT:
            self.assertTrue(all(1 <= gap <= 30 for gap in gaps), gaps)
        assert_profile_valid_and_accepted(statements, self.lrs)


@pytest.mark.integration
class BothIntakePathsTest(TestCase):
    @pytest.fixture(autouse=True)
    def _services(self, local_lrs, video_course, learner):
        self.lrs = local_lrs
        self.video_course = video_course
        self.learner = learner

    def test_events_seen_on_both_paths_yield_statements_once(self):
        self.video_course()
        play(SCRIPTS["straight_through"][1], self.learner.pk, paths=("backend", "signal"))
        statements = outbox_statements()
        self.assertEqual(verbs(statements), SCRIPTS["straight_through"][2])
        self.assertEqual(len({s["id"] for s in statements}), len(statements))
        assert_profile_valid_and_accepted(statements, self.lrs)

    def test_signal_path_alone(self):
        self.video_course()
        play(SCRIPTS["skip_ahead"][1], self.learner.pk, paths=("signal",))
        self.assertEqual(verbs(outbox_statements()), SCRIPTS["skip_ahead"][2])


@pytest.mark.django_db
def test_stale_observations_change_nothing(video_course, learner):
    """An event older than the viewing's last one by more than the reorder window is not applied again."""
    from tests.video.conftest import ScriptedPlayer  # noqa: PLC0415
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415
    from xapi_plugin.video.viewing import REORDER_WINDOW  # noqa: PLC0415

    video_course()
    player = ScriptedPlayer(learner.id)
    late = REORDER_WINDOW.total_seconds() + 60
    player.run([("load_video", 0, {"duration": 60}), ("play_video", 1, {"currentTime": 0, "duration": 60}),
                ("pause_video", 11, {"currentTime": 10, "duration": 60}),
                ("play_video", late, {"currentTime": 10, "duration": 60})])  # fmt: skip
    before = (outbox_statements(), list(VideoViewingState.objects.values("segments", "progress", "sessions")))
    # The same viewing's first minutes again (a replayed log), with other fingerprints.
    player.run([("load_video", 0.5, {"duration": 60}), ("pause_video", 12, {"currentTime": 11, "duration": 60})])
    after = (outbox_statements(), list(VideoViewingState.objects.values("segments", "progress", "sessions")))
    assert after == before
