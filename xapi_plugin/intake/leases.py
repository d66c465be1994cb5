"""What every intake table's worker side shares: leasing pending rows, and queueing one fold at a time.

An intake table holds rows the learner's request stored (``folded_at`` empty) until a worker
folds them. :func:`lease_pending_keys` leases a batch of pending rows with ``SELECT ... FOR UPDATE SKIP
LOCKED`` (two workers never lease the same row; a dead worker's lease lapses) and returns the
keys (learner and video, learner and course...) whose rows the worker then folds, key by key, in
event order. :class:`FoldQueue` publishes the fold task at most once per run: a cache flag says
a task is queued and not started, and a web process trusts the flag it saw for a moment without
asking the cache again.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from django.core.cache import cache
from django.db import OperationalError, connections, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.snapshot import configuration_snapshot

log = logging.getLogger(__name__)

_CLAIM_RETRIES = 5
#: Seconds a web process trusts the "fold queued" flag it last saw (well below a fold task's linger).
LOCAL_GUARD = 0.25


@lru_cache(maxsize=16)
def insert_ignore_sql(model, columns: tuple[str, ...], alias: str, vendor: str) -> str:
    """``INSERT ... IGNORE`` of one row of ``columns`` in the database's dialect, written once.

    The request path's one write: hand-written because the ORM spends several times the database's
    time compiling it. ``vendor`` keys the cache too (an alias may be pointed at another database).
    """
    database = connections[alias]
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    names = ", ".join(database.ops.quote_name(field.column) for field in fields)
    insert = database.ops.insert_statement(on_conflict=OnConflict.IGNORE)
    suffix = database.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    values = ", ".join(["%s"] * len(fields))
    return f"{insert} {database.ops.quote_name(meta.db_table)} ({names}) VALUES ({values}){suffix}"


def lease_period() -> timedelta:
    """How long a worker holds rows: a batch folds in well under a second; a dead worker's rows come back after this."""
    return timedelta(seconds=max(5.0, min(60.0, 2.0 * float(get_setting("XAPI_SWEEP_INTERVAL")))))


def lease_pending_keys(model, key_fields: tuple[str, ...], size: int, now: datetime | None = None) -> list[tuple]:
    """Lease up to ``size`` pending rows of ``model`` (oldest first); the distinct ``key_fields`` tuples they hold."""
    now = now or timezone.now()
    for attempt in range(_CLAIM_RETRIES):
        try:
            with transaction.atomic(using=router.db_for_write(model)):
                pending = model.objects.filter(folded_at__isnull=True).exclude(claimed_until__gt=now)
                pending = pending.order_by("received_at", "id")
                if connections[router.db_for_write(model)].features.has_select_for_update_skip_locked:
                    pending = pending.select_for_update(skip_locked=True)
                rows = list(pending.values_list("id", *key_fields)[:size])
                if not rows:
                    return []
                # The same conditions again: without row locks (SQLite) this keeps a row from two leases.
                model.objects.filter(id__in=[row[0] for row in rows], folded_at__isnull=True).exclude(
                    claimed_until__gt=now
                ).update(claimed_until=now + lease_period())
            return list(dict.fromkeys(row[1:] for row in rows))
        except OperationalError:
            if attempt == _CLAIM_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return []


class FoldQueue:
    """Publishes a fold task when rows were stored, unless one is already queued and not started."""

    def __init__(self, flag_key: str, task_name: str, what: str, linger: float):
        self.flag_key = flag_key
        self.task_name = task_name
        self.what = what
        self.linger = linger
        self._flag_seen = float("-inf")  # monotonic time this process last saw the flag

    def schedule(self) -> None:
        """Queue the fold task (runs after the learner's transaction committed). Never raises."""
        now = time.monotonic()
        if now - self._flag_seen < LOCAL_GUARD:
            return
        try:
            fresh = cache.add(self.flag_key, 1, timeout=max(5, int(get_setting("XAPI_SWEEP_INTERVAL"))))
        except Exception:  # noqa: BLE001 - no cache: publish anyway, an extra task folds nothing
            fresh = True
        self._flag_seen = now
        if not fresh:
            return
        try:
            from celery import current_app  # noqa: PLC0415

            queue = get_setting("XAPI_CELERY_QUEUE")
            # By name, on the host's Celery app (the LMS's): a web process need not have imported the
            # task's module. One publish attempt: the periodic run (beat) folds what a lost one left.
            # A run queued by requests lingers for more rows; beat's run (no arguments) does not, so the
            # safety net never holds a worker that has nothing to fold.
            current_app.send_task(
                self.task_name,
                kwargs={"linger": self.linger},
                retry=True,
                retry_policy={"max_retries": 0},
                **({"queue": queue} if queue else {}),
            )
        except Exception as exc:  # noqa: BLE001 - never fail the learner's request over the broker
            log.warning("could not queue the %s fold (%s); the periodic run folds it", self.what, type(exc).__name__)

    def started(self) -> None:
        """The fold task began: rows stored from now on must queue a new one."""
        try:
            cache.delete(self.flag_key)
        except Exception:  # noqa: BLE001
            log.debug("no cache to clear the %s fold flag in", self.what)

    def forget(self) -> None:
        """Forget the flag this process saw (tests)."""
        self._flag_seen = float("-inf")


def latency_quantiles(pairs: list[tuple[datetime, datetime]]) -> tuple[float | None, float | None]:
    """Median and 95th percentile of ``folded - received`` seconds over (received, folded) pairs."""
    latencies = sorted(max(0.0, (folded - received).total_seconds()) for received, folded in pairs)
    if not latencies:
        return None, None

    def quantile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))]

    return quantile(0.5), quantile(0.95)


def fold_for(
    claim: Callable[[int], list[tuple]],
    fold_key: Callable[..., int],
    *,
    batch_size: int,
    time_budget: float,
    linger: float,
    poll: float = 0.05,
) -> dict:
    """Claim keys and fold them until none are pending (or ``time_budget`` seconds ran out).

    ``fold_key(*key)`` returns how many rows it folded and never raises (it records its own
    failures). With ``linger``, keeps looking for new rows every ``poll`` seconds until ``linger``
    seconds pass without any. ``more``: stopped with rows still pending (the task re-queues).
    """
    started = last_work = time.monotonic()
    folded = 0
    while True:
        keys = claim(batch_size)
        if not keys and time.monotonic() - last_work < linger and time.monotonic() - started < time_budget:
            time.sleep(poll)
            continue
        if keys:
            last_work = time.monotonic()
        with configuration_snapshot():  # each course's settings read once per batch, not per row
            for key in keys:
                folded += fold_key(*key)
        if not keys:
            return {"folded": folded, "more": False}
        if time.monotonic() - started > time_budget:
            return {"folded": folded, "more": True}
