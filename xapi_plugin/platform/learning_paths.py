"""Reads of the Open edX Learning Paths app (PyPI ``learning-paths-plugin``, Django app ``learning_paths``).

The app is a separate plugin, installed in the LMS or not, and the same in every host (real LMS,
stand-in, demo), so this is not a backend method: its models are looked up through Django's app
registry when it is installed, and every function answers "nothing" when it is not. Nothing else
in the plugin touches ``learning_paths``.

Facts used (learning-paths-plugin 0.5.0, ``learning_paths/models.py``): ``LearningPath.key`` is a
``path-v1:org+number+run+group`` key, ``steps`` (``LearningPathStep``: ``course_key``, ``order``,
``weight`` 0..1), ``grading_criteria`` (``LearningPathGradingCriteria``: ``required_completion``
and ``required_grade``, fractions, created with the path), ``LearningPathEnrollment`` (``user``,
``learning_path``, ``is_active``, a ``FieldTracker`` on ``is_active``). The app sends no signals of
its own: enrolments are followed through ``post_save`` (``signals.LEARNING_PATH_ENROLLMENT_SAVED``).
"""

import time
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps

APP_LABEL = "learning_paths"
ENROLLMENT_LABEL = "learning_paths.LearningPathEnrollment"
STEP_LABEL = "learning_paths.LearningPathStep"


@dataclass(frozen=True)
class PathStep:
    """One course of a learning path and its weight in the path's grade."""

    course_key: str
    weight: float = 1.0


@dataclass(frozen=True)
class LearningPathInfo:
    """What statements need of a learning path: key, name, steps in order, what it takes to finish it."""

    key: str
    display_name: str
    steps: tuple[PathStep, ...]
    required_completion: float = 0.8
    required_grade: float = 0.75

    @property
    def course_keys(self) -> tuple[str, ...]:
        return tuple(step.course_key for step in self.steps)


@dataclass(frozen=True)
class PathEnrollmentChange:
    """A saved ``LearningPathEnrollment``: who, which path, active now or not, and whether that changed."""

    user_id: int
    path_key: str
    is_active: bool
    changed: bool
    modified: datetime | None


def learning_paths_installed() -> bool:
    """True when the Learning Paths app is in ``INSTALLED_APPS``."""
    return apps.is_installed(APP_LABEL)


def _model(name: str):
    return apps.get_model(APP_LABEL, name)


def _info(path) -> LearningPathInfo:
    steps = tuple(
        PathStep(course_key=str(step.course_key), weight=float(step.weight))
        for step in path.steps.all()  # the model orders them (order, nulls last, then id)
    )
    criteria = getattr(path, "grading_criteria", None)
    return LearningPathInfo(
        key=str(path.key),
        display_name=path.display_name or "",
        steps=steps,
        required_completion=float(criteria.required_completion) if criteria else 0.8,
        required_grade=float(criteria.required_grade) if criteria else 0.75,
    )


def get_learning_path(path_key) -> LearningPathInfo | None:
    """The path with this key (None when unknown or when the app is not installed)."""
    if not learning_paths_installed():
        return None
    path = (
        _model("LearningPath")
        .objects.filter(key=str(path_key))
        .select_related("grading_criteria")
        .prefetch_related("steps")
        .first()
    )
    return _info(path) if path is not None else None


#: Seconds a process trusts its set of courses that are steps of some path. A step saved or deleted
#: in this process is seen at once; one saved in another (Studio, admin) within this time.
STEP_COURSES_TTL = 5.0
_step_courses: list = [float("-inf"), frozenset()]  # [valid until (monotonic), course keys]


def _forget_step_courses(sender=None, **kwargs) -> None:
    _step_courses[0] = float("-inf")


def _courses_in_paths() -> frozenset[str]:
    """Every course that is a step of some path, re-read at most every ``STEP_COURSES_TTL`` seconds.

    Course receivers ask on every grade change and most courses are in no path: one query per
    process every few seconds instead of one (or two) per signal.
    """
    now = time.monotonic()
    if now >= _step_courses[0]:
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        step = _model("LearningPathStep")
        post_save.connect(_forget_step_courses, sender=step, dispatch_uid="xapi-path-step-saved")
        post_delete.connect(_forget_step_courses, sender=step, dispatch_uid="xapi-path-step-deleted")
        keys = frozenset(str(key) for key in step.objects.values_list("course_key", flat=True).distinct())
        _step_courses[:] = [now + STEP_COURSES_TTL, keys]
    return _step_courses[1]


def learner_paths_with_course(user_id: int, course_key) -> list[LearningPathInfo]:
    """The paths the learner is actively enrolled in that hold this course (empty without the app)."""
    if not learning_paths_installed() or str(course_key) not in _courses_in_paths():
        return []
    paths = (
        _model("LearningPath")
        .objects.filter(
            steps__course_key=str(course_key),
            learningpathenrollment__user_id=user_id,
            learningpathenrollment__is_active=True,
        )
        .select_related("grading_criteria")
        .prefetch_related("steps")
        .distinct()
        .order_by("key")
    )
    return [_info(path) for path in paths]


def is_course_in_any_path(course_key) -> bool:
    """True when some learning path has this course as a step."""
    if not learning_paths_installed():
        return False
    return str(course_key) in _courses_in_paths()


def is_learner_enrolled_in_path(user_id: int, path_key) -> bool:
    """True when the learner's enrolment in the path exists and is active."""
    if not learning_paths_installed():
        return False
    return (
        _model("LearningPathEnrollment")
        .objects.filter(user_id=user_id, learning_path__key=str(path_key), is_active=True)
        .exists()
    )


def active_learners_of_path(path_key, limit: int = 10_000) -> list[int]:
    """User ids of the path's active learners (bounded: re-evaluating a path is per learner)."""
    if not learning_paths_installed():
        return []
    rows = (
        _model("LearningPathEnrollment")
        .objects.filter(learning_path__key=str(path_key), is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)[:limit]
    )
    return list(rows)


def enrollment_change(sender, instance, created: bool) -> PathEnrollmentChange | None:
    """What a ``post_save`` of a model means for path enrolment; None for any other model."""
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.label != ENROLLMENT_LABEL:
        return None
    is_active = bool(instance.is_active)
    tracker = getattr(instance, "tracker", None)
    if created:
        changed = True
    elif tracker is not None:
        # django-model-utils' FieldTracker: still the pre-save state while post_save receivers run.
        changed = tracker.has_changed("is_active")
    else:
        changed = True
    return PathEnrollmentChange(
        user_id=int(instance.user_id),
        path_key=str(instance.learning_path.key),
        is_active=is_active,
        changed=changed,
        modified=getattr(instance, "modified", None),
    )


def step_path_key(sender, instance) -> str | None:
    """The path key of a saved or deleted ``LearningPathStep``; None for any other model."""
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.label != STEP_LABEL:
        return None
    try:
        return str(instance.learning_path.key)
    except Exception:  # noqa: BLE001 - the path itself is being deleted (cascade)
        return None
