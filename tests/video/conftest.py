"""Helpers for video tests: a scripted player that emits LMS-shaped tracking events into the real intake."""

import copy
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import COURSE_KEY
from xapi_plugin.intake import tracking
from xapi_plugin.intake.tracking import XapiTrackingBackend
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.events import send_tracking_event_emitted
from xapi_plugin.testing.validation import assert_lrs_accepts, assert_valid_video_profile, assert_video_sessions
from xapi_plugin.testing.video_profile import find_shared

FIXTURES = find_shared("fixtures/tracking-events")
VIDEO_ID = "0b9e39477cf34507a7a48f74be381fdd"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAGE = "http://localhost:18000/xblock/block-v1:edX+DemoX+Demo_Course+type@vertical+block@vertical_0270f6de40fc"


def fixture_event(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


# Deliver an event as the event bus does: through openedx-events' TRACKING_EVENT_EMITTED.
send_by_signal = send_tracking_event_emitted


class ScriptedPlayer:
    """Emits the LMS video player's events for one learner on one page (a tab)."""

    def __init__(self, user_id: int, page: str = PAGE, session: str = "browser-session-1", paths=("backend",)):
        self.user_id = user_id
        self.page = page
        self.session = session
        self.paths = paths

    def event(self, name: str, at: float, **data) -> dict:
        """A tracking event ``name`` at ``at`` seconds after START, with ``data`` merged in."""
        base = {"id": VIDEO_ID, "code": "html5"}
        base.update({key: value for key, value in data.items() if value is not ...})
        return {
            "name": name,
            "timestamp": (START + timedelta(seconds=at)).isoformat(),
            "data": base,
            "context": {
                "user_id": self.user_id,
                "username": f"learner{self.user_id}",
                "course_id": COURSE_KEY,
                "session": self.session,
                "page": self.page,
                "event_source": "browser",
                "org_id": "edX",
                "path": "/event",
            },
        }

    def send(self, raw: dict) -> None:
        for path in self.paths:
            if path == "backend":
                XapiTrackingBackend().send(copy.deepcopy(raw))
            else:
                send_by_signal(copy.deepcopy(raw))

    def run(self, script) -> None:
        """``script``: (event name, seconds after START, data) triples, sent in order."""
        for name, at, data in script:
            self.send(self.event(name, at, **data))


def outbox_statements() -> list[dict]:
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    return [json.loads(row.payload) for row in OutboxStatement.objects.order_by("pk")]


def verbs(statements) -> list[str]:
    return [statement["verb"]["display"]["en-US"] for statement in statements]


def result_ext(statement: dict, name: str):
    return statement.get("result", {}).get("extensions", {}).get(f"https://w3id.org/xapi/video/extensions/{name}")


def context_ext(statement: dict, name: str):
    return statement["context"].get("extensions", {}).get(f"https://w3id.org/xapi/video/extensions/{name}")


def assert_profile_valid_and_accepted(statements, lrs) -> None:
    """Ralph's models and the profile's templates accept each statement, sessions follow the profile's
    pattern, session ids are sound, and the real LRS stores them."""
    initialized = [s["id"] for s in statements if s["verb"]["display"]["en-US"] == "initialized"]
    for statement in statements:
        assert_valid_video_profile(statement)
        session_id = context_ext(statement, "session-id")
        assert session_id in initialized, f"session {session_id} has no initialized statement"
        first = next(s for s in statements if context_ext(s, "session-id") == session_id)
        assert first["id"] == session_id, "initialized must be the session's first statement"
    # Each session follows the profile's primary pattern (a test may end with sessions still open).
    assert_video_sessions(statements, closed=False)
    if statements:
        assert len(assert_lrs_accepts(lrs.endpoint, lrs.auth, statements)) == len(statements)


@pytest.fixture
def learner(db):
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    # A fresh user id per test: statement ids derive from it, and the LRS lives for the whole run.
    user_id = secrets.randbelow(10**9) + 10**6
    return get_user_model().objects.create(id=user_id, username=f"learner{user_id}", email=f"l{user_id}@example.com")


@pytest.fixture
def video_course(make_course_settings):
    """Video statements on for the demo course; pass settings overrides as keyword arguments."""
    standin_platform.make_course(COURSE_KEY, display_name="Demo course")
    tracking._handler.cache_clear()

    def _make(**fields):
        return make_course_settings(**fields)

    return _make
