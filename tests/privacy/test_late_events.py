"""After retirement, a late event about the learner (a regrade, a video left open) sends nothing."""

from datetime import UTC, datetime

import pytest
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, PersistentCourseGradeData
from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED

from tests.conftest import COURSE_KEY
from xapi_plugin import platform
from xapi_plugin.core import metrics
from xapi_plugin.intake.tracking import XapiTrackingBackend
from xapi_plugin.models import LearnerCourseAgent, OutboxStatement
from xapi_plugin.testing import standin_platform


def _regrade(user_id: int, percent: float) -> None:
    PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(
        grade=PersistentCourseGradeData(
            user_id=user_id,
            course=CourseData(course_key=CourseKey.from_string(COURSE_KEY), display_name="Privacy course"),
            course_edited_timestamp=datetime(2026, 1, 1, tzinfo=UTC),
            course_version="v1",
            grading_policy_hash="hash",
            percent_grade=percent,
            letter_grade="B",
            passed_timestamp=datetime(2026, 1, 2, tzinfo=UTC),
        )
    )


def _video_event(user_id: int) -> dict:
    return {
        "name": "play_video",
        "timestamp": "2026-03-02T09:00:01+00:00",
        "data": {"id": "late", "currentTime": 0, "duration": 60},
        "context": {"user_id": user_id, "course_id": COURSE_KEY, "session": "s", "page": "p"},
    }


@pytest.mark.django_db
def test_late_events_after_retirement_send_nothing(privacy_courses, make_learner):
    connection = privacy_courses()
    standin_platform.make_course(COURSE_KEY, display_name="Privacy course")
    alice = make_learner("alice", connection)
    bob = make_learner("bob", connection)

    standin_platform.retire_user(alice.user.pk)  # the platform renames the account first
    platform.USER_RETIRE_LMS_CRITICAL.send(sender=None, user=alice.user)
    assert not OutboxStatement.objects.filter(user_id=alice.user.pk).exists()
    skipped_before = metrics.read_counters()[metrics.SKIPPED_EVENTS]

    _regrade(alice.user.pk, 0.81)
    XapiTrackingBackend().send(_video_event(alice.user.pk))

    assert not OutboxStatement.objects.filter(user_id=alice.user.pk).exists()
    assert not LearnerCourseAgent.objects.filter(user_id=alice.user.pk).exists()
    assert metrics.read_counters()[metrics.SKIPPED_EVENTS] == skipped_before + 2

    # The same events for a learner who was not retired still produce statements.
    before = OutboxStatement.objects.filter(user_id=bob.user.pk).count()
    _regrade(bob.user.pk, 0.81)
    XapiTrackingBackend().send(_video_event(bob.user.pk))
    assert OutboxStatement.objects.filter(user_id=bob.user.pk).count() > before
