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
from xapi_plugin.testing.video_profile import assert_matches_template
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
    "speed_change_video": ["initialized"],  # no template: the speed rides on later statements
    "show_transcript": [],  # no template: left out (docs/video.md)
    "hide_transcript": [],
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

    def test_player_settings_ride_on_later_statements_and_captions_match_their_template(self):
        # The fixtures were recorded years apart; one viewing needs them in time order.
        language_menu = fixture_event("edx.video.closed_captions.shown")
        language_menu["name"] = "edx.video.language_menu.hidden"
        language_menu["data"]["language"] = "fr"
        script = [
            fixture_event("speed_change_video"),
            language_menu,
            fixture_event("edx.video.closed_captions.shown"),
            fixture_event("hide_transcript"),
            fixture_event("pause_video"),
        ]
        for second, raw in enumerate(script):
            raw["context"] = copy.deepcopy(script[0]["context"])  # one page
            raw = as_learner(raw, self.learner.pk)
            raw["timestamp"] = f"2026-03-02T09:00:0{second}+00:00"
            XapiTrackingBackend().send(raw)
        statements = outbox_statements()
        self.assertEqual(verbs(statements), ["initialized", "interacted", "paused"])
        captions, paused = statements[1], statements[2]
        self.assertIs(context_ext(captions, "cc-enabled"), True)
        self.assertEqual(context_ext(captions, "cc-subtitle-lang"), "fr")
        self.assertEqual(context_ext(captions, "speed"), "1.25x")
        self.assertEqual(
            (context_ext(paused, "speed"), context_ext(paused, "cc-enabled"), context_ext(paused, "cc-subtitle-lang")),
            ("1.25x", True, "fr"),
        )
        self.assertEqual(assert_matches_template(captions), ["https://w3id.org/xapi/video/templates#closed-captioning"])
        assert_profile_valid_and_accepted(statements, self.lrs)

    def test_captions_without_a_reported_language_say_undetermined(self):
        XapiTrackingBackend().send(as_learner(fixture_event("edx.video.closed_captions.shown"), self.learner.pk))
        captions = outbox_statements()[-1]
        self.assertEqual(context_ext(captions, "cc-subtitle-lang"), "und")
        self.assertIsNone(context_ext(captions, "speed"))

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
