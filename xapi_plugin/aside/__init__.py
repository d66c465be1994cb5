"""The video XBlock aside (entry point ``xblock_asides.v1: xapi_video``).

In the LMS it adds a small script to each video that reports live playback to its handler
(``beacon_guard.py`` refuses forged or implausible reports); its ``save_overrides`` handler keeps
per-video choices in the course export. Its JavaScript and template live beside it.

Public API: ``VideoXapiAside``; ``validate_overrides`` and ``store_override`` (per-video settings,
also edited on the course's xAPI page in Studio).
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "VideoXapiAside": "video_aside",
    "validate_overrides": "video_aside",
    "store_override": "video_aside",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
