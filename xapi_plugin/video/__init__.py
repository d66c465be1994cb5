"""Video Profile tracking: player observations -> viewing state -> statements.

``record_player_observation`` is the one entry point for every source of player observations
(tracking events through ``ingest.handle_video_event``, the Studio aside's live playback).
"""

from xapi_plugin.video.state import ObservationOutcome, record_player_observation
from xapi_plugin.video.viewing import Observation, VideoSettings

__all__ = ["Observation", "ObservationOutcome", "VideoSettings", "record_player_observation"]
