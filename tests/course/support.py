"""Helpers of the course-statement tests: learners, openedx-events payloads, the outbox, independent checks."""

import json
import uuid
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from openedx_events.data import EventsMetadata
from openedx_events.learning.data import (
    CertificateData,
    CourseEnrollmentData,
    CoursePassingStatusData,
    PersistentCourseGradeData,
)

from xapi_plugin.models import OutboxStatement
from xapi_plugin.testing import events
from xapi_plugin.testing.validation import assert_lrs_accepts, assert_valid_xapi

COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"

# Ids already posted to the session's LRS. The test database hands out the same user ids in
# every test, so two tests can build the same statement id with other content (a 409, which is
# right for an LRS and says nothing about validity): such repeats are posted under a fresh id.
_posted_ids: set[str] = set()


def course_with_lrs(course_key: str = COURSE_KEY, **course_settings):
    """The stand-in's course, an LRS connection open to all courses, and the course's xAPI settings (on)."""
    from xapi_plugin.models import CourseSettings, LRSConnection  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    standin_platform.make_course(course_key, "Demo course", sections=2, units=2)
    connection = LRSConnection(
        name="LRS", endpoint="http://127.0.0.1:9/xAPI", contact_email="o@example.com", available_to_all=True
    )
    connection.key, connection.secret = "k", "s"
    connection.save()
    settings = CourseSettings.objects.create(
        course_key=course_key, enabled=True, connection=connection, **course_settings
    )
    return connection, settings


def make_user(username: str = "learner", email: str = "learner@example.com", **fields):
    return get_user_model().objects.create(username=username, email=email, **fields)


def user_data(user, email: str | None = None):
    return events.user_data(user, email=email, name="Ada")


def course_data(course_key: str = COURSE_KEY, display_name: str = ""):
    return events.course_data(course_key, display_name)


def enrollment(user, course_key: str = COURSE_KEY, *, is_active: bool = True, mode: str = "audit", email=None):
    return CourseEnrollmentData(
        user=user_data(user, email),
        course=course_data(course_key),
        mode=mode,
        is_active=is_active,
        creation_date=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
    )


def grade(user, percent: float, letter: str = "", course_key: str = COURSE_KEY) -> PersistentCourseGradeData:
    return PersistentCourseGradeData(
        user_id=user.id,
        course=course_data(course_key),
        course_edited_timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        course_version="v1",
        grading_policy_hash="hash",
        percent_grade=percent,
        letter_grade=letter,
        passed_timestamp=None,
    )


def passing(user, is_passing: bool, course_key: str = COURSE_KEY) -> CoursePassingStatusData:
    return CoursePassingStatusData(is_passing=is_passing, course=course_data(course_key), user=user_data(user))


def certificate(user, status: str = "downloadable", mode: str = "verified", course_key: str = COURSE_KEY):
    return CertificateData(
        user=user_data(user),
        course=course_data(course_key),
        mode=mode,
        grade="0.9",
        download_url="",
        name="Ada Lovelace",
        current_status=status,
    )


def metadata_for(signal, event_id: uuid.UUID | None = None, time: datetime | None = None) -> EventsMetadata:
    """Metadata as the event bus hands it over again on a redelivery (same id, same time)."""
    return EventsMetadata(
        event_type=signal.event_type,
        id=event_id or uuid.uuid1(),
        time=time or datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=UTC),
    )


def outbox(**filters) -> list[dict]:
    """The statements in the outbox, in the order they were written."""
    rows = OutboxStatement.objects.filter(**filters).order_by("pk")
    return [json.loads(row.payload) for row in rows]


def verbs(statements) -> list[str]:
    return [statement["verb"]["display"]["en-US"] for statement in statements]


def assert_independently_valid(statements: list[dict], lrs) -> None:
    """Every statement passes Ralph's xAPI 1.0.3 model and is accepted (200) by the real LRS."""
    assert statements, "no statement to check"
    to_post = []
    for statement in statements:
        assert_valid_xapi(statement)
        if statement["id"] in _posted_ids:
            statement = dict(statement, id=str(uuid.uuid4()))
        _posted_ids.add(statement["id"])
        to_post.append(statement)
    accepted = assert_lrs_accepts(lrs.endpoint, lrs.auth, to_post)
    assert accepted == [statement["id"] for statement in to_post]


class EveryStatementValidated:
    """Test-case mixin: after each test, every statement left in the outbox is checked independently.

    Needs the ``lrs_for_class`` fixture (``self.lrs``). Runs before the test's transaction is
    rolled back, so it sees what the test produced, whatever the test itself asserted.
    """

    def tearDown(self):
        statements = outbox()
        if statements:
            assert_independently_valid(statements, self.lrs)
        super().tearDown()
