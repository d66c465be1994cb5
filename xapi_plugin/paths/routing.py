"""Which LRS connections a learning path's statements go to, and how learners are named in them.

The rule (docs/_incoming/18-operators.md):

1. An operator's :class:`~xapi_plugin.models.LearningPathConnection` row for the path wins: its
   one connection, its actor mode.
2. Otherwise every connection of the path's courses that sends course statements (course xAPI on,
   a connection chosen, course statements not switched off), each connection once, in step order.
   Learners are named by LMS account (no personal data) if any of those courses does so, else by
   email: a connection never gets a learner's email for a path when one of its courses hides it.

:func:`connections_for_path` is the one place that reads course routing: the destinations
``xapi_plugin.routing`` gives each course's course statements (its own connection and the
organisation- and site-wide connections covering it), so scopes and wide connections apply to paths
as they do to courses. A wide connection with its own actor mode gets the path's statements in that
mode.
"""

from dataclasses import dataclass

from xapi_plugin.core.constants import ActorMode, StatementFamily
from xapi_plugin.platform import LearningPathInfo
from xapi_plugin.routing import destinations
from xapi_plugin.studio import get_course_settings


@dataclass(frozen=True)
class PathTarget:
    """Where a path's statements go (connection ids, no repeats) and the actor mode they use."""

    connection_ids: tuple[int, ...]
    actor_mode: str
    #: Connection id -> the actor mode an operator set for that connection (None: the path's own).
    connection_actor_modes: tuple[tuple[int, str | None], ...] = ()


def _override(path_key: str):
    from xapi_plugin.models import LearningPathConnection  # noqa: PLC0415

    return LearningPathConnection.objects.filter(path_key=path_key).first()


def _course_settings_sending(path: LearningPathInfo) -> list:
    settings = []
    for course_key in path.course_keys:
        course = get_course_settings(course_key)
        if course is not None and course.sends_course_statements:
            settings.append(course)
    return settings


def connections_for_path(path: LearningPathInfo) -> list[int]:
    """Connection ids the path's statements go to (operator's choice, else its courses'), each once."""
    override = _override(path.key)
    if override is not None:
        return [override.connection_id]
    return [connection_id for connection_id, _mode in _destinations(path)]


def _destinations(path: LearningPathInfo) -> list[tuple[int, str | None]]:
    found: dict[int, str | None] = {}
    for course_key in path.course_keys:
        for destination in destinations(course_key, StatementFamily.COURSE, get_course_settings(course_key)):
            found.setdefault(destination.connection_id, destination.actor_mode)
    return list(found.items())


def path_target(path: LearningPathInfo) -> PathTarget:
    """The connections and the actor mode of the path's statements (see the module docstring)."""
    override = _override(path.key)
    if override is not None:
        return PathTarget((override.connection_id,), override.actor_mode)
    courses = _course_settings_sending(path)
    mode = ActorMode.ACCOUNT if any(c.actor_mode == ActorMode.ACCOUNT for c in courses) else ActorMode.EMAIL
    wanted = _destinations(path)
    return PathTarget(tuple(connection_id for connection_id, _ in wanted), mode, tuple(wanted))
