"""Intake: where platform activity enters the plugin, normalised and routed, never raising.

Three doors: the eventtracking backend (``XapiTrackingBackend``, for ``EVENT_TRACKING_BACKENDS``),
openedx-events' ``TRACKING_EVENT_EMITTED`` (``tracking_event_emitted_receiver``), and the
receivers of openedx-events learning signals and platform signals (``receivers.py``, named by
``apps.py``'s ``signals_config``). Tracking events become a :class:`TrackingEvent` and go to the
handler ``TRACKING_ROUTES`` names (course progress, problems, navigation, video).

The learner's request only stores what it received: video observations go to the video intake
(``xapi_plugin.video``), course signals and the other tracking families to the event intake
(``event_intake.py``: ``store_event``, one INSERT), which a Celery worker
(``tasks.fold_event_intake``) reports in event order per learner and course. ``leases.py`` holds
what both intakes share: the request's one ``INSERT`` (``insert_ignore_sql``), one queued fold at
a time (``FoldQueue``), row leases (``lease_pending_keys``, ``lease_period``), the fold loop
(``fold_for``) and latency figures (``latency_quantiles``). ``replay_files`` feeds old tracking
logs straight to the handlers (``xapi_replay``).

Public API: ``TrackingEvent``, ``event_fingerprint`` (never raises), ``MalformedEvent``,
``normalise_event``, ``ingest_tracking_event``, the event intake (``store_event``,
``StoredEvent``, ``fold_pending_events``, ``event_intake_summary``, ``retry_failed_events``),
``XapiTrackingBackend``, ``tracking_event_emitted_receiver``, ``ReplayFilter``, ``ReplayReport``,
``parse_time``, ``replay_files``, and the platform prerequisites check (``find_problems``,
``register_checks``: ``prerequisites.py``).
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "TrackingEvent": "tracking",
    "event_fingerprint": "tracking",
    "MalformedEvent": "tracking",
    "normalise_event": "tracking",
    "ingest_tracking_event": "tracking",
    "XapiTrackingBackend": "tracking",
    "tracking_event_emitted_receiver": "tracking",
    "store_event": "event_intake",
    "StoredEvent": "event_intake",
    "fold_pending_events": "event_intake",
    "event_intake_summary": "event_intake",
    "retry_failed_events": "event_intake",
    "FoldQueue": "leases",
    "lease_pending_keys": "leases",
    "lease_period": "leases",
    "latency_quantiles": "leases",
    "fold_for": "leases",
    "insert_ignore_sql": "leases",
    "ReplayFilter": "replay",
    "ReplayReport": "replay",
    "parse_time": "replay",
    "replay_files": "replay",
    "find_problems": "prerequisites",
    "register_checks": "prerequisites",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
