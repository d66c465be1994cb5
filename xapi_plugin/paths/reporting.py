"""Learning path statements from path enrolments, course progress and course grades.

What a learner's path looks like is always recomputed from the platform, never accumulated:

* **steps completed**: a step (course) is complete when the learner's course progress is 100 %,
  the same number the course's own ``progressed``/``completed`` come from
  (``xapi_plugin.course.compute_progress`` on the platform's outline and completed blocks);
* **average completion**: the mean of the steps' course progress;
* **grade**: the steps' latest course grades (``LearnerCourseGrade``, kept from
  ``PERSISTENT_GRADE_SUMMARY_CHANGED``) weighted by the steps' weights, known once every step has one.

A :class:`~xapi_plugin.models.LearnerPathState` row (locked while it is compared and written)
holds what was last sent, so a statement goes out only when something moved: ``progressed`` when
the completed-steps ratio changed (a course completed, or a step added or removed), ``completed``
once ever, ``passed``/``failed`` when the passing status changed. Because the ratio is recomputed
with the path's current steps, a changed course list changes the next ``progressed`` and can never
send a second ``completed``.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from xapi_plugin import platform
from xapi_plugin.core import metrics
from xapi_plugin.core.conf import lms_root_url
from xapi_plugin.course import compute_progress
from xapi_plugin.delivery import enqueue_statements
from xapi_plugin.paths.routing import PathTarget, path_target
from xapi_plugin.platform import LearningPathInfo
from xapi_plugin.privacy import get_learner_identity
from xapi_plugin.routing import LearnerAgents
from xapi_plugin.statements import deterministic_uuid, language_tag, statement_id
from xapi_plugin.statements import paths as path_statements
from xapi_plugin.statements.vocabulary import (
    VERB_COMPLETED,
    VERB_FAILED,
    VERB_PASSED,
    VERB_PROGRESSED,
    VERB_REGISTERED,
    VERB_UNREGISTERED,
)
from xapi_plugin.studio import CourseXapiSettings

log = logging.getLogger(__name__)

# Tolerance when comparing fractions with the path's thresholds (0.8 stored as a float).
EPSILON = 1e-9


@dataclass(frozen=True)
class PathStanding:
    """A learner's standing in a path, recomputed: step completion (0..100 each) and the weighted grade."""

    step_percents: tuple[int, ...]
    grade: float | None

    @property
    def steps_total(self) -> int:
        return len(self.step_percents)

    @property
    def steps_completed(self) -> int:
        return sum(1 for value in self.step_percents if value >= 100)

    @property
    def ratio_percent(self) -> int:
        return self.steps_completed * 100 // self.steps_total if self.steps_total else 0

    @property
    def average_completion(self) -> float:
        return sum(self.step_percents) / 100 / self.steps_total if self.steps_total else 0.0


def weighted_grade(path: LearningPathInfo, grades: dict[str, float]) -> float | None:
    """The steps' grades weighted by the steps' weights; None until every step has a grade.

    All weights 0 (allowed by the model) count every step equally.
    """
    if not path.steps or any(step.course_key not in grades for step in path.steps):
        return None
    total_weight = sum(step.weight for step in path.steps)
    if total_weight <= 0:
        return sum(grades[step.course_key] for step in path.steps) / len(path.steps)
    return sum(step.weight * grades[step.course_key] for step in path.steps) / total_weight


def course_percent(user_id: int, course_key: str) -> int:
    """The learner's course progress (0..100) as the course's own statements compute it; 0 if unknown."""
    outline = platform.get_course_outline(course_key)
    if outline is None:
        return 0
    progress = compute_progress(outline, platform.get_completed_blocks(user_id, course_key))
    return progress.course if progress else 0


def standing(user_id: int, path: LearningPathInfo) -> PathStanding:
    """Read the learner's standing in the path from the platform and the kept course grades."""
    from xapi_plugin.models import LearnerCourseGrade  # noqa: PLC0415

    grades = dict(
        LearnerCourseGrade.objects.filter(user_id=user_id, course_key__in=path.course_keys).values_list(
            "course_key", "percent"
        )
    )
    return PathStanding(
        step_percents=tuple(course_percent(user_id, key) for key in path.course_keys),
        grade=weighted_grade(path, grades),
    )


def _locked_path_state(user_id: int, path_key: str):
    from xapi_plugin.models import LearnerPathState  # noqa: PLC0415

    state = LearnerPathState.objects.select_for_update().filter(user_id=user_id, path_key=path_key).first()
    if state is None:
        state, _created = LearnerPathState.objects.get_or_create(user_id=user_id, path_key=path_key)
        state = LearnerPathState.objects.select_for_update().get(pk=state.pk)
    return state


def _basis(user_id: int, path: LearningPathInfo, target: PathTarget, timestamp, source_event_id: str):
    # The identity store is keyed by "course key": a path key is one too (a LearningContextKey).
    settings = CourseXapiSettings(
        course_key=path.key,
        enabled=True,
        connection_id=target.connection_ids[0],
        connection_name="",
        connection_enabled=True,
        actor_mode=target.actor_mode,
    )
    identity = get_learner_identity(user_id, path.key, settings)
    return path_statements.PathBasis(
        actor=identity.agent,
        registration=identity.registration,
        path_key=path.key,
        path_name=path.display_name or None,
        root_url=lms_root_url(),
        language=language_tag(None),
        timestamp=timestamp,
        source_event_id=source_event_id,
    )


def _target_or_none(path: LearningPathInfo, reason: str) -> PathTarget | None:
    target = path_target(path)
    if not target.connection_ids:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.info("xapi: no statement for learning path %s (%s): no LRS connection for it", path.key, reason)
        return None
    return target


def _send(statements: list[dict], target: PathTarget, path_key: str, user_id: int) -> None:
    own_modes = dict(target.connection_actor_modes)
    agents = LearnerAgents(user_id)
    for connection_id in target.connection_ids:
        mode = own_modes.get(connection_id)
        rows = statements
        if mode is not None and mode != target.actor_mode:
            rows = [{**statement, "actor": agents.agent(mode, statement.get("actor"))} for statement in statements]
        enqueue_statements(rows, connection_id=connection_id, course_key=path_key, user_id=user_id)


def completed_milestone_id(user_id: int, path_key: str) -> str:
    """The one id of a learner's ``completed`` for a path, whatever event led to it."""
    return statement_id("learning-path-milestone", VERB_COMPLETED, user_id, path_key)


def report_path(user_id: int, path: LearningPathInfo, *, timestamp, source_event_id: str) -> list[dict]:
    """Send what changed in the learner's standing in the path; returns the statements queued."""
    if not path.steps:
        return []
    target = _target_or_none(path, source_event_id)
    if target is None:
        return []
    now = standing(user_id, path)
    statements: list[dict] = []
    with transaction.atomic():
        state = _locked_path_state(user_id, path.key)
        basis = None

        def basis_once():
            nonlocal basis
            basis = basis or _basis(user_id, path, target, timestamp, source_event_id)
            return basis

        if now.ratio_percent != state.progress:
            sid = statement_id(
                "learning-path",
                VERB_PROGRESSED,
                user_id,
                path.key,
                now.steps_completed,
                now.steps_total,
                source_event_id,
            )
            statements.append(path_statements.progressed(basis_once(), sid, now.steps_completed, now.steps_total))
            state.progress = now.ratio_percent
        if not state.completed and now.average_completion + EPSILON >= path.required_completion:
            completed_id = completed_milestone_id(user_id, path.key)
            statements.append(path_statements.completed(basis_once(), completed_id, now.average_completion))
            state.completed = True
        if now.grade is not None:
            is_passing = now.grade + EPSILON >= path.required_grade
            if state.passing is not is_passing:
                verb = VERB_PASSED if is_passing else VERB_FAILED
                sid = statement_id("learning-path", verb, user_id, path.key, source_event_id)
                statements.append(path_statements.passed_or_failed(basis_once(), sid, is_passing, now.grade))
                state.passing, state.grade = is_passing, round(now.grade, 4)
        if statements:
            _send(statements, target, path.key, user_id)
            state.save()
    return statements


def report_enrollment(change: platform.PathEnrollmentChange, *, created: bool) -> list[dict]:
    """registered / unregistered when the enrolment's active flag changed; then the learner's standing."""
    if not change.changed or (created and not change.is_active):
        return []
    path = platform.get_learning_path(change.path_key)
    if path is None:
        return []
    target = _target_or_none(path, "enrolment")
    if target is None:
        return []
    timestamp = change.modified or timezone.now()
    moment = timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp)
    event_id = deterministic_uuid("learning-path-enrollment", change.user_id, path.key, change.is_active, moment)
    with transaction.atomic():
        state = _locked_path_state(change.user_id, path.key)
        if state.enrolled is change.is_active:
            return []
        verb = VERB_REGISTERED if change.is_active else VERB_UNREGISTERED
        basis = _basis(change.user_id, path, target, timestamp, event_id)
        sid = statement_id("learning-path", verb, change.user_id, path.key, moment)
        build = path_statements.registered if change.is_active else path_statements.unregistered
        statements = [build(basis, sid)]
        _send(statements, target, path.key, change.user_id)
        state.enrolled = change.is_active
        state.save()
    if change.is_active:
        # Courses finished before joining the path count at once.
        statements += report_path(change.user_id, path, timestamp=timestamp, source_event_id=event_id)
    return statements


def record_course_grade(user_id: int, course_key: str, percent: float) -> bool:
    """Keep the learner's latest grade in a course that is a step of some path; True when kept."""
    from xapi_plugin.models import LearnerCourseGrade  # noqa: PLC0415

    if not platform.is_course_in_any_path(course_key):
        return False
    LearnerCourseGrade.objects.update_or_create(user_id=user_id, course_key=course_key, defaults={"percent": percent})
    return True


def report_paths_of_course(user_id: int, course_key: str, *, timestamp, source_event_id: str) -> list[dict]:
    """Re-evaluate every path the learner is in that holds this course."""
    statements = []
    for path in platform.learner_paths_with_course(user_id, course_key):
        statements += report_path(user_id, path, timestamp=timestamp, source_event_id=source_event_id)
    return statements


def report_path_for_all_learners(path_key: str) -> int:
    """After the path's course list changed: re-evaluate each active learner; returns statements queued."""
    path = platform.get_learning_path(path_key)
    if path is None:
        return 0
    now = timezone.now()
    event_id = deterministic_uuid("learning-path-steps", path_key, path.course_keys, now.isoformat())
    count = 0
    for user_id in platform.active_learners_of_path(path_key):
        count += len(report_path(user_id, path, timestamp=now, source_event_id=event_id))
    return count
