"""Viewing state in the database: load, apply one observation, save, queue its statements.

Safe when two tabs or two web workers report for the same learner and video at once: the row
is read with ``SELECT ... FOR UPDATE`` (MySQL/MariaDB and PostgreSQL make the second writer
wait) and written back only if its ``version`` is still the one read (compare-and-swap, which
also holds on databases without row locks, such as SQLite); a writer that lost the race rolls
back, statements included, and starts again from the fresh row. Statements are queued in the
same transaction as the state, so they exist exactly when the state that produced them does.
"""

import logging
import random
import time
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from xapi_plugin import platform
from xapi_plugin.conf import lms_root_url
from xapi_plugin.course_settings import CourseXapiSettings, get_course_settings
from xapi_plugin.delivery.outbox import enqueue_statements
from xapi_plugin.learners import get_learner_identity
from xapi_plugin.statements.common import block_activity_id, course_activity
from xapi_plugin.statements.formatting import language_tag
from xapi_plugin.statements.video import VideoTarget, build_video_statement
from xapi_plugin.video.overrides import resolve_video_settings
from xapi_plugin.video.viewing import Observation, PageSession, VideoIntent, VideoSettings, Viewing, step

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class ConcurrentUpdate(RuntimeError):
    """The viewing state changed between read and write; the update is retried from scratch."""


@dataclass(frozen=True)
class ObservationOutcome:
    """What one observation did: statements built (in order) and how many were newly queued."""

    statements: list[dict]
    queued: int


def course_settings_for(course_key: str) -> CourseXapiSettings | None:
    """The course's settings; a CCX course without its own falls back to its master course."""
    settings = get_course_settings(course_key)
    if settings is None and course_key.startswith("ccx-v1:"):
        master = "course-v1:" + course_key.split(":", 1)[1].split("+ccx@", 1)[0]
        settings = get_course_settings(master)
    return settings


def to_viewing(row) -> Viewing:
    """The pure copy of a ``VideoViewingState`` row."""
    return Viewing(
        user_id=row.user_id,
        video_key=row.video_key,
        registration=str(row.registration),
        length=row.length,
        segments=[list(pair) for pair in row.segments or []],
        sessions={key: PageSession.from_json(value) for key, value in (row.sessions or {}).items()},
        progress=row.progress,
        played_time=row.played_time,
        last_event_at=row.last_event_at,
        last_beacon=row.last_beacon,
        last_beacon_at=row.last_beacon_at,
        completed_at=row.completed_at,
    )


def viewing_fields(viewing: Viewing) -> dict:
    """The columns to write back from a :class:`Viewing`."""
    return {
        "length": viewing.length,
        "segments": viewing.segments,
        "sessions": {key: session.to_json() for key, session in viewing.sessions.items()},
        "progress": viewing.progress,
        "played_time": viewing.played_time,
        "last_event_at": viewing.last_event_at,
        "last_beacon": viewing.last_beacon,
        "last_beacon_at": viewing.last_beacon_at,
        "completed_at": viewing.completed_at,
    }


def _apply_once(obs: Observation, registration: str, settings: VideoSettings) -> tuple[Viewing, list[VideoIntent]]:
    """One attempt, inside the caller's transaction: lock, read, step, compare-and-swap."""
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

    keys = {"user_id": obs.user_id, "video_key": obs.video_key, "registration": uuid.UUID(registration)}
    row = VideoViewingState.objects.select_for_update().filter(**keys).first()
    if row is None:
        try:
            with transaction.atomic():
                row = VideoViewingState.objects.create(course_key=obs.course_key, **keys)
        except IntegrityError as exc:
            raise ConcurrentUpdate("created by another writer") from exc
    viewing = to_viewing(row)
    intents = step(viewing, obs, settings)
    written = VideoViewingState.objects.filter(pk=row.pk, version=row.version).update(
        version=F("version") + 1, modified=timezone.now(), **viewing_fields(viewing)
    )
    if written != 1:
        raise ConcurrentUpdate("version changed")
    return viewing, intents


def _is_lock_conflict(exc: OperationalError) -> bool:
    """A deadlock or lock wait timeout (MySQL 1213/1205) or SQLite's busy database: worth a retry."""
    code = exc.args[0] if exc.args else None
    return code in (1205, 1213) or "database is locked" in str(exc)


def video_target(obs: Observation, course_key: str, actor: dict, registration: str) -> VideoTarget:
    """The actor, activity and context values the statements of ``obs`` share."""
    root_url = lms_root_url()
    outline = platform.get_course_outline(course_key)
    return VideoTarget(
        actor=actor,
        registration=registration,
        video_id=block_activity_id(obs.video_key, root_url),
        video_name=obs.display_name,
        course=course_activity(course_key, outline.display_name if outline else None, root_url),
        language=language_tag(outline.language if outline else None),
        root_url=root_url,
    )


def record_player_observation(obs: Observation) -> ObservationOutcome:
    """Apply one player observation to the learner's viewing state and queue the statements it yields.

    The one entry point for every source: tracking events (``ingest.py``) and the Studio aside's
    live-playback handler feed the same state. Does nothing (and stores nothing) when the
    course does not send video statements or the video's tracking is off.
    """
    course_settings = course_settings_for(obs.course_key)
    if course_settings is None or not course_settings.sends_video_statements:
        return ObservationOutcome([], 0)
    settings = resolve_video_settings(course_settings, obs.video_key)
    if not settings.tracking_enabled:
        return ObservationOutcome([], 0)
    identity = get_learner_identity(obs.user_id, obs.course_key, course_settings)

    for attempt in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                _, intents = _apply_once(obs, identity.registration, settings)
                statements = []
                if intents:
                    target = video_target(obs, obs.course_key, identity.agent, identity.registration)
                    statements = [build_video_statement(intent, target) for intent in intents]
                queued = enqueue_statements(
                    statements,
                    connection_id=course_settings.connection_id,
                    course_key=obs.course_key,
                    user_id=obs.user_id,
                )
            return ObservationOutcome(statements, queued)
        except (ConcurrentUpdate, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not _is_lock_conflict(exc):
                raise
            # Someone else wrote this state first: back off a little and start from their row.
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not security
    raise ConcurrentUpdate(f"viewing state still contended after {MAX_ATTEMPTS} attempts")
