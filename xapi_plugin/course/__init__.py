"""Course statements: enrolment, grades, passing, certificates, and progress through the course.

``events.py`` turns openedx-events learning signals into statements; ``progress.py`` follows block
completion to section and course ``progressed``/``completed``; ``state.py`` keeps each learner's
per-course state (last grade, progress milestones) in one row read and written with two
precomputed SQL statements, and queues statements to the outbox in the caller's transaction.

Public API: the signal receivers (``course_enrollment_created_receiver`` ... ``certificate_changed_receiver``),
``block_completion_saved`` and ``handle_block_completion_event`` (tracking route), and
``compute_progress`` / ``CourseProgress`` for tools that show a learner's progress,
``course_basis`` / ``enqueue`` (what every learner statement shares; the one way onto the outbox)
for the other statement families, and the signals other families follow (``signals.py``:
``COURSE_PROGRESS_CHANGED``, ``COURSE_GRADE_CHANGED``).
"""

from xapi_plugin.core.lazy import lazy_exports

_RECEIVERS = (
    "course_enrollment_created_receiver",
    "course_enrollment_changed_receiver",
    "course_unenrollment_completed_receiver",
    "persistent_grade_summary_changed_receiver",
    "course_passing_status_updated_receiver",
    "ccx_course_passing_status_updated_receiver",
    "certificate_created_receiver",
    "certificate_changed_receiver",
)
_EXPORTS = {
    **dict.fromkeys(_RECEIVERS, "events"),
    "block_completion_saved": "progress",
    "handle_block_completion_event": "progress",
    "compute_progress": "progress",
    "CourseProgress": "progress",
    "COURSE_PROGRESS_CHANGED": "signals",
    "COURSE_GRADE_CHANGED": "signals",
    "course_basis": "state",
    "enqueue": "state",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
