"""Which tracking settings apply to one video: the course's, with course staff's per-video overrides.

Overrides are set on the unit page in Studio (the video aside, ``xapi_plugin/aside/video_aside.py``), which
copies them to ``VideoTrackingOverride`` so that every source of observations (tracking events,
the aside's live playback) reads them here without an XBlock runtime. Cached per video; the aside
drops the entry when it saves.
"""

import hashlib

from django.core.cache import cache

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import StatementFamily
from xapi_plugin.routing import course_receives
from xapi_plugin.studio import CourseXapiSettings
from xapi_plugin.video.viewing import VideoSettings

_CACHE_PREFIX = "xapi_plugin:video_override:"
_NO_OVERRIDE = "__none__"


def _cache_key(video_key: str) -> str:
    # Usage keys can be long and hold characters memcached refuses: hash them.
    return _CACHE_PREFIX + hashlib.sha256(video_key.encode()).hexdigest()


def get_video_override(video_key: str) -> dict | None:
    """Course staff's choice for one video (``tracking_enabled``, thresholds or None), or None."""
    from xapi_plugin.models import VideoTrackingOverride  # noqa: PLC0415

    key = _cache_key(video_key)
    cached = cache.get(key)
    if cached is not None:
        return None if cached == _NO_OVERRIDE else cached
    row = (
        VideoTrackingOverride.objects.filter(video_key=video_key)
        .values("tracking_enabled", "video_end_percent", "video_end_seconds")
        .first()
    )
    cache.set(key, row if row is not None else _NO_OVERRIDE, get_setting("XAPI_SETTINGS_CACHE_TIMEOUT"))
    return row


def invalidate_video_override(video_key: str) -> None:
    """Drop the cached override of one video (called when the aside saves it)."""
    cache.delete(_cache_key(video_key))


def resolve_video_settings(course_settings: CourseXapiSettings, video_key: str) -> VideoSettings:
    """The settings in force for ``video_key``: the course's, changed by the video's override if any.

    An override can only switch tracking off (never on for a course whose video statements no LRS
    gets: neither its own connection nor an operator's organisation- or site-wide one) and replace
    either completion threshold; an empty threshold keeps the course's.
    """
    override = get_video_override(video_key) or {}
    end_percent = override.get("video_end_percent")
    end_seconds = override.get("video_end_seconds")
    return VideoSettings(
        tracking_enabled=course_receives(course_settings.course_key, StatementFamily.VIDEO, course_settings)
        and override.get("tracking_enabled", True),
        end_percent=course_settings.video_end_percent if end_percent is None else end_percent,
        end_seconds=course_settings.video_end_seconds if end_seconds is None else end_seconds,
        beacon_interval=course_settings.beacon_interval,
    )
