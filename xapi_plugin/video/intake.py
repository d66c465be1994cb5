"""The video intake: the learner's request appends an observation, a worker folds it in later.

Request path (:func:`submit_observation`): one ``INSERT ... IGNORE`` of the normalised observation
into ``VideoIntake`` (hand-written SQL, cached per database vendor, inside the caller's
transaction as the outbox write is), then, when the transaction commits, at most one Celery
publish per fold run (a cache key says a fold task is already queued). No row lock, no read of
the viewing state, no statement built: two tabs of one learner never wait for each other.

Worker (:func:`fold_pending`, the task ``xapi_plugin.video.tasks.fold_video_intake``): leases
pending rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` (as delivery claims outbox rows), then for
each learner-and-video it holds, in one transaction: locks the viewing state row, reads every
unfolded observation of that learner and video in event order, steps the state machine through
them, saves the state, writes the statements to the outbox and marks the rows folded. So:

* broker down: the rows wait; the periodic run of the same task (beat) folds them;
* a worker killed mid-fold: its transaction rolls back (nothing half-folded); its lease lapses
  and another worker folds the rows;
* two workers: they lease different rows; if both hold rows of one learner-and-video, the state
  row lock serialises them, the first folds all of that key's rows and the second finds none;
* observations that arrive out of order (two tabs, two web workers) are folded sorted by event
  time; one older than what was folded already is placed by the state machine's reorder rules.

With ``XAPI_VIDEO_INTAKE = "inline"`` the request folds its own learner-and-video at once
(same transaction): for hosts without a Celery worker, and the unit tests.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connections, router, transaction
from django.utils import timezone

from xapi_plugin.core import metrics
from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.snapshot import remembered
from xapi_plugin.intake import (
    FoldQueue,
    fold_for,
    insert_ignore_sql,
    latency_quantiles,
    lease_pending_keys,
    lease_period,
)
from xapi_plugin.video.viewing import Observation

log = logging.getLogger(__name__)

INLINE = "inline"
WORKER = "worker"
#: Seconds a fold task queued by requests keeps claiming after its last work, before giving its
#: worker back (beat's periodic run does not linger).
LINGER = 1.0
_POLL = 0.05
FOLD_QUEUE = FoldQueue(
    "xapi_plugin:video-fold-queued", "xapi_plugin.video.tasks.fold_video_intake", "video intake", LINGER
)


def lease() -> timedelta:
    """How long a worker holds rows (the same lease as every intake table's)."""
    return lease_period()


_COLUMNS = ("user_id", "course_key", "video_key", "source_id", "event_at", "received_at", "observation")


def observation_json(obs: Observation) -> str:
    """The columns not stored on their own, as compact JSON."""
    return json.dumps(
        {
            "kind": obs.kind,
            "page": obs.page_key,
            "position": obs.position,
            "time_from": obs.time_from,
            "time_to": obs.time_to,
            "duration": obs.duration,
            "name": obs.display_name,
            "interaction": obs.interaction,
        },
        separators=(",", ":"),
    )


def observation_from_row(user_id: int, course_key: str, video_key: str, source_id: str, event_at, body: str):
    """The :class:`Observation` an intake row stands for."""
    data = json.loads(body)
    return Observation(
        user_id=user_id,
        course_key=course_key,
        video_key=video_key,
        kind=data["kind"],
        timestamp=event_at,
        page_key=data["page"],
        source_id=source_id,
        position=data.get("position"),
        time_from=data.get("time_from"),
        time_to=data.get("time_to"),
        duration=data.get("duration"),
        display_name=data.get("name"),
        interaction=data.get("interaction"),
    )


def _insert_sql(alias: str, vendor: str) -> str:
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415

    return insert_ignore_sql(VideoIntake, _COLUMNS, alias, vendor)


def intake_mode() -> str:
    """``worker`` (fold in Celery) or ``inline`` (fold in the request)."""
    return INLINE if get_setting("XAPI_VIDEO_INTAKE") == INLINE else WORKER


def append_observation(obs: Observation) -> bool:
    """Store one observation for folding (one INSERT, in the caller's transaction); False if already stored."""
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415

    alias = router.db_for_write(VideoIntake)
    database = connections[alias]
    adapt = database.ops.adapt_datetimefield_value
    params = [
        obs.user_id,
        obs.course_key,
        obs.video_key,
        obs.source_id[:64],
        adapt(obs.timestamp),
        adapt(timezone.now()),
        observation_json(obs),
    ]
    with database.cursor() as cursor:
        cursor.execute(_insert_sql(alias, database.vendor), params)
        inserted = cursor.rowcount > 0
    if inserted:
        transaction.on_commit(schedule_fold, using=alias)
    return inserted


def submit_observation(obs: Observation) -> int:
    """The request path's handling of one player observation; returns statements queued (0 in worker mode)."""
    if not append_observation(obs):
        metrics.increment(metrics.DUPLICATE_EVENTS)
        return 0
    if intake_mode() == INLINE:
        return fold_learner_video(obs.user_id, obs.video_key).queued
    return 0


def schedule_fold() -> None:
    """Queue the fold task unless one is queued and not started yet (worker mode). Never raises.

    A web process that saw the "queued" flag less than a quarter second ago skips even the cache
    round trip: a fold task queued by requests keeps claiming for :data:`LINGER` seconds after its
    last work, so it claims after this row committed (``xapi_plugin.intake.FoldQueue``).
    """
    if intake_mode() == INLINE:
        return
    FOLD_QUEUE.schedule()


def fold_task_started() -> None:
    """The fold task began: later observations must queue a new one."""
    FOLD_QUEUE.started()


# -- the worker side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FoldOutcome:
    """What folding one learner-and-video did."""

    observations: int
    queued: int


def fold_learner_video(user_id: int, video_key: str, shared: dict | None = None) -> FoldOutcome:
    """Fold every unfolded observation of one learner and video, in event order (one transaction).

    ``shared``: settings already read for the other keys of the same claimed batch (see
    ``state.fold_observations``).
    """
    from xapi_plugin.video.state import fold_observations  # noqa: PLC0415

    return fold_observations(user_id, video_key, shared)


def claim_keys(size: int, now: datetime | None = None) -> list[tuple[int, str]]:
    """Lease up to ``size`` pending rows (oldest first); the learner-and-video keys they belong to."""
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415

    return lease_pending_keys(VideoIntake, ("user_id", "video_key"), size, now)


def fold_pending(batch_size: int = 500, time_budget: float = 30.0, linger: float = 0.0) -> dict:
    """Fold pending observations, ``batch_size`` rows' keys at a time, for up to ``time_budget`` seconds.

    With ``linger``, keeps looking for new rows (every 50 ms) until ``linger`` seconds pass without
    any. Returns counts; ``more`` is True when it stopped with rows still pending (the task re-queues).
    """
    counts = {"queued": 0, "failed": 0}

    def fold_key(user_id: int, video_key: str) -> int:
        # The course's and the video's settings and the video's length are read once per batch (many
        # learners watch the same video): one dict per configuration snapshot, i.e. per leased batch.
        shared = remembered("video-fold-batch", dict)
        try:
            outcome = fold_learner_video(user_id, video_key, shared)
        except Exception:  # noqa: BLE001 - one bad state must not stop the others; its rows stay pending
            counts["failed"] += 1
            metrics.increment(metrics.FOLD_FAILED)
            log.exception("could not fold the video observations of one learner and video (user %s)", user_id)
            return 0
        counts["queued"] += outcome.queued
        return outcome.observations

    report = fold_for(claim_keys, fold_key, batch_size=batch_size, time_budget=time_budget, linger=linger, poll=_POLL)
    return {**report, **counts}


# -- reporting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeSummary:
    """For ``xapi_status``: the backlog and how fast observations reach the outbox."""

    pending: int
    oldest_pending_age: timedelta | None
    folded_recently: int
    median_fold_latency: float | None  # seconds from received to folded, last RECENT folded rows
    p95_fold_latency: float | None


RECENT = 1000


def intake_summary(now: datetime | None = None) -> IntakeSummary:
    """Pending observations, the oldest one's age, and the fold latency of the last :data:`RECENT` folded."""
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415

    now = now or timezone.now()
    pending = VideoIntake.objects.filter(folded_at__isnull=True)
    oldest = pending.order_by("received_at").values_list("received_at", flat=True).first()
    recent = list(
        VideoIntake.objects.filter(folded_at__isnull=False)
        .order_by("-folded_at")
        .values_list("received_at", "folded_at")[:RECENT]
    )
    median, p95 = latency_quantiles(recent)

    return IntakeSummary(
        pending=pending.count(),
        oldest_pending_age=(now - oldest) if oldest else None,
        folded_recently=len(recent),
        median_fold_latency=median,
        p95_fold_latency=p95,
    )
