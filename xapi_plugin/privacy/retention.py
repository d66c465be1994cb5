"""Data retention: delete what the plugin no longer needs, in small batches.

* Delivered outbox rows whose ``delivered_at`` is older than ``XAPI_DELIVERED_RETENTION``.
* Video viewing state of finished registrations: a state is finished when no viewing event
  touched it for ``XAPI_VIEWING_STATE_RETENTION`` (its ``last_event_at``, and its ``modified``
  time, are both older than that), whether the video was completed or abandoned. A learner who
  comes back to the video later starts a new viewing record for it.
* Video intake rows folded into the viewing state more than ``XAPI_INTAKE_RETENTION`` ago
  (rows not folded yet are never purged).
* Event intake rows reported (or skipped as unreadable) more than ``XAPI_INTAKE_RETENTION`` ago;
  rows not reported yet, and rows kept as failed, are never purged.

Each batch selects at most ``batch_size`` primary keys, oldest first, and deletes them in its
own short statement, re-checking the condition, so no lock is held for long and a row touched
in between stays. Run by the Celery task :func:`purge_expired_data` (add it to the beat
schedule) and by ``./manage.py lms xapi_purge``.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet
from django.utils import timezone

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import OutboxState

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000


def retention_period(name: str) -> timedelta | None:
    """The retention setting ``name`` as a timedelta; None when set to None (keep for ever)."""
    value = get_setting(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ImproperlyConfigured(
            f"{name} must be a positive number of seconds (e.g. {14 * 24 * 3600} for 14 days) "
            f"or None to keep the data for ever; it is {value!r}."
        )
    return timedelta(seconds=value)


def expired_delivered_statements(now: datetime, period: timedelta) -> QuerySet:
    """Delivered outbox rows delivered strictly before ``now - period``."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    return OutboxStatement.objects.filter(state=OutboxState.DELIVERED, delivered_at__lt=now - period)


def expired_viewing_states(now: datetime, period: timedelta) -> QuerySet:
    """Viewing states that no event touched since before ``now - period``."""
    from xapi_plugin.models import VideoViewingState  # noqa: PLC0415

    cutoff = now - period
    return VideoViewingState.objects.filter(
        Q(modified__lt=cutoff) & (Q(last_event_at__isnull=True) | Q(last_event_at__lt=cutoff))
    )


def folded_intake_rows(now: datetime, period: timedelta) -> QuerySet:
    """Video intake rows folded into the viewing state before ``now - period`` (unfolded rows stay)."""
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415

    return VideoIntake.objects.filter(folded_at__lt=now - period)


def reported_event_intake_rows(now: datetime, period: timedelta) -> QuerySet:
    """Event intake rows reported (or skipped) before ``now - period``; unreported and failed rows stay."""
    from xapi_plugin.models import EventIntake  # noqa: PLC0415

    return EventIntake.objects.filter(folded_at__lt=now - period).exclude(outcome="failed")


def delete_in_batches(
    queryset: QuerySet, batch_size: int = DEFAULT_BATCH_SIZE, on_batch: Callable[[int], None] | None = None
) -> int:
    """Delete the rows of ``queryset``, ``batch_size`` primary keys at a time; returns how many went.

    ``on_batch(count)`` is called after each batch's DELETE (progress, benchmarks).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    deleted = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        # The condition again: a row updated since the select is not ours to delete any more.
        count, _ = queryset.filter(pk__in=ids).delete()
        deleted += count
        if on_batch is not None:
            on_batch(count)
        if len(ids) < batch_size:
            return deleted


def purge(now: datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> dict[str, int]:
    """Delete (or with ``dry_run`` count) every row past its retention period; returns counts per kind."""
    now = now or timezone.now()
    counts = {}
    for kind, setting, select in (
        ("delivered_statements", "XAPI_DELIVERED_RETENTION", expired_delivered_statements),
        ("viewing_states", "XAPI_VIEWING_STATE_RETENTION", expired_viewing_states),
        ("folded_video_intake", "XAPI_INTAKE_RETENTION", folded_intake_rows),
        ("reported_event_intake", "XAPI_INTAKE_RETENTION", reported_event_intake_rows),
    ):
        period = retention_period(setting)
        if period is None:
            counts[kind] = 0
            continue
        queryset = select(now, period)
        counts[kind] = queryset.count() if dry_run else delete_in_batches(queryset, batch_size)
    return counts
