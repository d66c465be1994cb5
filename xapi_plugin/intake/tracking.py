"""Tracking events in: the eventtracking backend and the ``TRACKING_EVENT_EMITTED`` receiver.

Both paths normalise an event to :class:`TrackingEvent`. Video events go to the video intake at
once (its handler stores one observation). Every other routed event is stored as it is in the
event intake (``xapi_plugin.intake.event_intake``: one INSERT, its unique fingerprint dropping
the copy the other path carries) and its handler in ``TRACKING_ROUTES`` runs later, in a worker
(:func:`report_stored_tracking_event`). Nothing here ever raises into the platform: a malformed
event is logged with its fingerprint, counted and skipped.
"""

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache as memoize

from django.utils.module_loading import import_string

from xapi_plugin.core import metrics
from xapi_plugin.core.snapshot import ProcessMemo
from xapi_plugin.privacy import LearnerRetired

log = logging.getLogger(__name__)

_VIDEO_HANDLER = "xapi_plugin.video.ingest.handle_video_event"
_COMPLETION_HANDLER = "xapi_plugin.course.progress.handle_block_completion_event"
COMPLETION_EVENT = "edx.completion.block_completion.changed"
_PROBLEM_HANDLER = "xapi_plugin.learning.problems.handle_problem_event"
_NAVIGATION_HANDLER = "xapi_plugin.learning.navigation.handle_navigation_event"

# Event name -> dotted path of ``handler(event: TrackingEvent) -> None``.
TRACKING_ROUTES: dict[str, str] = {
    COMPLETION_EVENT: _COMPLETION_HANDLER,
    # Server events of the capa ProblemBlock (xapi_plugin.learning.problems).
    **dict.fromkeys(("problem_check", "showanswer", "edx.problem.hint.demandhint_displayed"), _PROBLEM_HANDLER),
    # LMS navigation (xapi_plugin.learning.navigation).
    **dict.fromkeys(
        (
            "edx.ui.lms.sequence.next_selected",
            "edx.ui.lms.sequence.previous_selected",
            "edx.ui.lms.sequence.tab_selected",
            "edx.ui.lms.link_clicked",
            "edx.ui.lms.outline.selected",
            "edx.ui.lms.sequence.outline.selected",
        ),
        _NAVIGATION_HANDLER,
    ),
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

# Handlers called in the request: the video handler stores one observation in the video intake
# (whose unique ``source_id``, the event's fingerprint, stores an event once). The others run
# in the worker, from the event intake.
REQUEST_PATH_HANDLERS = frozenset({_VIDEO_HANDLER})
# Handlers whose course may not want the event at all: in worker mode the request asks (at most
# every few seconds per course and process) and stores nothing for a course that sends none.
COURSE_FILTERS: dict[str, str] = {
    _PROBLEM_HANDLER: "xapi_plugin.learning.problems.course_sends_problems",
    _NAVIGATION_HANDLER: "xapi_plugin.learning.navigation.course_sends_navigation",
}
#: Seconds a web process remembers whether a course wants problem or navigation events.
FILTER_MEMO_SECONDS = 2.0
# What handlers read of an event's context; the rest (agent, IP address, host...) is not stored.
STORED_CONTEXT = ("user_id", "course_id", "module", "event_source", "page")
# Names the browser logs too, with data in another shape (``problem_check``: a URL-encoded string
# of the raw inputs); only the server's event is ours, so the browser's is dropped unparsed.
SERVER_ONLY_EVENTS = frozenset({"problem_check"})

_MAX_USER_ID = 2**31 - 1  # the platform's user ids are database integers


class MalformedEvent(ValueError):
    """A tracking event that cannot be read (no name, unreadable data, bad user id...)."""


def _json_default(value):
    """How values the platform's own encoders accept (and hostile ones) enter a fingerprint."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | bytes | bytearray):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(str(item) for item in value)
    return f"<{type(value).__name__}>"


def _shape(value, budget: int = 4000) -> str:
    """A bounded, iterative, never-raising text of a value that ``json.dumps`` refused (deep, mixed keys)."""
    parts: list[str] = []
    stack = [value]
    while stack and len(parts) < budget:
        item = stack.pop()
        kind = type(item).__name__
        if isinstance(item, dict):
            parts.append("{")
            for key, inner in list(item.items())[:100]:
                stack.extend((inner, key))
        elif isinstance(item, list | tuple):
            parts.append(kind + "[")
            stack.extend(reversed(item[:100]))
        elif isinstance(item, str):
            parts.append("s:" + item[:200])
        elif isinstance(item, bool | float):
            parts.append(f"{kind}:{item}")
        elif isinstance(item, int):
            parts.append(f"int:{item.bit_length()}:{item % 1_000_000_007}")  # no str(): huge ints raise
        else:
            parts.append("<" + kind + ">")
    return "|".join(parts)


def event_fingerprint(value) -> str:
    """A stable 24-hex id of an event (or anything), logged instead of its content. Never raises."""
    try:
        try:
            body = json.dumps(value, sort_keys=True, default=_json_default)
        except (TypeError, ValueError, RecursionError):
            body = "shape:" + _shape(value)
        return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    except Exception:  # noqa: BLE001 - a value hostile even to the fallback
        return "0" * 24


def _brief(value) -> str:
    """A short description of a bad value for a log line (its type, and a little of it if readable)."""
    # Strings are not quoted: they may hold a learner's data. Numbers are, briefly (huge ints too).
    text = f"{value:.6g}" if isinstance(value, float) else ""
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value) if value.bit_length() < 64 else f"of {value.bit_length()} bits"
    return f"{type(value).__name__} {text}".strip()


def event_name(raw) -> str | None:
    """The event's name (``name`` or, in tracking logs, ``event_type``) when it is a string, else None."""
    if not isinstance(raw, dict):
        return None
    for key in ("name", "event_type"):
        value = raw.get(key)
        if isinstance(value, str) and value:
            return value
    return None


# Fingerprints of bad events already logged by this process (each bad event is logged once).
_LOGGED_LIMIT = 4096
_logged: OrderedDict[str, None] = OrderedDict()
_logged_lock = threading.Lock()


def log_bad_event_once(level: int, fingerprint: str, message: str, *args) -> None:
    """Log ``message % args`` unless ``fingerprint`` was logged lately (by this process). Never raises."""
    with _logged_lock:
        if fingerprint in _logged:
            _logged.move_to_end(fingerprint)
            return
        _logged[fingerprint] = None
        if len(_logged) > _LOGGED_LIMIT:
            _logged.popitem(last=False)
    try:
        log.log(level, message, *args)
    except Exception:  # noqa: BLE001 - a broken log handler must not reach the platform either
        pass


@dataclass(frozen=True)
class TrackingEvent:
    """A tracking event in one shape, whichever path and log format it came from."""

    name: str
    timestamp: str
    data: dict
    context: dict = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        value = self.context.get("user_id", self.data.get("user_id"))
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_USER_ID:
            raise MalformedEvent(f"user_id ({_brief(value)}) is not a user id")
        return value

    @property
    def course_key(self) -> str | None:
        for value in (self.context.get("course_id"), self.data.get("course_id")):
            if isinstance(value, str) and value:
                return value
        return None

    @property
    def time(self) -> datetime:
        """When the event happened, timezone-aware (UTC when the log gives no zone); MalformedEvent if unreadable."""
        try:
            value = datetime.fromisoformat(self.timestamp.replace("Z", "+00:00"))
        except ValueError as exc:
            raise MalformedEvent("timestamp is not ISO 8601") from exc
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def fingerprint(self) -> str:
        """Stable id of this event: name, user, time and data. Logged instead of the event itself."""
        return event_fingerprint([self.name, self.context.get("user_id"), self.timestamp, self.data])


def _as_dict(value, what: str) -> dict:
    if value is None or (isinstance(value, str) and not value):
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise MalformedEvent(f"{what} is not JSON") from exc
        if isinstance(parsed, dict):
            return parsed
    raise MalformedEvent(f"{what} is not an object")


def normalise_event(raw: dict) -> TrackingEvent:
    """Read an eventtracking event (``name``/``data``) or a tracking-log line (``event_type``/``event``)."""
    if not isinstance(raw, dict):
        raise MalformedEvent("event is not an object")
    name = event_name(raw)
    if name is None:
        raise MalformedEvent("event has no name")
    data = _as_dict(raw["data"] if "data" in raw else raw.get("event"), "event data")
    context = _as_dict(raw.get("context"), "event context")
    timestamp = next((raw[key] for key in ("timestamp", "time") if raw.get(key) is not None), None)
    if isinstance(timestamp, datetime):
        timestamp = timestamp.isoformat()
    if not isinstance(timestamp, str) or not timestamp:
        raise MalformedEvent("event has no timestamp")
    return TrackingEvent(name=name, timestamp=timestamp, data=data, context=context)


@memoize
def _handler(path: str):
    return import_string(path)


def route_event(event: TrackingEvent) -> None:
    """Call the handler registered for the event's name (raises what the handler raises)."""
    _handler(TRACKING_ROUTES[event.name])(event)


def _is_ours(raw) -> bool | None:
    """True for an event we route, False for one of no interest, None for one whose name is unreadable."""
    if not isinstance(raw, dict):
        return None
    name = event_name(raw)
    if name is not None:
        return name in TRACKING_ROUTES
    # A name that is there but not a string (a list, a number...) is a broken event, not someone else's.
    return False if raw.get("name") is None and raw.get("event_type") is None else None


def is_browser_event(raw: dict) -> bool:
    """True when the raw event's context says the browser sent it (context may be a JSON string)."""
    context = raw.get("context")
    if isinstance(context, str):
        try:
            context = json.loads(context)
        except (ValueError, RecursionError):
            return False
    return isinstance(context, dict) and context.get("event_source") == "browser"


def ingest_tracking_event(raw: dict) -> None:
    """Route one raw tracking event to its handler. Never raises: a bad event is counted and logged
    once, by its fingerprint."""
    try:
        ours = _is_ours(raw)
        if ours is False:
            return  # most events are not ours: cheap exit before any parsing
        if ours is None:
            raise MalformedEvent("event is not an object with a name")
        if event_name(raw) in SERVER_ONLY_EVENTS and is_browser_event(raw):
            return  # the browser's copy of a server event, in another shape
        _ingest(normalise_event(raw))
    except MalformedEvent as exc:
        metrics.increment(metrics.SKIPPED_EVENTS)
        fingerprint = event_fingerprint(raw)
        log_bad_event_once(
            logging.WARNING, fingerprint, "xapi: skipped malformed tracking event %s: %s", fingerprint, exc
        )
    except Exception as exc:  # noqa: BLE001 - never break the learner's request
        metrics.increment(metrics.FAILED_EVENTS)
        fingerprint = event_fingerprint(raw)
        log_bad_event_once(
            logging.WARNING, fingerprint, "xapi: failed on tracking event %s (%s)", fingerprint, type(exc).__name__
        )


def _ingest(event: TrackingEvent) -> None:
    handler = TRACKING_ROUTES[event.name]
    if handler in REQUEST_PATH_HANDLERS:
        run_handler(event)
        return
    try:
        _store(event, handler)
    except MalformedEvent as exc:
        _skipped(event, exc)


def _skipped(event: TrackingEvent, exc: MalformedEvent) -> None:
    metrics.increment(metrics.SKIPPED_EVENTS)
    fingerprint = event.fingerprint
    log_bad_event_once(
        logging.WARNING, fingerprint, "xapi: skipped tracking event %s %s: %s", event.name, fingerprint, exc
    )


def _stored_learner(event: TrackingEvent) -> int | None:
    """The learner whose rows the event joins (a completion's learner is its data's ``user_id``)."""
    if event.name == COMPLETION_EVENT:
        value = event.data.get("user_id", event.context.get("user_id"))
        if isinstance(value, bool) or value is None:
            raise MalformedEvent("no user_id")
        try:
            value = int(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise MalformedEvent("user_id is not a number") from exc
        if not 0 < value <= _MAX_USER_ID:
            raise MalformedEvent("user_id is not a user id")
        return value
    return event.user_id


_filter_memo = ProcessMemo(seconds=FILTER_MEMO_SECONDS, size=4096)


def _course_wants(handler: str, course_key: str | None) -> bool:
    """Whether the event's course may want it (worker mode only; the worker asks again)."""
    from xapi_plugin.intake.event_intake import WORKER, intake_mode  # noqa: PLC0415

    path = COURSE_FILTERS.get(handler)
    if path is None or course_key is None or intake_mode() != WORKER:
        return True
    return bool(_filter_memo.get((path, course_key), lambda: _handler(path)(course_key)))


def forget_course_filters() -> None:
    """Drop what this process remembers of courses' wishes (tests)."""
    _filter_memo.clear()


def _store(event: TrackingEvent, handler: str) -> None:
    """The request path of a non-video event: one row in the event intake, reported by a worker."""
    from xapi_plugin.intake.event_intake import store_event  # noqa: PLC0415

    user_id = _stored_learner(event)
    if user_id is None:
        return  # an anonymous visitor: nobody to report
    course_key = event.course_key
    if not _course_wants(handler, course_key):
        return
    store_event(
        "tracking",
        source_id=event.fingerprint,
        user_id=user_id,
        course_key=course_key or "",
        event_at=event.time,
        payload={
            "name": event.name,
            "timestamp": event.timestamp,
            "data": event.data,
            "context": {key: event.context[key] for key in STORED_CONTEXT if key in event.context},
        },
    )


def report_stored_tracking_event(stored) -> None:
    """Event intake report of a stored tracking event: its route's handler, in the worker.

    Raises what the handler raises: the fold skips MalformedEvent and retries the rest.
    """
    payload = stored.payload
    route_event(
        TrackingEvent(
            name=payload["name"],
            timestamp=payload["timestamp"],
            data=payload.get("data") or {},
            context=payload.get("context") or {},
        )
    )


def run_handler(event: TrackingEvent) -> None:
    """Call the event's handler in the request, logging and counting what it raises (never re-raises)."""
    try:
        route_event(event)
    except MalformedEvent as exc:
        _skipped(event, exc)
    except LearnerRetired:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.info("xapi: skipped tracking event %s %s: the learner is retired", event.name, event.fingerprint)
    except Exception as exc:  # noqa: BLE001 - never break the learner's request
        metrics.increment(metrics.FAILED_EVENTS)
        fingerprint = event.fingerprint
        log_bad_event_once(
            logging.ERROR,
            fingerprint,
            "xapi: failed on tracking event %s %s (%s)",
            event.name,
            fingerprint,
            type(exc).__name__,
        )
        log.debug("xapi: failure on tracking event %s", event.fingerprint, exc_info=True)


class XapiTrackingBackend:
    """An eventtracking backend (``EVENT_TRACKING_BACKENDS``) feeding tracking events to the plugin."""

    def __init__(self, **options):
        self.options = options

    def send(self, event: dict) -> None:
        ingest_tracking_event(event)


def tracking_event_emitted_receiver(sender=None, tracking_log=None, **kwargs) -> None:
    """Receiver of openedx-events ``TRACKING_EVENT_EMITTED`` (data and context arrive as JSON strings).
    Never raises."""
    try:
        raw = {
            "name": tracking_log.name,
            "timestamp": tracking_log.timestamp,
            "data": tracking_log.data,
            "context": tracking_log.context,
        }
    except Exception:  # noqa: BLE001 - no tracking_log, or one whose attributes raise
        metrics.increment(metrics.SKIPPED_EVENTS)
        log_bad_event_once(logging.WARNING, "no-tracking-log", "xapi: TRACKING_EVENT_EMITTED without tracking_log data")
        return
    ingest_tracking_event(raw)
