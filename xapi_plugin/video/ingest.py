"""Video tracking events (LMS player and mobile apps) turned into player observations.

``xapi_plugin.intake.tracking`` routes every video event name here, from both intake paths, after
dropping duplicates. This module only reads the event; the viewing state and the statements
are the business of :func:`xapi_plugin.video.state.record_player_observation`.
"""

import hashlib
import math
import re
from functools import lru_cache

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from xapi_plugin.intake import MalformedEvent, TrackingEvent
from xapi_plugin.video.state import ObservationOutcome, record_player_observation
from xapi_plugin.video.viewing import Observation

# Event name -> (observation kind, interaction it reports). None: routed to us, but no statement.
# Which events become which statement, and why: docs/video.md, "Player events and the profile".
EVENT_KINDS: dict[str, tuple[str, dict | None] | None] = {
    "load_video": ("load", None),
    "edx.video.loaded": ("load", None),
    "play_video": ("play", None),
    "edx.video.played": ("play", None),
    "pause_video": ("pause", None),
    "edx.video.paused": ("pause", None),
    "seek_video": ("seek", None),
    "edx.video.position.changed": ("seek", None),
    "stop_video": ("ended", None),
    "edx.video.stopped": ("ended", None),
    "complete_video": ("complete", None),
    "edx.video.completed": ("complete", None),
    # No template for a speed change: the new speed rides on the session's later statements.
    "speed_change_video": ("setting", {}),
    "edx.video.speed.changed": ("setting", {}),
    # The closed-captioning template; the language comes from the language menu (below).
    "edx.video.closed_captions.shown": ("interact", {"cc_enabled": True}),
    "edx.video.closed_captions.hidden": ("interact", {"cc_enabled": False}),
    # The player reports the language picked when its language menu closes.
    "edx.video.language_menu.hidden": ("setting", {}),
    "edx.video.language_menu.shown": None,
    # No template and no profile extension for the transcript panel: left out.
    "show_transcript": None,
    "edx.video.transcript.shown": None,
    "hide_transcript": None,
    "edx.video.transcript.hidden": None,
}


#: No time in a video event is further than this from zero (a video's length is at most 24 h).
MAX_SECONDS = 24 * 3600.0


def _number(data: dict, *names: str) -> float | None:
    """The first of ``names`` present in ``data`` as a finite number (None when absent or empty)."""
    for name in names:
        value = data.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            raise MalformedEvent(f"{name} is not a number")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an int like 10**400
            raise MalformedEvent(f"{name} is not a number") from exc
        if not math.isfinite(number):
            raise MalformedEvent(f"{name} is not a finite number")
        if abs(number) > MAX_SECONDS:
            raise MalformedEvent(f"{name} is beyond 24 hours")
        return number
    return None


def video_usage_key(course_key: str, video_id) -> str:
    """The video block's usage key: events carry either the whole key or only the block id."""
    if not isinstance(video_id, str) or not video_id.strip():
        raise MalformedEvent("video id is missing")
    video_id = video_id.strip()
    if ":" in video_id:
        return video_id
    return _usage_key_of_block(course_key, video_id)


@lru_cache(maxsize=4096)
def _usage_key_of_block(course_key: str, video_id: str) -> str:
    # Parsing the course key is most of an event's reading cost; a course's videos repeat all day.
    try:
        return str(CourseKey.from_string(course_key).make_usage_key("video", video_id))
    except (InvalidKeyError, ValueError) as exc:
        raise MalformedEvent("course id or video id is not a valid key") from exc


def page_key(context: dict) -> str:
    """One page load's key: the browser session and page (the LMS events carry no tab id)."""
    parts = [str(context.get(name) or "") for name in ("session", "page")]
    if not any(parts):
        return "default"
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _speed(data: dict) -> str | None:
    speed = _number(data, "new_speed")
    return f"{speed:g}x" if speed is not None else None


def _language(data: dict) -> str | None:
    """The caption/transcript language the player reports (a language code such as ``fr``)."""
    language = data.get("language")
    if language is None or language == "":
        return None
    if not isinstance(language, str) or not re.fullmatch(r"[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*", language.strip()):
        raise MalformedEvent("language is not a language code")
    return language.strip().replace("_", "-")


def observation_from_event(event: TrackingEvent) -> Observation | None:
    """The observation a video event stands for; None when it is not one to act on."""
    mapping = EVENT_KINDS.get(event.name)
    user_id, course_key = event.user_id, event.course_key
    if mapping is None or user_id is None or not course_key:
        return None  # not a player action we track, or an anonymous / course-less view
    kind, interaction = mapping
    data = event.data
    position = _number(data, "currentTime", "current_time")
    time_from = time_to = None
    if kind == "seek":
        time_from, time_to = _number(data, "old_time"), _number(data, "new_time")
        if time_from is None or time_to is None:
            raise MalformedEvent("seek without old_time and new_time")
        position = time_to
    if interaction is not None:
        interaction = dict(interaction)
        if event.name in ("speed_change_video", "edx.video.speed.changed"):
            interaction["speed"] = _speed(data)
        elif event.name == "edx.video.language_menu.hidden":
            interaction["cc_lang"] = _language(data)
    module = event.context.get("module") if isinstance(event.context.get("module"), dict) else {}
    return Observation(
        user_id=user_id,
        course_key=str(course_key),
        video_key=video_usage_key(str(course_key), data.get("id")),
        kind=kind,
        timestamp=event.time,
        page_key=page_key(event.context),
        source_id=event.fingerprint,
        position=position,
        time_from=time_from,
        time_to=time_to,
        duration=_number(data, "duration"),
        display_name=module.get("display_name") or None,
        interaction=interaction,
    )


def handle_video_event(event: TrackingEvent) -> ObservationOutcome | None:
    """Route target of every video tracking event; raises MalformedEvent on unreadable input.

    Whether the video aside speaks for this viewing instead is decided when the observation is
    folded (``xapi_plugin.video.state``), once per learner-and-video, not here on every event.
    """
    observation = observation_from_event(event)
    if observation is None:
        return None
    return record_player_observation(observation)
