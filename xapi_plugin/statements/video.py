"""Video statements that conform to the ADL xAPI Video Profile (https://w3id.org/xapi/video). Pure.

One builder per verb; :func:`build_video_statement` picks it for a
:class:`~xapi_plugin.video.viewing.VideoIntent`. Every statement has the video block as an
absolute-IRI activity of type ``video``, the course as parent, the session id, the
registration, and the extensions the profile's template for the verb asks for: ``length``
(context) whenever it is known, ``completion-threshold`` whenever it is not 1, ``time`` /
``time-from`` / ``time-to``, ``progress`` and ``played-segments`` (result). Times are seconds
with 3 decimals. The player's state as the page last reported it (``speed``, ``cc-enabled``,
``cc-subtitle-lang``) rides along in the context, as the profile recommends.

Each statement of the profile's verbs matches one of its templates and declares the profile
in ``category``. ``interacted`` is only the closed-captioning template (``cc-enabled`` and
``cc-subtitle-lang``, the IRIs the template names); a caption language the player never
reported is ``und`` (BCP 47: undetermined).

Progress beacons use ``http://adlnet.gov/expapi/verbs/progressed`` on the video, shaped like a
``paused`` statement (time, progress, played segments, length): the profile has no beacon
template, ``paused`` would claim the learner paused, and ``progressed`` is the ADL verb for
exactly this report (cmi5 uses it too). Because no template covers it, a beacon does not
declare the profile: it has no profile ``category`` (docs/video.md, "Player events and the
profile").
"""

import math
from dataclasses import dataclass

from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.common import activity, build_context, build_statement


@dataclass(frozen=True)
class VideoTarget:
    """Who watched what, where: the values every statement of one observation shares."""

    actor: dict
    registration: str
    video_id: str  # absolute IRI of the video block
    video_name: str | None
    course: dict  # the course Activity (parent)
    language: str
    root_url: str


def profile_category() -> dict:
    """The Video Profile as a category activity (Ralph's model wants its ``profile`` type)."""
    return activity(v.CATEGORY_VIDEO_PROFILE, v.ACTIVITY_PROFILE)


def seconds(value: float) -> float:
    """A time in seconds with 3 decimals."""
    return round(float(value) + 0.0, 3)


def iso_duration(value: float) -> str:
    """ISO 8601 duration of ``value`` seconds: ``PT44.2S``."""
    text = f"{max(0.0, value):.3f}".rstrip("0").rstrip(".")
    return f"PT{text}S"


# A caption language the player has not reported (BCP 47 "undetermined").
UNKNOWN_LANGUAGE = "und"


def player_extensions(player: dict | None) -> dict:
    """The player's state (speed, captions) as the profile's context extensions; only what is known."""
    player = player or {}
    extensions = {}
    if player.get("speed"):
        extensions[v.EXT_VIDEO_SPEED] = str(player["speed"])
    if "cc_enabled" in player:
        extensions[v.EXT_VIDEO_CC_ENABLED] = bool(player["cc_enabled"])
    if player.get("cc_lang"):
        extensions[v.EXT_VIDEO_CC_SUBTITLE_LANG] = str(player["cc_lang"])
    return extensions


def _context(
    intent, target: VideoTarget, *, length: bool, threshold: bool, extra: dict | None = None, profile: bool = True
) -> dict:
    extensions = {v.EXT_VIDEO_SESSION_ID: intent.session_id, **player_extensions(intent.player)}
    if length and intent.length:
        extensions[v.EXT_VIDEO_LENGTH] = seconds(intent.length)
    if threshold and intent.threshold is not None and intent.threshold != 1:
        extensions[v.EXT_VIDEO_COMPLETION_THRESHOLD] = round(intent.threshold, 3)
    extensions.update(extra or {})
    return build_context(
        registration=target.registration,
        language=target.language,
        root_url=target.root_url,
        parents=[target.course],
        category=[profile_category()] if profile else None,
        source_event_id=intent.source_id,
        extensions=extensions,
    )


def _progress_extensions(intent) -> dict:
    extensions = {}
    if intent.progress is not None:
        # Rounded down: 0.9996 must not read as fully watched.
        extensions[v.EXT_VIDEO_PROGRESS] = math.floor(min(1.0, max(0.0, intent.progress)) * 1000 + 1e-6) / 1000
    if intent.played_segments is not None:
        extensions[v.EXT_VIDEO_PLAYED_SEGMENTS] = intent.played_segments
    return extensions


def _statement(intent, target: VideoTarget, verb: str, context: dict, result: dict | None = None) -> dict:
    return build_statement(
        statement_id=intent.statement_id,
        actor=target.actor,
        verb_iri=verb,
        obj=activity(target.video_id, v.ACTIVITY_VIDEO, target.video_name),
        timestamp=intent.timestamp,
        context=context,
        result=result,
    )


def initialized(intent, target: VideoTarget) -> dict:
    """First statement of a session; its id is the session id."""
    context = _context(intent, target, length=True, threshold=True)
    return _statement(intent, target, v.VERB_INITIALIZED, context)


def played(intent, target: VideoTarget) -> dict:
    result = {"extensions": {v.EXT_VIDEO_TIME: seconds(intent.time)}}
    return _statement(intent, target, v.VERB_PLAYED, _context(intent, target, length=True, threshold=False), result)


def paused(intent, target: VideoTarget) -> dict:
    result = {"extensions": {v.EXT_VIDEO_TIME: seconds(intent.time), **_progress_extensions(intent)}}
    return _statement(intent, target, v.VERB_PAUSED, _context(intent, target, length=True, threshold=True), result)


def seeked(intent, target: VideoTarget) -> dict:
    result = {
        "extensions": {
            v.EXT_VIDEO_TIME_FROM: seconds(intent.time_from),
            v.EXT_VIDEO_TIME_TO: seconds(intent.time_to),
            **_progress_extensions(intent),
        }
    }
    return _statement(intent, target, v.VERB_SEEKED, _context(intent, target, length=True, threshold=False), result)


def interacted(intent, target: VideoTarget) -> dict:
    """Captions shown or hidden: the closed-captioning template (the new setting and its language)."""
    interaction = intent.interaction or {}
    if "cc_enabled" not in interaction:
        raise ValueError("an interacted statement is only for captions shown or hidden (cc_enabled)")
    extra = {
        v.EXT_VIDEO_CC_ENABLED: bool(interaction["cc_enabled"]),
        v.EXT_VIDEO_CC_SUBTITLE_LANG: str(interaction.get("cc_lang") or UNKNOWN_LANGUAGE),
    }
    context = _context(intent, target, length=True, threshold=False, extra=extra)
    result = {"extensions": {v.EXT_VIDEO_TIME: seconds(intent.time)}}
    return _statement(intent, target, v.VERB_INTERACTED, context, result)


def completed(intent, target: VideoTarget) -> dict:
    """Progress reached the threshold: once per registration; ``duration`` = playback time."""
    result = {
        "completion": True,
        "duration": iso_duration(intent.played_time or 0.0),
        "extensions": {v.EXT_VIDEO_TIME: seconds(intent.time), **_progress_extensions(intent)},
    }
    return _statement(intent, target, v.VERB_COMPLETED, _context(intent, target, length=True, threshold=True), result)


def terminated(intent, target: VideoTarget) -> dict:
    result = {"extensions": {v.EXT_VIDEO_TIME: seconds(intent.time), **_progress_extensions(intent)}}
    context = _context(intent, target, length=True, threshold=True)
    return _statement(intent, target, v.VERB_TERMINATED, context, result)


def progressed(intent, target: VideoTarget) -> dict:
    """A progress beacon (see the module docstring for the choice of verb): outside the profile's templates."""
    result = {"extensions": {v.EXT_VIDEO_TIME: seconds(intent.time), **_progress_extensions(intent)}}
    context = _context(intent, target, length=True, threshold=True, profile=False)
    return _statement(intent, target, v.VERB_PROGRESSED, context, result)


BUILDERS = {
    v.VERB_INITIALIZED: initialized,
    v.VERB_PLAYED: played,
    v.VERB_PAUSED: paused,
    v.VERB_SEEKED: seeked,
    v.VERB_INTERACTED: interacted,
    v.VERB_COMPLETED: completed,
    v.VERB_TERMINATED: terminated,
    v.VERB_PROGRESSED: progressed,
}


def build_video_statement(intent, target: VideoTarget) -> dict:
    """The statement for one intent of the viewing state."""
    return BUILDERS[intent.verb](intent, target)
