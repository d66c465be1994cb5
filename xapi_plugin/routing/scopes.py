"""Who may use an LRS connection: the operator's scope, checked for Studio and again at send time.

A course may choose a connection when the connection is open to all courses, or lists the
course's organisation or the course's key, or covers the course organisation- or site-wide.
Names of connections a course may not use are never shown to it, not even in error messages.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from xapi_plugin.core.constants import ConnectionCoverage


def course_org(course_key) -> str:
    """The organisation part of a course key (``course-v1:ORG+NUM+RUN``, ``ccx-v1:ORG+...``, ``ORG/NUM/RUN``)."""
    key = str(course_key)
    body = key.split(":", 1)[1] if ":" in key else key
    for separator in ("+", "/"):
        if separator in body:
            return body.split(separator, 1)[0]
    return body


def master_course_key(course_key) -> str:
    """A CCX course's master course key (the key itself for other courses)."""
    key = str(course_key)
    if key.startswith("ccx-v1:"):
        return "course-v1:" + key.split(":", 1)[1].split("+ccx@", 1)[0]
    return key


def split_lines(text: str) -> frozenset[str]:
    """The non-empty lines (or comma-separated items) of an operator's list."""
    return frozenset(item.strip() for item in (text or "").replace(",", "\n").splitlines() if item.strip())


@dataclass(frozen=True)
class ConnectionScope:
    """What routing needs to know about one connection (a cached copy of its row)."""

    id: int
    name: str
    available_to_all: bool
    organisations: frozenset[str]
    courses: frozenset[str]
    coverage: str
    actor_mode: str
    families: frozenset[str]

    @classmethod
    def of(cls, connection) -> "ConnectionScope":
        from xapi_plugin.core.constants import StatementFamily  # noqa: PLC0415

        families = {
            StatementFamily.COURSE: connection.send_course_statements,
            StatementFamily.VIDEO: connection.send_video_statements,
            StatementFamily.OTHER: connection.send_other_statements,
        }
        return cls(
            id=connection.pk,
            name=connection.name,
            available_to_all=connection.available_to_all,
            organisations=split_lines(connection.scope_organisations),
            courses=split_lines(connection.scope_courses),
            coverage=connection.coverage,
            actor_mode=connection.actor_mode,
            families=frozenset(family for family, on in families.items() if on),
        )

    def covers(self, course_key) -> bool:
        """True when every course of ``course_key``'s site or organisation sends to this connection."""
        if self.coverage == ConnectionCoverage.SITE:
            return True
        return self.coverage == ConnectionCoverage.ORGANISATIONS and course_org(course_key) in self.organisations

    def allows(self, course_key) -> bool:
        """True when course staff of ``course_key`` may choose this connection (CCX: as its master course)."""
        key = str(course_key)
        return (
            self.available_to_all
            or self.covers(key)
            or course_org(key) in self.organisations
            or key in self.courses
            or master_course_key(key) in self.courses
        )


def may_use(connection, course_key) -> bool:
    """True when the course may choose ``connection`` (an ``LRSConnection`` row or a ``ConnectionScope``)."""
    scope = connection if isinstance(connection, ConnectionScope) else ConnectionScope.of(connection)
    return scope.allows(course_key)


def usable_connection_names(course_key) -> list[str]:
    """Names of the connections course staff of ``course_key`` may choose, sorted."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    return sorted(connection.name for connection in LRSConnection.objects.all() if may_use(connection, course_key))


def courses_losing_access(connection) -> list[str]:
    """Courses whose settings name ``connection`` but that its scope no longer allows, sorted."""
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    scope = ConnectionScope.of(connection)
    keys = CourseSettings.objects.filter(connection_id=connection.pk).values_list("course_key", flat=True)
    return sorted(key for key in keys if not scope.allows(key))


def lost_access_message(connection_name: str) -> str:
    """What the Studio page of a course that lost its connection says (names only that connection)."""
    return (
        f'The LRS connection "{connection_name}" is no longer available to this course, so nothing is sent '
        "to it any more. Choose another LRS on this page or in Advanced Settings, or ask your operators."
    )


def record_lost_access(connection, course_keys: Iterable[str]) -> None:
    """Tell each course (on its Studio page) that it lost ``connection``; its statements stop going there."""
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    message = lost_access_message(connection.name)
    for row in CourseSettings.objects.filter(course_key__in=list(course_keys), connection_id=connection.pk):
        if row.studio_error != message:
            row.studio_error = message
            row.save(update_fields=["studio_error", "modified"])
