"""Intake: where platform activity enters the plugin, normalised and routed, never raising.

Three doors: the eventtracking backend (``XapiTrackingBackend``, for ``EVENT_TRACKING_BACKENDS``),
openedx-events' ``TRACKING_EVENT_EMITTED`` (``tracking_event_emitted_receiver``), and the
receivers of openedx-events learning signals and platform signals (``receivers.py``, named by
``apps.py``'s ``signals_config``). Tracking events become a :class:`TrackingEvent` and go to the
handler ``TRACKING_ROUTES`` names (course progress, video). ``replay_files`` feeds old tracking
logs through the same path (``xapi_replay``).

Public API: ``TrackingEvent``, ``event_fingerprint`` (never raises), ``MalformedEvent``,
``normalise_event``, ``ingest_tracking_event``,
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
    "ReplayFilter": "replay",
    "ReplayReport": "replay",
    "parse_time": "replay",
    "replay_files": "replay",
    "find_problems": "prerequisites",
    "register_checks": "prerequisites",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
