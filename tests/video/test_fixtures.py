"""Every shared video fixture through the real intake; bad input skipped; tracking off stores nothing."""

import copy
from unittest import TestCase

import ddt
import pytest

from tests.video.conftest import (
    assert_profile_valid_and_accepted,
    context_ext,
    fixture_event,
    outbox_statements,
    verbs,
)
from xapi_plugin.core import metrics
from xapi_plugin.intake.tracking import XapiTrackingBackend, normalise_event
from xapi_plugin.video.ingest import observation_from_event

# fixture -> (statements it yields on its own, first in a fresh viewing state)
FIXTURE_VERBS = {
    "load_video": [],  # duration 0: length unknown, nothing can be sent yet
    "load_video.required.only.data": [],
    "play_video": ["initialized", "played"],
    "play_video.ccx": ["initialized", "played"],
    "pause_video": ["initialized", "paused"],
    "seek_video": ["initialized", "seeked"],
    "stop_video": ["initialized", "terminated"],
    "complete_video": ["initialized"],  # the platform's completion alone completes nothing
    "speed_change_video": ["initialized", "interacted"],
    "show_transcript": ["initialized", "interacted"],
    "hide_transcript": ["initialized", "interacted"],
    "edx.video.closed_captions.shown": ["initialized", "interacted"],
    "edx.video.closed_captions.hidden.null.duration": [],
}


def as_learner(raw: dict, user_id: int) -> dict:
    raw = copy.deepcopy(raw)
    raw["context"]["user_id"] = user_id
    return raw


@pytest.mark.integration
@ddt.ddt
class SharedFixtureTest(TestCase):
    @pytest.fixture(autouse=True)
    def _services(self, local_lrs, video_course, learner):
        self.lrs = local_lrs
        self.learner = learner
        video_course()

    @ddt.data(*FIXTURE_VERBS)
    def test_fixture(self, name):
        raw = as_learner(fixture_event(name), self.learner.pk)
        XapiTrackingBackend().send(raw)
        statements = outbox_statements()
        self.assertEqual(verbs(statements), FIXTURE_VERBS[name])
        assert_profile_valid_and_accepted(statements, self.lrs)
        self.assertEqual(metrics.read_counters()[metrics.SKIPPED_EVENTS], 0)
        for statement in statements:
            self.assertEqual(context_ext(statement, "length"), float(raw["data"]["duration"]))
            self.assertEqual(statement["context"]["registration"], statements[0]["context"]["registration"])

    def test_ccx_course_is_the_parent_and_uses_the_master_course_settings(self):
        XapiTrackingBackend().send(as_learner(fixture_event("play_video.ccx"), self.learner.pk))
        played = outbox_statements()[-1]
        self.assertTrue(
            played["object"]["id"].endswith(
                "ccx-block-v1:edX+DemoX+Demo_Course+ccx@1+type@video+block@0b9e39477cf34507a7a48f74be381fdd"
            )
        )
        self.assertTrue(
            played["context"]["contextActivities"]["parent"][0]["id"].endswith(
                "/course/ccx-v1:edX+DemoX+Demo_Course+ccx@1"
            )
        )

    def test_interactions_carry_the_new_setting(self):
        # The fixtures were recorded years apart; one viewing needs them in time order.
        for second, name in enumerate(("speed_change_video", "edx.video.closed_captions.shown", "hide_transcript")):
            raw = as_learner(fixture_event(name), self.learner.pk)
            raw["timestamp"] = f"2026-03-02T09:00:0{second}+00:00"
            XapiTrackingBackend().send(raw)
        interacted = [s for s in outbox_statements() if s["verb"]["display"]["en-US"] == "interacted"]
        extensions = [s["context"]["extensions"] for s in interacted]
        self.assertEqual(extensions[0]["https://w3id.org/xapi/video/extensions/speed"], "1.25x")
        self.assertIs(extensions[1]["https://w3id.org/xapi/video/extensions/cc-enabled"], True)
        self.assertIs(extensions[2]["http://lms.stand-in.test/xapi/extensions/video/transcript-enabled"], False)

    @ddt.data(
        ("play_video", {"currentTime": "soon"}, "currentTime is not a number"),
        ("play_video", {"currentTime": float("nan")}, "not a finite number"),
        ("seek_video", {"new_time": None}, "seek without old_time and new_time"),
        ("pause_video", {"id": None}, "video id is missing"),
        ("pause_video", {"duration": True}, "duration is not a number"),
    )
    @ddt.unpack
    def test_malformed_event_is_logged_and_skipped(self, name, data, message):
        raw = as_learner(fixture_event(name), self.learner.pk)
        raw["data"].update(data)
        with self.assertLogs("xapi_plugin.intake.tracking", level="WARNING") as logs:
            XapiTrackingBackend().send(raw)
        self.assertEqual(outbox_statements(), [])
        self.assertEqual(metrics.read_counters()[metrics.SKIPPED_EVENTS], 1)
        self.assertIn(message, logs.output[0])
        self.assertIn(normalise_event(raw).fingerprint, logs.output[0])
        self.assertNotIn("172.18.0.1", logs.output[0])

    def test_anonymous_views_are_ignored(self):
        raw = fixture_event("play_video")
        raw["context"]["user_id"] = None
        self.assertIsNone(observation_from_event(normalise_event(raw)))


@pytest.mark.django_db
@ddt.ddt
class TrackingOffTest(TestCase):
    @pytest.fixture(autouse=True)
    def _services(self, video_course, learner):
        self.video_course = video_course
        self.learner = learner

    @ddt.data({"send_video_statements": False}, {"enabled": False})
    def test_nothing_is_stored(self, settings):
        from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

        self.video_course(**settings)
        XapiTrackingBackend().send(as_learner(fixture_event("play_video"), self.learner.pk))
        self.assertEqual(outbox_statements(), [])
        self.assertFalse(VideoViewingState.objects.exists())

    def test_course_without_settings(self):
        from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

        raw = as_learner(fixture_event("play_video"), self.learner.pk)
        raw["context"]["course_id"] = "course-v1:Other+X+Y"
        XapiTrackingBackend().send(raw)
        self.assertFalse(VideoViewingState.objects.exists())
