"""Routing: which LRS connections receive which statements of a course, and in what form.

``scopes.py`` says which connections a course may choose (operators scope each connection to
organisations and/or courses, or open it to all) and which courses lose a connection when its
scope changes; ``targets.py`` decides the destinations of a course's statements of one family:
the course's own connection (when the course sends that family) plus every organisation- and
site-wide connection that covers the course (with the families and actor mode the operator set
for it); ``filters.py`` is the openedx-filters hook (``StatementQueued``) that lets an operator's
plugin change or drop a statement before it is queued; ``queue.py`` is the one function every
producer calls to queue statements to every destination, each with its own bytes.

Public API: ``queue_statements``, ``LearnerAgents`` (a learner's agent in each actor mode),
``Destination``, ``destinations``, ``course_receives``,
``routing_settings``, ``may_use``, ``usable_connection_names``, ``courses_losing_access``,
``record_lost_access``, ``course_org``, ``StatementQueued``, ``connect_invalidation``,
``invalidate_routing``.
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "queue_statements": "queue",
    "LearnerAgents": "queue",
    "Destination": "targets",
    "destinations": "targets",
    "course_receives": "targets",
    "routing_settings": "targets",
    "connect_invalidation": "targets",
    "invalidate_routing": "targets",
    "may_use": "scopes",
    "usable_connection_names": "scopes",
    "courses_losing_access": "scopes",
    "record_lost_access": "scopes",
    "course_org": "scopes",
    "StatementQueued": "filters",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
