"""The event intake: course signals and tracking events stored by the request, reported by a worker.

Request path (:func:`store_event`): the receiver or tracking route reads what it needs of the
event (no I/O), and this module appends it to ``EventIntake`` with one ``INSERT ... IGNORE``
(hand-written SQL, cached per database, in the caller's transaction as the outbox write is);
when the transaction commits, the fold task is published at most once per run
(:class:`~xapi_plugin.intake.leases.FoldQueue`). No settings read, no state row locked, no
statement built: the learner's request pays one small write.

Worker (:func:`fold_pending_events`, task ``xapi_plugin.intake.tasks.fold_event_intake``): leases
pending rows (``SELECT ... FOR UPDATE SKIP LOCKED``), then for each learner and course, in one
transaction, locks that key's pending rows, runs each row's report (``REPORTERS``: the code the
receivers used to run in the request) in event order, and marks the rows folded. So:

* broker down: the rows wait; the periodic run (beat) folds them;
* a worker killed mid-fold: its transaction rolls back; its lease lapses; another worker folds;
* two workers: they lease different rows; for one key the row locks serialise them and the
  second finds nothing left;
* a report that raises (the platform's modulestore unreachable, a deadlock): the key's
  transaction rolls back, the rows wait ``retry_delay`` and are tried again; after
  :data:`MAX_ATTEMPTS` the row is kept with ``outcome = "failed"`` and counted as a failed event,
  and the key's later rows go on. Unreadable input is skipped and logged once, never retried.

With ``XAPI_EVENT_INTAKE = "inline"`` the request folds its own learner and course at once (same
table, same code): for hosts without a Celery worker, and the unit tests.
"""

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache as memoize

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from xapi_plugin.core import metrics
from xapi_plugin.core.conf import get_setting
from xapi_plugin.intake import leases
from xapi_plugin.intake.tracking import MalformedEvent, log_bad_event_once
from xapi_plugin.privacy import LearnerRetired

log = logging.getLogger(__name__)

INLINE = "inline"
WORKER = "worker"

# Kinds of rows -> dotted path of ``report(event: StoredEvent) -> None``. A kind is stored in the
# table: rename the code freely, never the kind.
REPORTERS: dict[str, str] = {
    "tracking": "xapi_plugin.intake.tracking.report_stored_tracking_event",
    "enrolment": "xapi_plugin.course.events.report_enrolment",
    "grade": "xapi_plugin.course.events.report_grade",
    "passing": "xapi_plugin.course.events.report_passing",
    "certificate": "xapi_plugin.course.events.report_certificate",
    "completion": "xapi_plugin.course.progress.report_stored_completion",
}

#: Failed reports of one row before it is kept as failed (backing off 5 s, 10 s ... 10 min: ~20 min).
MAX_ATTEMPTS = 8
REPORTED, SKIPPED, FAILED = "reported", "skipped", "failed"
#: Seconds a fold task keeps claiming after its last work, before giving its worker back.
LINGER = 1.0

FOLD_QUEUE = leases.FoldQueue(
    "xapi_plugin:event-fold-queued", "xapi_plugin.intake.tasks.fold_event_intake", "event intake", LINGER
)
# Every NOT NULL column is written: SQLite's INSERT OR IGNORE drops a row missing one, silently.
_COLUMNS = (
    "kind",
    "user_id",
    "course_key",
    "source_id",
    "event_at",
    "received_at",
    "payload",
    "attempts",
    "outcome",
    "error",
)


@dataclass(frozen=True)
class StoredEvent:
    """One intake row as its report reads it."""

    kind: str
    source_id: str
    user_id: int
    course_key: str
    event_at: datetime
    payload: dict

    @property
    def name(self) -> str:
        """The event's name (tracking events) or signal type, for logs."""
        name = self.payload.get("name") or self.payload.get("event")
        return name if isinstance(name, str) else self.kind


def intake_mode() -> str:
    """``worker`` (reported by Celery) or ``inline`` (reported in the request)."""
    return INLINE if get_setting("XAPI_EVENT_INTAKE") == INLINE else WORKER


def _json_default(value):
    # Tracking events may carry what the platform's own encoders accept (datetimes, decimals...).
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def payload_json(payload: dict) -> str:
    """The payload as compact JSON; MalformedEvent when it cannot be written as JSON."""
    try:
        return json.dumps(payload, separators=(",", ":"), default=_json_default)
    except (TypeError, ValueError, RecursionError) as exc:
        raise MalformedEvent("event data cannot be stored as JSON") from exc


def _model():
    from xapi_plugin.models import EventIntake  # noqa: PLC0415

    return EventIntake


def _insert_sql(alias: str, vendor: str) -> str:
    return leases.insert_ignore_sql(_model(), _COLUMNS, alias, vendor)


def store_event(kind: str, *, source_id: str, user_id: int, course_key: str, event_at: datetime, payload: dict) -> bool:
    """The request path of one course signal or tracking event: one INSERT in the caller's transaction.

    False when the same ``source_id`` was stored before (counted as a duplicate). In inline mode
    the learner's and course's rows are reported at once. Raises MalformedEvent for a payload
    that is not JSON; the caller logs it (the request never sees an exception).
    """
    body = payload_json(payload)
    alias = router.db_for_write(_model())
    database = connections[alias]
    adapt = database.ops.adapt_datetimefield_value
    params = [kind, user_id, course_key[:255], source_id[:64], adapt(event_at), adapt(timezone.now()), body, 0, "", ""]
    with database.cursor() as cursor:
        cursor.execute(_insert_sql(alias, database.vendor), params)
        inserted = cursor.rowcount > 0
    if not inserted:
        metrics.increment(metrics.DUPLICATE_EVENTS)
        return False
    if intake_mode() == INLINE:
        fold_learner_course(user_id, course_key[:255])
    else:
        transaction.on_commit(FOLD_QUEUE.schedule, using=alias)
    return True


# -- the worker side ---------------------------------------------------------------------------------


@memoize
def _reporter(kind: str):
    return import_string(REPORTERS[kind])


def retry_delay(attempts: int) -> timedelta:
    """How long a key waits after its ``attempts``-th failed report: 5 s, doubling, at most 10 min."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


def _report(row: StoredEvent) -> str:
    """Run one row's report: REPORTED, or SKIPPED for unreadable input (logged once); other errors raise."""
    try:
        _reporter(row.kind)(row)
    except MalformedEvent as exc:  # MalformedSignal too
        metrics.increment(metrics.SKIPPED_EVENTS)
        log_bad_event_once(logging.WARNING, row.source_id, "xapi: skipped %s %s: %s", row.name, row.source_id, exc)
        return SKIPPED
    except LearnerRetired:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.info("xapi: skipped %s %s: the learner is retired", row.name, row.source_id)
        return SKIPPED
    return REPORTED


def _locked_pending_rows(user_id: int, course_key: str) -> list[StoredEvent]:
    rows = _model().objects.filter(user_id=user_id, course_key=course_key, folded_at__isnull=True)
    rows = rows.select_for_update()
    return [
        StoredEvent(kind, source_id, user_id, course_key, event_at, json.loads(payload))
        for kind, source_id, event_at, payload in rows.order_by("event_at", "id").values_list(
            "kind", "source_id", "event_at", "payload"
        )
    ]


def fold_learner_course(user_id: int, course_key: str) -> int:
    """Report every pending row of one learner and course, in event order, in one transaction.

    Returns how many rows were folded. Never raises: a failed report rolls the key back and is
    recorded for a later try (:func:`_record_failure`).
    """
    model = _model()
    alias = router.db_for_write(model)
    current: StoredEvent | None = None
    try:
        with transaction.atomic(using=alias):
            outcomes: dict[str, list[str]] = {}
            for row in _locked_pending_rows(user_id, course_key):
                current = row
                outcomes.setdefault(_report(row), []).append(row.source_id)
            current = None
            now = timezone.now()
            for outcome, source_ids in outcomes.items():
                model.objects.filter(source_id__in=source_ids).update(
                    folded_at=now, outcome=outcome, claimed_until=None
                )
        return sum(len(ids) for ids in outcomes.values())
    except Exception as exc:  # noqa: BLE001 - the learner's request (inline) and the worker go on
        return _record_failure(user_id, course_key, current, exc)


def _record_failure(user_id: int, course_key: str, row: StoredEvent | None, exc: Exception) -> int:
    """Count a failed report of ``row``: hold the key back for a while, or give the row up after the last try."""
    model = _model()
    error = type(exc).__name__[:120]
    if row is None:
        log.warning("xapi: could not fold the event intake of one learner and course (%s)", error)
        return 0
    try:
        with transaction.atomic(using=router.db_for_write(model)):
            this_row = model.objects.filter(source_id=row.source_id)
            attempts = 1 + (this_row.values_list("attempts", flat=True).first() or 0)
            now = timezone.now()
            if attempts >= MAX_ATTEMPTS:
                this_row.update(attempts=attempts, error=error, outcome=FAILED, folded_at=now, claimed_until=None)
                metrics.increment(metrics.FAILED_EVENTS)
                log_bad_event_once(
                    logging.ERROR,
                    row.source_id,
                    "xapi: gave up on %s %s after %s tries (%s)",
                    row.name,
                    row.source_id,
                    attempts,
                    error,
                )
                return 1
            this_row.update(attempts=attempts, error=error)
            model.objects.filter(user_id=user_id, course_key=course_key, folded_at__isnull=True).update(
                claimed_until=now + retry_delay(attempts)
            )
        metrics.increment(metrics.INTAKE_RETRIED)
        log.warning(
            "xapi: failed on %s %s (%s), try %s of %s; retried later",
            row.name,
            row.source_id,
            error,
            attempts,
            MAX_ATTEMPTS,
        )
        log.debug("xapi: failure on %s %s", row.name, row.source_id, exc_info=exc)
    except Exception:  # noqa: BLE001 - the database itself is failing: the lease lapses, a later run retries
        log.warning("xapi: could not record a failed %s %s (%s)", row.name, row.source_id, error)
    return 0


def retry_failed_events(course_key: str | None = None, dry_run: bool = False) -> int:
    """Put rows kept as failed back in the queue (attempts from zero); returns how many. Queues a fold run."""
    rows = _model().objects.filter(outcome=FAILED)
    if course_key:
        rows = rows.filter(course_key=course_key)
    if dry_run:
        return rows.count()
    count = rows.update(outcome="", folded_at=None, claimed_until=None, attempts=0)
    if count:
        FOLD_QUEUE.forget()
        FOLD_QUEUE.schedule()
    return count


def claim_keys(size: int, now: datetime | None = None) -> list[tuple[int, str]]:
    """Lease up to ``size`` pending rows (oldest first); the learner-and-course keys they belong to."""
    return leases.lease_pending_keys(_model(), ("user_id", "course_key"), size, now)


def fold_pending_events(batch_size: int = 500, time_budget: float = 30.0, linger: float = 0.0) -> dict:
    """Fold pending rows, learner and course by learner and course, for up to ``time_budget`` seconds."""
    return leases.fold_for(
        claim_keys, fold_learner_course, batch_size=batch_size, time_budget=time_budget, linger=linger
    )


# -- reporting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventIntakeSummary:
    """For ``xapi_status``: the backlog, what failed, and how fast events reach the outbox."""

    pending: int
    oldest_pending_age: timedelta | None
    retrying: int
    failed: int
    folded_recently: int
    median_fold_latency: float | None  # seconds from received to folded, last RECENT folded rows
    p95_fold_latency: float | None


RECENT = 1000


def event_intake_summary(now: datetime | None = None) -> EventIntakeSummary:
    """Pending rows, the oldest one's age, rows being retried or given up, and the recent fold latency."""
    model = _model()
    now = now or timezone.now()
    pending = model.objects.filter(folded_at__isnull=True)
    oldest = pending.order_by("received_at").values_list("received_at", flat=True).first()
    recent = list(
        model.objects.filter(folded_at__isnull=False, outcome=REPORTED)
        .order_by("-folded_at")
        .values_list("received_at", "folded_at")[:RECENT]
    )
    median, p95 = leases.latency_quantiles(recent)
    return EventIntakeSummary(
        pending=pending.count(),
        oldest_pending_age=(now - oldest) if oldest else None,
        retrying=pending.filter(attempts__gt=0).count(),
        failed=model.objects.filter(outcome=FAILED).count(),
        folded_recently=len(recent),
        median_fold_latency=median,
        p95_fold_latency=p95,
    )
