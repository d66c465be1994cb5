"""Signals the course receivers send for other families to follow (learning paths, for one).

Plain Django signals, sent with ``send_robust`` (a listener that raises is ignored), so
a listener can never break course statements. Keyword arguments:

``COURSE_PROGRESS_CHANGED``
    ``user_id``, ``course_key``, ``timestamp`` (ISO 8601 or datetime), ``source_event_id``: the
    learner's course-level progress moved (or may have: sent on every completion of a course that
    sends no course statements itself, since its progress is then not computed here).
``COURSE_GRADE_CHANGED``
    ``user_id``, ``course_key``, ``percent`` (0..1), ``timestamp``, ``source_event_id``: a
    ``PERSISTENT_GRADE_SUMMARY_CHANGED`` was read, whether or not the course sends statements.
"""

from django.dispatch import Signal

COURSE_PROGRESS_CHANGED = Signal()
COURSE_GRADE_CHANGED = Signal()
