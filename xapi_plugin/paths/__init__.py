"""Learning path statements (Open edX Learning Paths, ``learning-paths-plugin``): registered,
unregistered, progressed, completed, passed/failed on the path as an activity of its own.

``receivers.py`` follows path enrolments and step changes (``post_save``/``post_delete`` through the
platform adapter) and the course family's ``COURSE_PROGRESS_CHANGED``/``COURSE_GRADE_CHANGED``;
``reporting.py`` recomputes a learner's standing in a path and sends what changed;
``routing.py`` says which LRS connections a path's statements go to (``connections_for_path``).
Without the Learning Paths app installed nothing here ever fires.

Public API: the receivers (``learning_path_saved``, ``learning_path_deleted``,
``course_progress_changed``, ``course_grade_changed``), ``connections_for_path``, ``path_target``,
``PathTarget``, ``report_path``, ``standing``, ``PathStanding``, ``weighted_grade``.
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "learning_path_saved": "receivers",
    "learning_path_deleted": "receivers",
    "course_progress_changed": "receivers",
    "course_grade_changed": "receivers",
    "connections_for_path": "routing",
    "path_target": "routing",
    "PathTarget": "routing",
    "report_path": "reporting",
    "standing": "reporting",
    "PathStanding": "reporting",
    "weighted_grade": "reporting",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
