"""Counters of what the plugin skipped or failed, shared by all processes through Django's cache.

``xapi_status`` prints them; they reset when the cache does. Counting never raises.
"""

import logging

from django.core.cache import cache

log = logging.getLogger(__name__)
_PREFIX = "xapi_plugin:counter:"

SKIPPED_EVENTS = "events_skipped"
FAILED_EVENTS = "events_failed"
DUPLICATE_EVENTS = "events_duplicate"
DEFERRED_TO_ASIDE = "video_events_deferred_to_aside"
IDLE_CLOSE_FAILED = "video_idle_close_failed"
FOLD_FAILED = "video_fold_failed"
#: Event intake reports that raised and wait to be tried again (``intake.event_intake``).
INTAKE_RETRIED = "event_reports_retried"
ASIDE_REPORTS_THROTTLED = "video_aside_reports_throttled"
ASIDE_REPORTS_UNCHANGED = "video_aside_reports_unchanged"
#: Browser-reported video lengths ignored because the server knows the video's length and it differs.
VIDEO_LENGTHS_IGNORED = "video_browser_lengths_ignored"
COUNTERS = (
    SKIPPED_EVENTS,
    FAILED_EVENTS,
    DUPLICATE_EVENTS,
    DEFERRED_TO_ASIDE,
    IDLE_CLOSE_FAILED,
    FOLD_FAILED,
    INTAKE_RETRIED,
    ASIDE_REPORTS_THROTTLED,
    ASIDE_REPORTS_UNCHANGED,
    VIDEO_LENGTHS_IGNORED,
)


def increment(name: str, amount: int = 1) -> None:
    """Add ``amount`` to counter ``name``."""
    key = _PREFIX + name
    try:
        if not cache.add(key, amount, None):
            cache.incr(key, amount)
    except Exception:  # noqa: BLE001 - a broken cache must not break the learner's request
        log.debug("could not count %s", name)


def read_counters() -> dict[str, int]:
    """Current value of every counter."""
    return {name: int(cache.get(_PREFIX + name) or 0) for name in COUNTERS}
