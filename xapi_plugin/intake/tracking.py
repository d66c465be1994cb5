"""Tracking events in: the eventtracking backend and the ``TRACKING_EVENT_EMITTED`` receiver.

Both paths normalise an event to :class:`TrackingEvent`, drop it if the other path already took
it, and hand it to the handler registered for its name in ``TRACKING_ROUTES``. Nothing here ever
raises into the platform: a malformed event is logged with its fingerprint, counted and skipped.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache as memoize

from django.core.cache import cache
from django.utils.module_loading import import_string

from xapi_plugin.core import metrics
from xapi_plugin.privacy import LearnerRetired

log = logging.getLogger(__name__)

_VIDEO_HANDLER = "xapi_plugin.video.ingest.handle_video_event"

# Event name -> dotted path of ``handler(event: TrackingEvent) -> None``.
TRACKING_ROUTES: dict[str, str] = {
    "edx.completion.block_completion.changed": "xapi_plugin.course.progress.handle_block_completion_event",
    **{
        name: _VIDEO_HANDLER
        for name in (
            "load_video",
            "play_video",
            "pause_video",
            "seek_video",
            "stop_video",
            "complete_video",
            "speed_change_video",
            "show_transcript",
            "hide_transcript",
            "edx.video.loaded",
            "edx.video.played",
            "edx.video.paused",
            "edx.video.position.changed",
            "edx.video.stopped",
            "edx.video.completed",
            "edx.video.speed.changed",
            "edx.video.transcript.shown",
            "edx.video.transcript.hidden",
            "edx.video.closed_captions.shown",
            "edx.video.closed_captions.hidden",
            "edx.video.language_menu.shown",
            "edx.video.language_menu.hidden",
        )
    },
}

_DEDUPE_PREFIX = "xapi_plugin:seen-event:"
_DEDUPE_TTL = 3600


class MalformedEvent(ValueError):
    """A tracking event that cannot be read (no name, unreadable data, bad user id...)."""


@dataclass(frozen=True)
class TrackingEvent:
    """A tracking event in one shape, whichever path and log format it came from."""

    name: str
    timestamp: str
    data: dict
    context: dict = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        value = self.context.get("user_id", self.data.get("user_id") if isinstance(self.data, dict) else None)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise MalformedEvent(f"user_id {value!r} is not a number") from exc

    @property
    def course_key(self) -> str | None:
        return self.context.get("course_id") or self.data.get("course_id") or None

    @property
    def fingerprint(self) -> str:
        """Stable id of this event: name, user, time and data. Logged instead of the event itself."""
        parts = [self.name, self.context.get("user_id"), self.timestamp, self.data]
        try:
            body = json.dumps(parts, sort_keys=True, default=_json_default)
        except (TypeError, ValueError, RecursionError):  # keys json cannot sort or encode: still an id
            body = repr(parts)
        return hashlib.sha256(body.encode()).hexdigest()[:24]


def _json_default(value):
    """For what ``json`` cannot encode: datetimes (edx-completion's ``modified``) as ISO 8601, the rest as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _as_dict(value, what: str) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise MalformedEvent(f"{what} is not JSON") from exc
        if isinstance(parsed, dict):
            return parsed
    raise MalformedEvent(f"{what} is not an object")


def normalise_event(raw: dict) -> TrackingEvent:
    """Read an eventtracking event (``name``/``data``) or a tracking-log line (``event_type``/``event``)."""
    if not isinstance(raw, dict):
        raise MalformedEvent("event is not an object")
    name = raw.get("name") or raw.get("event_type")
    if not name or not isinstance(name, str):
        raise MalformedEvent("event has no name")
    data = _as_dict(raw["data"] if "data" in raw else raw.get("event"), "event data")
    context = _as_dict(raw.get("context"), "event context")
    timestamp = raw.get("timestamp") or raw.get("time")
    if isinstance(timestamp, datetime):
        timestamp = timestamp.isoformat()
    if not timestamp or not isinstance(timestamp, str):
        raise MalformedEvent("event has no timestamp")
    return TrackingEvent(name=name, timestamp=timestamp, data=data, context=context)


@memoize
def _handler(path: str):
    return import_string(path)


def first_sighting(event: TrackingEvent) -> bool:
    """True the first time an event is seen within an hour (both intake paths may carry it)."""
    try:
        return cache.add(_DEDUPE_PREFIX + event.fingerprint, 1, _DEDUPE_TTL)
    except Exception:  # noqa: BLE001 - without a cache, deterministic ids still dedupe statements
        return True


def route_event(event: TrackingEvent) -> None:
    """Call the handler registered for the event's name (raises what the handler raises)."""
    _handler(TRACKING_ROUTES[event.name])(event)


def ingest_tracking_event(raw: dict) -> None:
    """Route one raw tracking event to its handler. Never raises."""
    name = raw.get("name") or raw.get("event_type") if isinstance(raw, dict) else None
    if name not in TRACKING_ROUTES:
        return  # most events are not ours: cheap exit before any parsing
    try:
        event = normalise_event(raw)
    except MalformedEvent as exc:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.warning("xapi: skipped malformed tracking event %s: %s", name, exc)
        return
    if not first_sighting(event):
        metrics.increment(metrics.DUPLICATE_EVENTS)
        return
    try:
        route_event(event)
    except MalformedEvent as exc:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.warning("xapi: skipped tracking event %s %s: %s", event.name, event.fingerprint, exc)
    except LearnerRetired:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.info("xapi: skipped tracking event %s %s: the learner is retired", event.name, event.fingerprint)
    except Exception:  # noqa: BLE001 - never break the learner's request
        metrics.increment(metrics.FAILED_EVENTS)
        log.exception("xapi: failed on tracking event %s %s", event.name, event.fingerprint)


class XapiTrackingBackend:
    """An eventtracking backend (``EVENT_TRACKING_BACKENDS``) feeding tracking events to the plugin."""

    def __init__(self, **options):
        self.options = options

    def send(self, event: dict) -> None:
        ingest_tracking_event(event)


def tracking_event_emitted_receiver(sender=None, tracking_log=None, **kwargs) -> None:
    """Receiver of openedx-events ``TRACKING_EVENT_EMITTED`` (data and context arrive as JSON strings)."""
    try:
        raw = {
            "name": tracking_log.name,
            "timestamp": tracking_log.timestamp,
            "data": tracking_log.data,
            "context": tracking_log.context,
        }
    except AttributeError:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.warning("xapi: TRACKING_EVENT_EMITTED without tracking_log data")
        return
    ingest_tracking_event(raw)
