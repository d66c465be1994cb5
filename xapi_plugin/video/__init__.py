"""Video Profile tracking: player observations -> viewing state -> statements.

``record_player_observation`` is the one entry point for every source of player observations
(tracking events through ``ingest.handle_video_event``, the Studio aside's live playback): it
stores the observation in the intake (``intake.py``), and a Celery worker folds it into the
viewing state (``fold_pending``, ``state.fold_observations``).
``viewing.py`` is the pure state machine (sessions, segments, beacons, completion), ``progress.py``
its arithmetic, ``state.py`` the locked database row around it, ``overrides.py`` per-video settings,
``live_playback.py`` which page reports through the aside, ``tasks.py`` the idle-session closer.

Public API: ``Observation``, ``ObservationOutcome``, ``VideoSettings``, ``record_player_observation``,
``apply_player_observation``, ``fold_observations``, ``fold_pending``, ``intake_summary``, ``IntakeSummary``,
``handle_video_event``, ``close_idle_sessions``, ``note_aside_reporting``, ``aside_is_reporting``,
``ASIDE_SOURCE_PREFIX``,
``resolve_video_settings``, ``get_video_override``, ``invalidate_video_override``.
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "Observation": "viewing",
    "VideoSettings": "viewing",
    "ObservationOutcome": "state",
    "record_player_observation": "state",
    "apply_player_observation": "state",
    "fold_observations": "state",
    "fold_pending": "intake",
    "intake_summary": "intake",
    "IntakeSummary": "intake",
    "close_idle_sessions": "tasks",
    "handle_video_event": "ingest",
    "note_aside_reporting": "live_playback",
    "ASIDE_SOURCE_PREFIX": "live_playback",
    "aside_is_reporting": "live_playback",
    "resolve_video_settings": "overrides",
    "get_video_override": "overrides",
    "invalidate_video_override": "overrides",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
