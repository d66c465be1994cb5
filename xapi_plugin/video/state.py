"""Viewing state in the database: load, apply one observation, save, queue its statements.

Safe when two tabs or two web workers report for the same learner and video at once: the row
is read with ``SELECT ... FOR UPDATE`` (MySQL/MariaDB and PostgreSQL make the second writer
wait) and written back only if its ``version`` is still the one read (compare-and-swap, which
also holds on databases without row locks, such as SQLite); a writer that lost the race rolls
back, statements included, and starts again from the fresh row. Statements are queued in the
same transaction as the state, so they exist exactly when the state that produced them does.

:func:`close_idle_sessions`, run periodically, ends the sessions of closed tabs the same way.
"""

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Min
from django.utils import timezone

from xapi_plugin import platform
from xapi_plugin.core import metrics
from xapi_plugin.core.conf import lms_root_url
from xapi_plugin.core.constants import StatementFamily
from xapi_plugin.core.snapshot import ProcessMemo
from xapi_plugin.privacy import LearnerIdentity, LearnerRetired, get_learner_identity
from xapi_plugin.routing import course_receives, queue_statements, routing_settings
from xapi_plugin.statements import block_activity_id, course_activity, language_tag
from xapi_plugin.statements.video import VideoTarget, build_video_statement
from xapi_plugin.studio import CourseXapiSettings, get_course_settings
from xapi_plugin.video.live_playback import ASIDE_SOURCE_PREFIX, aside_is_reporting
from xapi_plugin.video.overrides import resolve_video_settings
from xapi_plugin.video.viewing import (
    INACTIVITY,
    Observation,
    PageSession,
    VideoIntent,
    VideoSettings,
    Viewing,
    browser_length_ignored,
    cap_open_sessions,
    guard_observation,
    step,
)
from xapi_plugin.video.viewing import close_idle_sessions as close_idle_sessions_of

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


def video_routing_settings(course_key: str) -> CourseXapiSettings | None:
    """The settings to build the course's video statements with, or None when no LRS gets them
    (neither the course's own connection nor an operator's organisation- or site-wide one)."""
    settings = routing_settings(course_key, course_settings_for(course_key))
    return settings if course_receives(course_key, StatementFamily.VIDEO, settings) else None


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
        wall_time=row.watched_wall_time,
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
        "watched_wall_time": viewing.wall_time,
    }


def _save(row, viewing: Viewing) -> None:
    """Write ``viewing`` back to ``row`` if nobody wrote it since it was read (compare-and-swap)."""
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

    written = VideoViewingState.objects.filter(pk=row.pk, version=row.version).update(
        version=F("version") + 1, modified=timezone.now(), **viewing_fields(viewing)
    )
    if written != 1:
        raise ConcurrentUpdate("version changed")


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
    intents = step(viewing, _guarded(viewing, obs, platform.get_video_duration(obs.video_key)), settings)
    _save(row, viewing)
    return viewing, intents


def _guarded(viewing: Viewing, obs: Observation, server_length: float | None) -> Observation:
    """The observation with the length to believe (the server's wins); a browser length it overrides is counted."""
    if browser_length_ignored(obs, server_length):
        metrics.increment(metrics.VIDEO_LENGTHS_IGNORED)
    return guard_observation(viewing, obs, server_length)


def _with_retries[T](attempt: Callable[[], T]) -> T:
    """Run ``attempt`` in a transaction, again from scratch while another writer wins the race."""
    for number in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                return attempt()
        except (ConcurrentUpdate, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not _is_lock_conflict(exc):
                raise
            # Someone else wrote this state first: back off a little and start from their row.
            time.sleep(random.uniform(0, 0.01 * (number + 1)))  # noqa: S311 - jitter, not security
    raise ConcurrentUpdate(f"viewing state still contended after {MAX_ATTEMPTS} attempts")


def _is_lock_conflict(exc: OperationalError) -> bool:
    """A deadlock or lock wait timeout (MySQL 1213/1205) or SQLite's busy database: worth a retry."""
    code = exc.args[0] if exc.args else None
    return code in (1205, 1213) or "database is locked" in str(exc)


def video_target(
    video_key: str, video_name: str | None, course_key: str, actor: dict, registration: str
) -> VideoTarget:
    """The actor, activity and context values the statements of one viewing share."""
    root_url = lms_root_url()
    outline = platform.get_course_outline(course_key)
    return VideoTarget(
        actor=actor,
        registration=registration,
        video_id=block_activity_id(video_key, root_url),
        video_name=video_name,
        course=course_activity(course_key, outline.display_name if outline else None, root_url),
        language=language_tag(outline.language if outline else None),
        root_url=root_url,
    )


def _queue_intents(
    intents: list[VideoIntent],
    *,
    course_settings: CourseXapiSettings,
    course_key: str,
    user_id: int,
    video_key: str,
    video_name: str | None,
    identity: LearnerIdentity,
    registration: str,
) -> ObservationOutcome:
    """Build the statements of ``intents`` and queue them, inside the caller's transaction."""
    statements = []
    if intents:
        target = video_target(video_key, video_name, course_key, identity.agent, registration)
        statements = [build_video_statement(intent, target) for intent in intents]
    queued = queue_statements(
        statements, course_key=course_key, user_id=user_id, family=StatementFamily.VIDEO, settings=course_settings
    )
    return ObservationOutcome(statements, queued)


def tracked_video_settings(course_key: str, video_key: str) -> tuple[CourseXapiSettings, VideoSettings] | None:
    """The course's and the video's settings, or None when this video sends no statements (no LRS
    gets the course's video statements: neither its own connection nor a wide one)."""
    course_settings = video_routing_settings(course_key)
    if course_settings is None:
        return None
    settings = resolve_video_settings(course_settings, video_key)
    return (course_settings, settings) if settings.tracking_enabled else None


# Request path, worker mode: each web process remembers a video's settings this long (the
# worker re-reads them when it folds, so a course switched off stops at once; one switched on
# starts storing within this time). Saves the cache round trips on every player event.
_settings_memo = ProcessMemo(seconds=2.0, size=10_000)


def _tracked_video_settings_memoised(course_key: str, video_key: str):
    return _settings_memo.get((course_key, video_key), lambda: tracked_video_settings(course_key, video_key))


def forget_memoised_settings() -> None:
    """Drop this process's remembered video settings (tests)."""
    _settings_memo.clear()


def record_player_observation(obs: Observation) -> ObservationOutcome:
    """Take one player observation in: the request path of every source (tracking events, the aside).

    Stores the observation in the intake (one INSERT) for a worker to fold into the viewing state
    (:func:`fold_observations`); with ``XAPI_VIDEO_INTAKE = "inline"`` folds it at once. Does
    nothing (and stores nothing) when the course does not send video statements or the video's
    tracking is off. ``queued``: statements queued by this call (0 when a worker will do it).
    """
    from xapi_plugin.video.intake import WORKER, intake_mode, submit_observation  # noqa: PLC0415

    lookup = _tracked_video_settings_memoised if intake_mode() == WORKER else tracked_video_settings
    if lookup(obs.course_key, obs.video_key) is None:
        return ObservationOutcome([], 0)
    return ObservationOutcome([], submit_observation(obs))


def apply_player_observation(obs: Observation) -> ObservationOutcome:
    """Apply one observation to the viewing state at once, bypassing the intake (tests, tools)."""
    found = tracked_video_settings(obs.course_key, obs.video_key)
    if found is None:
        return ObservationOutcome([], 0)
    course_settings, settings = found
    identity = get_learner_identity(obs.user_id, obs.course_key, course_settings)

    def attempt() -> ObservationOutcome:
        _, intents = _apply_once(obs, identity.registration, settings)
        return _queue_intents(
            intents,
            course_settings=course_settings,
            course_key=obs.course_key,
            user_id=obs.user_id,
            video_key=obs.video_key,
            video_name=obs.display_name,
            identity=identity,
            registration=identity.registration,
        )

    return _with_retries(attempt)


def _lock_state(user_id: int, video_key: str, course_key: str, registration: str):
    """The viewing state row, locked (created when missing; a creation race is retried)."""
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

    keys = {"user_id": user_id, "video_key": video_key, "registration": uuid.UUID(registration)}
    row = VideoViewingState.objects.select_for_update().filter(**keys).first()
    if row is None:
        try:
            with transaction.atomic():
                row = VideoViewingState.objects.create(course_key=course_key, **keys)
        except IntegrityError as exc:
            raise ConcurrentUpdate("created by another writer") from exc
    return row


def _pending(user_id: int, video_key: str, course_key: str | None = None):
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415

    rows = VideoIntake.objects.filter(user_id=user_id, video_key=video_key, folded_at__isnull=True)
    if course_key is not None:
        rows = rows.filter(course_key=course_key)
    return rows


def _mark_folded(ids: list[int]) -> None:
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415

    VideoIntake.objects.filter(pk__in=ids).update(folded_at=timezone.now(), claimed_until=None)


def _fold_once(
    user_id: int,
    video_key: str,
    course_key: str,
    found,
    identity: LearnerIdentity | None,
    server_length: float | None = None,
):
    """One attempt, inside the caller's transaction: lock the state, fold its pending rows in event order."""
    from xapi_plugin.video.intake import FoldOutcome, observation_from_row  # noqa: PLC0415

    if found is None or identity is None:
        # Not tracked (any more), or the learner is retired: the observations are deleted unread.
        dropped, _ = _pending(user_id, video_key, course_key).delete()
        if identity is None and found is not None and dropped:
            metrics.increment(metrics.SKIPPED_EVENTS, dropped)
            log.info("xapi: skipped %s video observations: the learner is retired", dropped)
        return FoldOutcome(dropped, 0)
    course_settings, settings = found
    row = _lock_state(user_id, video_key, course_key, identity.registration)
    # Read after the lock: a worker that folded these rows before us has committed by now.
    pending = list(
        _pending(user_id, video_key, course_key)
        .order_by("event_at", "id")
        .values_list("pk", "source_id", "event_at", "observation")
    )
    if not pending:
        return FoldOutcome(0, 0)
    folded_ids = [pk for pk, *_ in pending]
    if any(not source_id.startswith(ASIDE_SOURCE_PREFIX) for _, source_id, _, _ in pending) and aside_is_reporting(
        user_id, video_key
    ):
        # The video aside reports this viewing live; the player's events would describe it a
        # second time, as another page. Asked once per fold, not on every player event's request.
        kept = [entry for entry in pending if entry[1].startswith(ASIDE_SOURCE_PREFIX)]
        metrics.increment(metrics.DEFERRED_TO_ASIDE, len(pending) - len(kept))
        pending = kept
    viewing = to_viewing(row)
    intents: list[VideoIntent] = []
    video_name = None
    for _pk, source_id, event_at, body in pending:
        try:
            obs = observation_from_row(user_id, course_key, video_key, source_id, event_at, body)
            obs = _guarded(viewing, obs, server_length)
            intents += step(viewing, obs, settings)
            intents += cap_open_sessions(viewing, settings)
        except (ValueError, KeyError, TypeError) as exc:
            metrics.increment(metrics.SKIPPED_EVENTS)
            log.warning("xapi: skipped video observation %s: %s", source_id, exc)
            continue
        video_name = obs.display_name or video_name
    _save(row, viewing)
    outcome = _queue_intents(
        intents,
        course_settings=course_settings,
        course_key=course_key,
        user_id=user_id,
        video_key=video_key,
        video_name=video_name,
        identity=identity,
        registration=identity.registration,
    )
    _mark_folded(folded_ids)
    return FoldOutcome(len(folded_ids), outcome.queued)


def fold_observations(user_id: int, video_key: str, shared: dict | None = None):
    """Fold every unfolded intake row of one learner and video into the viewing state, in event order.

    One transaction per course key the rows name (in practice one): the state row is locked,
    the rows read, stepped through in event order, the state saved, the statements queued and
    the rows marked folded, all or nothing. Returns a ``FoldOutcome`` (rows folded, statements queued).
    ``shared``: a dict the caller keeps for one batch of keys, so that the course's and the
    video's settings and the video's length are read once for all of them (None: read here).
    """
    from xapi_plugin.video.intake import FoldOutcome  # noqa: PLC0415

    shared = {} if shared is None else shared

    def once(key: tuple, read: Callable):
        if key not in shared:
            shared[key] = read()
        return shared[key]

    observations = queued = 0
    # The course keys of the pending rows, in the order their first row came (one query; rows of
    # another course key stored after this are left to the next fold, which their lease brings).
    course_keys = (
        _pending(user_id, video_key)
        .values("course_key")
        .annotate(first_id=Min("id"))
        .order_by("first_id")
        .values_list("course_key", flat=True)
    )
    for course_key in list(course_keys):
        found = once(("settings", course_key, video_key), lambda: tracked_video_settings(course_key, video_key))  # noqa: B023
        identity = None
        if found is not None:
            try:
                identity = get_learner_identity(user_id, course_key, found[0])
            except LearnerRetired:
                identity = None
        # The server's length (edx-val), read once per batch outside the transaction: it wins over the browser's.
        server_length = None
        if identity is not None:
            server_length = once(("length", video_key), lambda: platform.get_video_duration(video_key))  # noqa: B023
        outcome = _with_retries(
            lambda: _fold_once(user_id, video_key, course_key, found, identity, server_length)  # noqa: B023
        )
        observations += outcome.observations
        queued += outcome.queued
    return FoldOutcome(observations, queued)


def _close_idle_once(
    pk: int, now: datetime, settings: VideoSettings, course_settings: CourseXapiSettings, identity: LearnerIdentity
) -> int:
    """One attempt, inside the caller's transaction: lock, read, close idle sessions, compare-and-swap, queue."""
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

    row = VideoViewingState.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        return 0  # deleted since the query (retention, retirement)
    viewing = to_viewing(row)
    open_before = len(viewing.sessions)
    intents = close_idle_sessions_of(viewing, settings, now)
    closed = open_before - len(viewing.sessions)
    if not closed:
        return 0  # an event came in since the query: nothing is idle any more
    _save(row, viewing)
    _queue_intents(
        intents,
        course_settings=course_settings,
        course_key=row.course_key,
        user_id=row.user_id,
        video_key=row.video_key,
        video_name=None,  # not stored; the LRS has it from the session's other statements
        identity=identity,
        registration=viewing.registration,
    )
    return closed


class _IdleCloser:
    """One run of :func:`close_idle_sessions`: settings read once per course and video."""

    def __init__(self, now: datetime):
        self.now = now
        self.course_settings: dict[str, CourseXapiSettings | None] = {}
        self.video_settings: dict[tuple[str, str], VideoSettings] = {}

    def settings_for(self, course_key: str, video_key: str) -> tuple[CourseXapiSettings, VideoSettings] | None:
        """The course's and the video's settings, or None when the video sends no statements now."""
        if course_key not in self.course_settings:
            self.course_settings[course_key] = video_routing_settings(course_key)
        course_settings = self.course_settings[course_key]
        if course_settings is None:
            return None
        if (course_key, video_key) not in self.video_settings:
            self.video_settings[course_key, video_key] = resolve_video_settings(course_settings, video_key)
        settings = self.video_settings[course_key, video_key]
        return (course_settings, settings) if settings.tracking_enabled else None

    def close(self, pk: int, course_key: str, video_key: str, user_id: int) -> int:
        """Close the idle sessions of one state; how many were closed."""
        found = self.settings_for(course_key, video_key)
        if found is None:
            return 0  # left as it is: the course or the video sends no video statements now
        course_settings, settings = found
        try:
            identity = get_learner_identity(user_id, course_key, course_settings)
        except LearnerRetired:
            return 0
        return _with_retries(lambda: _close_idle_once(pk, self.now, settings, course_settings, identity))


def close_idle_sessions(now: datetime | None = None, batch_size: int = 500) -> int:
    """End, with ``terminated``, the viewing sessions idle for longer than ``INACTIVITY``; returns how many.

    A learner who closes the tab sends nothing, so without this their session would stay open
    until their next event for the same video. Run periodically (Celery beat, task
    ``xapi_plugin.video.tasks.close_idle_sessions``). Candidates are the states whose last event
    is older than ``now - INACTIVITY`` and that still have a session (so a page still active
    keeps its row out; an idle sibling page is closed by that page's next event or by a later
    run, once the whole state is idle), read ``batch_size`` at a time in primary-key order.
    Each is closed in its own transaction exactly as an observation is applied (row lock,
    compare-and-swap, statements queued with the state). States of courses that no longer send
    video statements, of videos whose tracking is off, and of retired learners are left as they
    are. A state that fails is logged by id and counted (``video_idle_close_failed``); the
    others go on. Running it again closes nothing more; the learner's next event on that page
    opens a new session.
    """
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    closer = _IdleCloser(now or timezone.now())
    candidates = (
        VideoViewingState.objects.filter(last_event_at__lt=closer.now - INACTIVITY)
        .exclude(sessions={})
        .order_by("pk")
        .values_list("pk", "course_key", "video_key", "user_id")
    )
    closed = 0
    after = 0
    while True:
        batch = list(candidates.filter(pk__gt=after)[:batch_size])
        for pk, course_key, video_key, user_id in batch:
            try:
                closed += closer.close(pk, course_key, video_key, user_id)
            except Exception:  # noqa: BLE001 - one bad state must not keep the others open
                log.exception("could not close the idle video sessions of viewing state %s", pk)
                metrics.increment(metrics.IDLE_CLOSE_FAILED)
        if len(batch) < batch_size:
            return closed
        after = batch[-1][0]
