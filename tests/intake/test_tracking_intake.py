"""Tracking-event intake: normalisation of both log shapes, dedupe across paths, never raising."""

import json
from datetime import UTC, datetime

import ddt
import pytest
from django.test import SimpleTestCase

from xapi_plugin.core import metrics
from xapi_plugin.intake import tracking
from xapi_plugin.intake.tracking import MalformedEvent, XapiTrackingBackend, normalise_event
from xapi_plugin.testing.events import send_tracking_event_emitted
from xapi_plugin.testing.video_profile import find_shared

FIXTURES = find_shared("fixtures/tracking-events")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@ddt.ddt
class NormaliseEventTest(SimpleTestCase):
    @ddt.data(*sorted(path.stem for path in FIXTURES.glob("*.json")))
    def test_every_shared_fixture_normalises(self, name):
        raw = fixture(name)
        event = normalise_event(raw)
        self.assertEqual(event.name, raw["name"])
        self.assertIsInstance(event.data, dict)
        self.assertEqual(len(event.fingerprint), 24)

    def test_tracking_log_line_with_event_as_json_string(self):
        line = {
            "event_type": "play_video",
            "event": json.dumps({"id": "v1", "currentTime": 3.5}),
            "time": "2020-07-15T06:52:55.057099+00:00",
            "context": {"user_id": 3, "course_id": "course-v1:A+B+C"},
        }
        event = normalise_event(line)
        self.assertEqual((event.name, event.data["currentTime"], event.user_id), ("play_video", 3.5, 3))
        self.assertEqual(event.course_key, "course-v1:A+B+C")

    def test_datetime_timestamp_from_the_tracker(self):
        event = normalise_event({"name": "x", "timestamp": datetime(2026, 1, 1, tzinfo=UTC), "data": {}})
        self.assertTrue(event.timestamp.startswith("2026-01-01T00:00:00"))

    @ddt.data(
        ({"data": {}, "timestamp": "2020-01-01T00:00:00Z"}, "no name"),
        ({"name": "play_video", "data": "{not json", "timestamp": "2020-01-01T00:00:00Z"}, "not JSON"),
        ({"name": "play_video", "data": [1, 2], "timestamp": "2020-01-01T00:00:00Z"}, "not an object"),
        ({"name": "play_video", "data": {}}, "no timestamp"),
        ("just a string", "not an object"),
    )
    @ddt.unpack
    def test_malformed(self, raw, message):
        with self.assertRaisesRegex(MalformedEvent, message):
            normalise_event(raw)

    def test_fingerprint_tells_events_apart(self):
        a = normalise_event(fixture("play_video"))
        b = normalise_event(dict(fixture("play_video"), timestamp="2020-07-15T06:52:56.000000+00:00"))
        self.assertNotEqual(a.fingerprint, b.fingerprint)
        self.assertEqual(a.fingerprint, normalise_event(fixture("play_video")).fingerprint)


_RECORDING_HANDLER = "tests.intake.test_tracking_intake._ROUTED"


@pytest.fixture
def routed(monkeypatch):
    """Route play_video to a recording handler called in the request (unit test of the router only)."""
    seen = []

    def handler(event):
        if event.data.get("explode"):
            raise RuntimeError("boom")
        if event.data.get("bad"):
            raise MalformedEvent("bad data")
        seen.append(event)

    monkeypatch.setitem(tracking.TRACKING_ROUTES, "play_video", _RECORDING_HANDLER)
    monkeypatch.setattr(tracking, "REQUEST_PATH_HANDLERS", frozenset({_RECORDING_HANDLER}))
    monkeypatch.setattr("tests.intake.test_tracking_intake._ROUTED", handler, raising=False)
    tracking._handler.cache_clear()
    yield seen
    tracking._handler.cache_clear()


_ROUTED = None


@pytest.mark.django_db
def test_backend_and_signal_paths_yield_an_event_once(routed, monkeypatch):
    """A handler run from the event intake: the copy the other path carries is stored once, handled once."""
    from xapi_plugin.models import EventIntake  # noqa: PLC0415

    monkeypatch.setattr(tracking, "REQUEST_PATH_HANDLERS", frozenset())
    raw = fixture("play_video")
    XapiTrackingBackend().send(raw)
    send_tracking_event_emitted(raw)
    assert len(routed) == 1
    assert metrics.read_counters()[metrics.DUPLICATE_EVENTS] == 1
    assert list(EventIntake.objects.values_list("kind", "outcome")) == [("tracking", "reported")]


def test_signal_path_alone_delivers(routed):
    raw = fixture("play_video")
    send_tracking_event_emitted(raw)
    assert [event.data["id"] for event in routed] == [raw["data"]["id"]]
    assert routed[0].user_id == 3


def test_handler_failures_never_raise_and_are_counted(routed, caplog):
    raw = fixture("play_video")
    XapiTrackingBackend().send(dict(raw, data=dict(raw["data"], explode=True)))
    XapiTrackingBackend().send(dict(raw, data=dict(raw["data"], bad=True)))
    XapiTrackingBackend().send(dict(raw, data="{broken"))
    counters = metrics.read_counters()
    assert counters[metrics.FAILED_EVENTS] == 1
    assert counters[metrics.SKIPPED_EVENTS] == 2
    assert routed == []
    assert "failed on tracking event play_video" in caplog.text
    # The log names the event by fingerprint, never with the learner's data.
    assert "172.18.0.1" not in caplog.text and "Mozilla" not in caplog.text


def test_events_of_no_interest_are_ignored_cheaply(routed):
    XapiTrackingBackend().send({"name": "edx.ui.lms.hide_course_outline", "data": "{broken"})
    assert metrics.read_counters() == {name: 0 for name in metrics.COUNTERS}


def test_real_tracker_emit_reaches_the_plugin_backend(routed):
    """The host's eventtracking tracker (built from EVENT_TRACKING_BACKENDS) feeds the plugin."""
    from eventtracking import tracker  # noqa: PLC0415

    with tracker.get_tracker().context("request", {"user_id": 7, "course_id": "course-v1:A+B+C"}):
        tracker.emit("play_video", {"id": "v9", "currentTime": 1.5, "duration": 10})
    assert [(event.user_id, event.course_key, event.data["id"]) for event in routed] == [(7, "course-v1:A+B+C", "v9")]
