"""Platform inputs for tests, the demo and benchmarks: openedx-events payloads and the event bus path.

What the LMS would send, built from a Django user and a course key, so every caller shapes them
the same way.
"""

import json
from datetime import datetime

from opaque_keys.edx.keys import CourseKey
from openedx_events.analytics.data import TrackingLogData
from openedx_events.analytics.signals import TRACKING_EVENT_EMITTED
from openedx_events.learning.data import CourseData, UserData, UserPersonalData


def user_data(user, email: str | None = None, name: str | None = None) -> UserData:
    """The ``UserData`` the LMS sends for a Django user (``email``/``name`` override the user's)."""
    return UserData(
        id=user.id,
        is_active=True,
        pii=UserPersonalData(
            username=user.username,
            email=(user.email or "") if email is None else email,
            name=(getattr(user, "first_name", "") or user.username) if name is None else name,
        ),
    )


def course_data(course_key: str, display_name: str = "") -> CourseData:
    """The ``CourseData`` of a course key."""
    return CourseData(course_key=CourseKey.from_string(course_key), display_name=display_name)


def send_tracking_event_emitted(raw: dict) -> None:
    """Deliver a tracking event as the event bus does: ``TRACKING_EVENT_EMITTED`` with JSON strings."""
    timestamp = raw["timestamp"]
    TRACKING_EVENT_EMITTED.send_event(
        tracking_log=TrackingLogData(
            name=raw["name"],
            timestamp=datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else timestamp,
            data=json.dumps(raw["data"]),
            context=json.dumps(raw["context"]),
        )
    )
