"""Which source speaks for a learner's video: the video aside's live reports or the player's events.

With the aside enabled, one viewing is reported twice: by the Open edX player's tracking events
and by the aside's script. Both feed the same viewing state, but as different pages, so played,
paused and seeked statements would be doubled. The aside notes each accepted report here; the
tracking-event path can ask :func:`aside_is_reporting` and leave that learner's video to the aside
(the aside's ``load`` report arrives as the video loads, before the learner can press play).
The question is asked when a learner-and-video's observations are folded (once per fold, in the
worker), not on the request path of every player event.
"""

import hashlib

from django.core.cache import cache

#: How the aside's observations' ``source_id`` begins (the player's are event fingerprints, hex).
ASIDE_SOURCE_PREFIX = "aside-"

#: The note lasts as long as a viewing session without events (``xapi_plugin.video.viewing.INACTIVITY``).
NOTE_TTL = 30 * 60


def _key(user_id: int, video_key: str) -> str:
    return "xapi_plugin:aside_live:" + hashlib.sha256(f"{user_id}\x1f{video_key}".encode()).hexdigest()[:32]


def note_aside_reporting(user_id: int, video_key: str) -> None:
    """The aside accepted a report of this learner's video: its script is live on a page."""
    cache.set(_key(user_id, video_key), 1, NOTE_TTL)


def aside_is_reporting(user_id: int, video_key: str) -> bool:
    """True while the aside reports this learner's video (player events for it would be duplicates)."""
    return bool(cache.get(_key(user_id, video_key)))
