"""Receivers that follow learning paths; listed in ``apps.py``, never raising into the sender.

* ``platform.LEARNING_PATH_SAVED`` (``post_save``) of a ``LearningPathEnrollment``: registered or
  unregistered, then the learner's standing;
* ``LEARNING_PATH_SAVED`` / ``LEARNING_PATH_DELETED`` of a ``LearningPathStep``: every active
  learner's standing recomputed;
* ``course.COURSE_PROGRESS_CHANGED``: standing in the learner's paths holding the course;
* ``course.COURSE_GRADE_CHANGED``: grade kept (course in some path), standing recomputed.

Without the Learning Paths app the first two never fire and the last two find no path.
"""

import functools
import logging

from xapi_plugin import platform
from xapi_plugin.core import metrics
from xapi_plugin.paths import reporting
from xapi_plugin.privacy import LearnerRetired

log = logging.getLogger(__name__)


def _never_raises(body):
    @functools.wraps(body)
    def receiver(sender=None, **kwargs):
        try:
            body(sender, **kwargs)
        except LearnerRetired:
            metrics.increment(metrics.SKIPPED_EVENTS)
        except Exception:  # noqa: BLE001 - never break the code that sent the signal
            metrics.increment(metrics.FAILED_EVENTS)
            log.exception("xapi: learning path statements failed (%s)", body.__name__)

    return receiver


@_never_raises
def learning_path_saved(sender, instance=None, created=False, raw=False, **kwargs) -> None:
    """``post_save``: path enrolments and path steps; every other model is ignored at once."""
    if raw or instance is None:
        return
    change = platform.path_enrollment_change(sender, instance, created)
    if change is not None:
        reporting.report_enrollment(change, created=created)
        return
    path_key = platform.path_step_path_key(sender, instance)
    if path_key is not None:
        reporting.report_path_for_all_learners(path_key)


@_never_raises
def learning_path_deleted(sender, instance=None, **kwargs) -> None:
    """``post_delete`` of a ``LearningPathStep``: the ratio of the path's learners is recomputed."""
    path_key = platform.path_step_path_key(sender, instance)
    if path_key is not None:
        reporting.report_path_for_all_learners(path_key)


@_never_raises
def course_progress_changed(sender, user_id=None, course_key=None, timestamp=None, source_event_id="", **kwargs):
    """A learner's course progress moved: their paths holding the course are re-evaluated."""
    reporting.report_paths_of_course(
        int(user_id), str(course_key), timestamp=timestamp, source_event_id=str(source_event_id)
    )


@_never_raises
def course_grade_changed(
    sender, user_id=None, course_key=None, percent=None, timestamp=None, source_event_id="", **kwargs
):
    """A course grade was read: kept for path grades, and the learner's paths re-evaluated."""
    if reporting.record_course_grade(int(user_id), str(course_key), float(percent)):
        reporting.report_paths_of_course(
            int(user_id), str(course_key), timestamp=timestamp, source_event_id=str(source_event_id)
        )
