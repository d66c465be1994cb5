"""Where a course's statements of one family go: its own connection and the wide ones covering it.

Every connection's scope is kept in a per-process snapshot, reloaded when any connection is saved
or deleted (a generation number in Django's cache, so web and worker processes all notice) and at
least every ``XAPI_SETTINGS_CACHE_TIMEOUT`` seconds; one cache read per call otherwise.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import ActorMode, ConnectionCoverage, StatementFamily
from xapi_plugin.core.snapshot import remembered
from xapi_plugin.routing.scopes import ConnectionScope
from xapi_plugin.studio import CourseXapiSettings

_GENERATION_KEY = "xapi_plugin:routing:generation"


@dataclass(frozen=True)
class Destination:
    """One connection a statement goes to; ``actor_mode`` None keeps the actor the statement was built with."""

    connection_id: int
    name: str
    actor_mode: str | None
    #: "course" (the course chose it), "organisation" or "site" (set by operators).
    reason: str


class _Snapshot:
    generation: object = None
    loaded_at: float = 0.0
    scopes: dict[int, ConnectionScope] = {}  # noqa: RUF012 - replaced whole, never mutated
    wide: tuple[ConnectionScope, ...] = ()


def _generation():
    return remembered("routing-generation", _read_generation)


def _read_generation():
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = 1
        cache.add(_GENERATION_KEY, generation, None)
    return generation


def _scopes() -> _Snapshot:
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    generation = _generation()
    now = time.monotonic()
    timeout = get_setting("XAPI_SETTINGS_CACHE_TIMEOUT")
    if _Snapshot.generation != generation or now - _Snapshot.loaded_at > timeout:
        scopes = {row.pk: ConnectionScope.of(row) for row in LRSConnection.objects.all()}
        _Snapshot.scopes = scopes
        _Snapshot.wide = tuple(scope for scope in scopes.values() if scope.coverage in ConnectionCoverage.WIDE)
        _Snapshot.generation, _Snapshot.loaded_at = generation, now
    return _Snapshot


def invalidate_routing() -> None:
    """Make every process reload connection scopes (called when a connection changes)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, _generation() + 1, None)
    _Snapshot.generation = None


def _connection_changed(sender, instance, **kwargs) -> None:
    invalidate_routing()


def connect_invalidation() -> None:
    """Reload scopes whenever an ``LRSConnection`` is saved or deleted (called from ``AppConfig.ready``)."""
    from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    post_save.connect(_connection_changed, sender=LRSConnection, dispatch_uid="xapi-routing-save")
    post_delete.connect(_connection_changed, sender=LRSConnection, dispatch_uid="xapi-routing-delete")


def routing_settings(course_key, settings: CourseXapiSettings | None) -> CourseXapiSettings:
    """The course's settings, or for a course without any, inactive ones that name learners by account.

    Wide connections still receive such a course's statements; the learner's stored course
    identity is then an opaque account (the privacy-safe choice, kept if the course later
    chooses email), and each wide connection applies its own actor mode on top.
    """
    if settings is not None:
        return settings
    return CourseXapiSettings(
        course_key=str(course_key),
        enabled=False,
        connection_id=None,
        connection_name="",
        connection_enabled=False,
        actor_mode=ActorMode.ACCOUNT,
    )


def _course_sends(settings: CourseXapiSettings, family: str) -> bool:
    if not settings.active:
        return False
    if family == StatementFamily.COURSE:
        return settings.send_course_statements
    if family == StatementFamily.VIDEO:
        return settings.send_video_statements
    return True  # other plugins' statements: whenever the course sends at all


def destinations(course_key, family: str, settings: CourseXapiSettings | None) -> list[Destination]:
    """Every connection that gets the course's statements of ``family``, each once, the course's own first.

    The course's own connection counts only while its scope still allows the course (an operator
    who narrows a scope stops that course's statements at once). A connection with its own actor
    mode (set by operators) gets statements with that mode; otherwise the course's.
    """
    snapshot = _scopes()
    course_key = str(course_key)
    found: list[Destination] = []
    if settings is not None and _course_sends(settings, family):
        own = snapshot.scopes.get(settings.connection_id)
        if own is not None and own.allows(course_key):
            found.append(Destination(own.id, own.name, own.actor_mode or None, "course"))
    for scope in snapshot.wide:
        if family in scope.families and scope.covers(course_key) and all(d.connection_id != scope.id for d in found):
            found.append(Destination(scope.id, scope.name, scope.actor_mode or None, scope.coverage))
    return found


def course_receives(course_key, family: str, settings: CourseXapiSettings | None) -> bool:
    """True when at least one connection gets the course's statements of ``family``."""
    return bool(destinations(course_key, family, settings))
