"""Course settings: validation with messages course authors understand, the cached accessor."""

import ddt
import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from xapi_plugin.models import CourseSettings, LRSConnection
from xapi_plugin.studio.course_settings import get_course_settings


@ddt.ddt
class CourseSettingsValidationTest(TestCase):
    def setUp(self):
        self.connection = LRSConnection.objects.create(
            name="LRS", endpoint="https://lrs.example.com/xapi", contact_email="a@b.co", available_to_all=True
        )

    def _row(self, **fields):
        values = {"course_key": "course-v1:A+B+C", "enabled": True, "connection": self.connection}
        values.update(fields)
        return CourseSettings(**values)

    @ddt.data(
        ({"video_end_percent": 0}, "video_end_percent", "from 1 to 100"),
        ({"video_end_percent": 101}, "video_end_percent", "from 1 to 100"),
        ({"video_end_seconds": -5}, "video_end_seconds", "0 or more"),
        ({"course_key": "not a course"}, "course_key", "is not a course id"),
        ({"connection": None}, "connection", "Choose the LRS connection"),
        ({"beacon_interval": "hourly"}, "beacon_interval", "not a valid choice"),
        ({"actor_mode": "name"}, "actor_mode", "not a valid choice"),
    )
    @ddt.unpack
    def test_invalid_values_are_refused(self, fields, field_name, message):
        with self.assertRaises(ValidationError) as caught:
            self._row(**fields).full_clean()
        self.assertIn(field_name, caught.exception.message_dict)
        self.assertIn(message, " ".join(caught.exception.message_dict[field_name]))

    def test_defaults(self):
        row = self._row()
        row.full_clean()
        self.assertEqual((row.video_end_percent, row.video_end_seconds, row.beacon_interval), (100, 0, "quarters"))


@pytest.mark.django_db
def test_accessor_caches_and_is_invalidated_on_change(make_course_settings):
    row = make_course_settings(video_end_percent=90)
    first = get_course_settings(row.course_key)
    assert first.video_end_percent == 90 and first.active
    with CaptureQueriesContext(db_connection) as queries:
        assert get_course_settings(row.course_key) == first
    assert len(queries) == 0

    row.video_end_percent = 80
    row.save()
    assert get_course_settings(row.course_key).video_end_percent == 80

    row.connection.enabled = False
    row.connection.save()
    assert get_course_settings(row.course_key).connection_enabled is False


@pytest.mark.django_db
def test_accessor_caches_unconfigured_courses():
    assert get_course_settings("course-v1:No+Such+Course") is None
    with CaptureQueriesContext(db_connection) as queries:
        assert get_course_settings("course-v1:No+Such+Course") is None
    assert len(queries) == 0


@pytest.mark.django_db
def test_disabled_course_is_not_active(make_course_settings):
    row = make_course_settings(enabled=False)
    settings = get_course_settings(row.course_key)
    assert settings is not None
    assert not settings.active
    assert not settings.sends_course_statements
    assert not settings.sends_video_statements


def test_course_version_is_checked_at_most_once_a_minute(monkeypatch):
    """In the LMS the version is a modulestore read: it is asked once a minute, not on every event."""
    from xapi_plugin import platform  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    standin_platform.make_course("course-v1:A+B+C", version="1")
    backend = platform.get_backend()
    asked = []
    real = backend.get_course_version
    monkeypatch.setattr(backend, "get_course_version", lambda key: asked.append(key) or real(key))
    clock = [1000.0]
    monkeypatch.setattr(platform.time, "monotonic", lambda: clock[0])

    assert platform.get_course_outline("course-v1:A+B+C").version == "1"
    for _ in range(5):
        platform.get_course_outline("course-v1:A+B+C")
    assert len(asked) == 1
    # A new version published in Studio (another process: no cache entry dropped here).
    standin_platform._outlines["course-v1:A+B+C"] = standin_platform._outlines["course-v1:A+B+C"].__class__(
        course_key="course-v1:A+B+C", display_name="New", version="2"
    )
    assert platform.get_course_outline("course-v1:A+B+C").version == "1"
    clock[0] += platform.OUTLINE_VERSION_CHECK_SECONDS + 1
    assert platform.get_course_outline("course-v1:A+B+C").version == "2"
    assert len(asked) == 2
