"""Learner activity inside a course's content: problem submissions, hints and shown answers, navigation.

``problems.py`` turns the capa ProblemBlock's server-side tracking events (``problem_check``,
``showanswer``, ``edx.problem.hint.demandhint_displayed``) into ``evaluated`` / ``asked``
statements; ``navigation.py`` turns the LMS's navigation events (``edx.ui.lms.sequence.*``,
``edx.ui.lms.link_clicked``, ``edx.ui.lms.outline.selected``) into ``navigated`` statements.
Both are tracking routes (``xapi_plugin.intake.tracking.TRACKING_ROUTES``), each family switched on
and off per course (``send_problem_statements``, ``send_navigation_statements``), and both queue
their statements through ``xapi_plugin.course.enqueue`` like course statements.

Public API: ``handle_problem_event``, ``handle_navigation_event``, ``PROBLEM_EVENTS``,
``NAVIGATION_EVENTS``, ``submission_from_event``.
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "handle_problem_event": "problems",
    "submission_from_event": "problems",
    "PROBLEM_EVENTS": "problems",
    "handle_navigation_event": "navigation",
    "NAVIGATION_EVENTS": "navigation",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
