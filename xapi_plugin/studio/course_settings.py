"""A course's effective xAPI settings, read through one cached accessor.

Everything downstream calls :func:`get_course_settings`; nothing else reads the settings table.
Entries live in Django's cache (shared by all web and Celery processes when the host's cache is)
and are dropped whenever a ``CourseSettings`` or ``LRSConnection`` row is saved or deleted
(:func:`connect_cache_invalidation`, called when the app is ready).
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import ActorMode, BeaconInterval
from xapi_plugin.core.snapshot import remembered

_CACHE_PREFIX = "xapi_plugin:course_settings:"
_GENERATION_KEY = "xapi_plugin:course_settings:generation"
_NOT_CONFIGURED = "__not_configured__"


@dataclass(frozen=True)
class CourseXapiSettings:
    """The settings in force for one course, as plain values (safe to cache and to pass around)."""

    course_key: str
    enabled: bool
    connection_id: int | None
    connection_name: str
    connection_enabled: bool
    actor_mode: str = ActorMode.EMAIL
    video_end_percent: int = 100
    video_end_seconds: int = 0
    beacon_interval: str = BeaconInterval.QUARTERS
    send_course_statements: bool = True
    send_video_statements: bool = True
    send_problem_statements: bool = True
    send_navigation_statements: bool = True

    @property
    def active(self) -> bool:
        """True when statements for this course are produced (course on, with a connection)."""
        return self.enabled and self.connection_id is not None

    @property
    def sends_course_statements(self) -> bool:
        return self.active and self.send_course_statements

    @property
    def sends_video_statements(self) -> bool:
        return self.active and self.send_video_statements

    @property
    def sends_problem_statements(self) -> bool:
        return self.active and self.send_problem_statements

    @property
    def sends_navigation_statements(self) -> bool:
        return self.active and self.send_navigation_statements


# What course staff choose, by the same name on the ``CourseSettings`` row and on :class:`CourseXapiSettings`.
CHOSEN_FIELDS = (
    "actor_mode",
    "video_end_percent",
    "video_end_seconds",
    "beacon_interval",
    "send_course_statements",
    "send_video_statements",
    "send_problem_statements",
    "send_navigation_statements",
)


def _generation() -> int:
    # A generation number lets one write drop every cached course (connection changes).
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = 1
        cache.add(_GENERATION_KEY, generation, None)
    return generation


def _cache_key(course_key: str) -> str:
    # Course keys reach 255 characters and events may carry spaces: memcached refuses both. Hash them.
    digest = hashlib.sha256(course_key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{_CACHE_PREFIX}{_generation()}:{digest}"


def _load(course_key: str) -> CourseXapiSettings | None:
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    row = CourseSettings.objects.select_related("connection").filter(course_key=course_key).first()
    if row is None:
        return None
    connection = row.connection
    return CourseXapiSettings(
        course_key=row.course_key,
        enabled=row.enabled,
        connection_id=connection.pk if connection else None,
        connection_name=connection.name if connection else "",
        connection_enabled=bool(connection and connection.enabled),
        **{name: getattr(row, name) for name in CHOSEN_FIELDS},
    )


def get_course_settings(course_key) -> CourseXapiSettings | None:
    """The course's settings, or None when the course has no xAPI settings at all.

    Read once per :func:`~xapi_plugin.core.snapshot.configuration_snapshot` (a worker's batch).
    """
    course_key = str(course_key)
    return remembered(("course-settings", course_key), lambda: _cached_settings(course_key))


def _cached_settings(course_key: str) -> CourseXapiSettings | None:
    key = _cache_key(course_key)
    cached = cache.get(key)
    if cached is not None:
        return None if cached == _NOT_CONFIGURED else cached
    loaded = _load(course_key)
    cache.set(key, _NOT_CONFIGURED if loaded is None else loaded, get_setting("XAPI_SETTINGS_CACHE_TIMEOUT"))
    return loaded


def invalidate_course_settings(course_key) -> None:
    """Drop the cached settings of one course (called on every save of its row)."""
    cache.delete(_cache_key(str(course_key)))


def invalidate_all_course_settings() -> None:
    """Drop every cached course (called when a connection changes)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, _generation() + 1, None)


def course_settings_changed(sender, instance, **kwargs) -> None:
    """post_save / post_delete of ``CourseSettings``: the next read loads the new row."""
    invalidate_course_settings(instance.course_key)


def connection_changed(sender, instance, **kwargs) -> None:
    """post_save / post_delete of ``LRSConnection``: every course may read a changed connection."""
    invalidate_all_course_settings()


def connect_cache_invalidation() -> None:
    """Connect the receivers above to the models' save and delete (called from ``AppConfig.ready``)."""
    from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

    from xapi_plugin.models import CourseSettings, LRSConnection  # noqa: PLC0415

    for what, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(course_settings_changed, sender=CourseSettings, dispatch_uid=f"xapi-course-settings-{what}")
        signal.connect(connection_changed, sender=LRSConnection, dispatch_uid=f"xapi-connection-{what}")
