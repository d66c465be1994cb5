"""The learning path samples in docs/statements.md are what the code sends: generated here, compared with the page.

To refresh them after a deliberate change:
``XAPI_WRITE_SAMPLES=1 .venv/bin/pytest tests/paths/test_statement_samples.py`` (the block is
appended at the end of the page the first time).
"""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from openedx_events.learning import signals

from tests.course import support as course_support
from tests.course.support import outbox
from tests.paths import support
from tests.paths.support import COURSE_A, COURSE_B, PATH_IRI
from xapi_plugin.models import CourseSettings, LRSConnection
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.doc_samples import details_block, page_shows
from xapi_plugin.testing.validation import assert_valid_xapi

PAGE = Path(__file__).resolve().parents[2] / "docs" / "statements.md"
BEGIN, END = "<!-- samples: learning-paths -->", "<!-- /samples: learning-paths -->"
T0 = datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC)
SAMPLES = (
    ("registered", "a `LearningPathEnrollment` saved active"),
    ("progressed", "the path's first course completed (1 of 2 steps)"),
    ("progressed", "the second course completed (2 of 2 steps)"),
    ("completed", "average completion reached the path's `required_completion`"),
    ("passed", "both courses graded (`PERSISTENT_GRADE_SUMMARY_CHANGED`): weighted grade 0.85 ≥ `required_grade`"),
)


@override_settings(XAPI_ACTOR_ID_SALT="readme-sample-salt")
class LearningPathSamplesTest(TestCase):
    def produce(self) -> list[dict]:
        """One learner through a two-course path, with fixed event ids and times."""
        support.make_courses(COURSE_A, COURSE_B)
        connection = LRSConnection(
            name="LRS", endpoint="http://127.0.0.1:9/xAPI", contact_email="o@example.com", available_to_all=True
        )
        connection.key, connection.secret = "k", "s"
        connection.save()
        for key in (COURSE_A, COURSE_B):
            CourseSettings.objects.create(course_key=key, enabled=True, connection=connection)
        user = get_user_model().objects.create(username="ada", email="ada@example.com", id=42)
        path = support.make_path([COURSE_A, COURSE_B], required_completion=1.0, required_grade=0.75)
        from learning_paths.models import LearningPathEnrollment  # noqa: PLC0415

        # An explicit time on creation is kept by model-utils' TimeStampedModel.
        LearningPathEnrollment.objects.create(user=user, learning_path=path, created=T0, modified=T0)
        minute = 1
        for course_key, percent in ((COURSE_A, 0.9), (COURSE_B, 0.8)):
            for unit in support.units_of(course_key):
                at = T0 + timedelta(minutes=minute)
                standin_platform.save_block_completion(user.id, course_key, unit, modified=at)
                minute += 1
            metadata = course_support.metadata_for(
                signals.PERSISTENT_GRADE_SUMMARY_CHANGED,
                uuid.UUID(f"2f0c9a00-0000-11f1-8000-{minute:012d}"),
                T0 + timedelta(minutes=minute),
            )
            signals.PERSISTENT_GRADE_SUMMARY_CHANGED.send_event_with_custom_metadata(
                metadata, send_robust=False, grade=course_support.grade(user, percent, course_key=course_key)
            )
            minute += 1
        return [s for s in outbox() if s["object"]["id"] == PATH_IRI]

    def markdown(self) -> str:
        statements = self.produce()
        self.assertEqual([s["verb"]["display"]["en-US"] for s in statements], [verb for verb, _ in SAMPLES])
        for statement in statements:
            assert_valid_xapi(statement)
        return details_block(BEGIN, END, "### Learning path statements (learning-paths-plugin)", SAMPLES, statements)

    def test_statements_page_shows_the_learning_path_samples(self):
        stale = "docs/statements.md is stale: the module docstring says how to refresh"
        self.assertTrue(page_shows(PAGE, BEGIN, END, self.markdown()), stale)
