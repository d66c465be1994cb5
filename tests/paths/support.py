"""Helpers of the learning path tests: real ``learning_paths`` rows, two small courses, completing a course."""

import uuid
from datetime import UTC, datetime

from openedx_events.learning import signals

from tests.course import support
from xapi_plugin.testing import standin_platform

ROOT = "http://lms.stand-in.test"
PATH_KEY = "path-v1:OpenedX+DemoPath+2026+G1"
PATH_IRI = f"{ROOT}/learning-path/{PATH_KEY}"
COURSE_A = "course-v1:OpenedX+PathA+2026"
COURSE_B = "course-v1:OpenedX+PathB+2026"
COURSE_C = "course-v1:OpenedX+PathC+2026"


def make_courses(*course_keys: str, units: int = 2) -> None:
    """Register each course in the stand-in: one section of ``units`` units."""
    for key in course_keys:
        standin_platform.make_course(key, f"Course {key.split('+')[1]}", sections=1, units=units)


def units_of(course_key: str, units: int = 2) -> list[str]:
    body = course_key.split(":", 1)[1]
    return [f"block-v1:{body}+type@vertical+block@s0u{u}" for u in range(units)]


def make_path(
    courses,
    *,
    key: str = PATH_KEY,
    required_completion: float = 1.0,
    required_grade: float = 0.75,
    weights=None,
    name: str = "Demo learning path",
):
    """A real ``LearningPath`` with its steps and grading criteria (created by the model's own save)."""
    from learning_paths.models import LearningPath, LearningPathStep  # noqa: PLC0415

    path = LearningPath.objects.create(key=key, display_name=name)
    criteria = path.grading_criteria
    criteria.required_completion = required_completion
    criteria.required_grade = required_grade
    criteria.save()
    for order, course_key in enumerate(courses):
        weight = weights[order] if weights else 1.0
        LearningPathStep.objects.create(learning_path=path, course_key=course_key, order=order, weight=weight)
    return path


def enroll(user, path, is_active: bool = True):
    from learning_paths.models import LearningPathEnrollment  # noqa: PLC0415

    return LearningPathEnrollment.objects.create(user=user, learning_path=path, is_active=is_active)


def finish_course(user, course_key: str, units: int = 2) -> None:
    """Complete every unit of the course, through the BlockCompletion save path."""
    for unit in units_of(course_key, units):
        standin_platform.save_block_completion(user.id, course_key, unit)


def grade(user, course_key: str, percent: float, n: int = 0) -> None:
    """A ``PERSISTENT_GRADE_SUMMARY_CHANGED`` for the learner in the course."""
    metadata = support.metadata_for(
        signals.PERSISTENT_GRADE_SUMMARY_CHANGED,
        uuid.uuid1(),
        datetime(2026, 3, 2, 11, n % 60, 0, tzinfo=UTC),
    )
    signals.PERSISTENT_GRADE_SUMMARY_CHANGED.send_event_with_custom_metadata(
        metadata, send_robust=False, grade=support.grade(user, percent, course_key=course_key)
    )


def path_statements(statements: list[dict]) -> list[dict]:
    return [s for s in statements if s["object"]["id"] == PATH_IRI]


def summary(statements: list[dict]) -> list[tuple]:
    """(verb, progress %) of each path statement, in order."""
    out = []
    for s in path_statements(statements):
        progress = (
            s.get("result", {}).get("extensions", {}).get("https://w3id.org/xapi/cmi5/result/extensions/progress")
        )
        verb = s["verb"]["display"]["en-US"]
        out.append((verb, progress) if verb == "progressed" else (verb,))
    return out
