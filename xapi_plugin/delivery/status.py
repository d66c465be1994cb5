"""A connection's health: status, backoff while failing, the single probe, and outbox counts.

While a connection is failing (``consecutive_failures > 0``) nothing is sent before its
``retry_at``; then exactly one worker wins :func:`take_probe` and sends one batch. Its outcome
decides: success reopens the queue for everyone, failure pushes ``retry_at`` further out.
Every update is a single conditional UPDATE, so concurrent workers agree without locks held
across HTTP calls, and the row's ``modified`` (which keys the HTTP session) is left alone.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import ConnectionStatus, OutboxState
from xapi_plugin.delivery.claims import lease_seconds
from xapi_plugin.delivery.lrs_client import Answer

_SUCCESS_REFRESH = 5  # seconds: "last success" is rewritten at most this often while healthy


def backoff_delay(failures: int, retry_after: float | None = None, *, rand: random.Random | None = None) -> float:
    """Seconds to wait after ``failures`` consecutive failures (1 = first).

    Exponential from ``XAPI_RETRY_BASE_DELAY``, capped at ``XAPI_RETRY_MAX_DELAY``, with "equal
    jitter" (between half and all of the step) so many senders do not retry in step. A
    ``Retry-After`` from the LRS is a floor, capped at the retry window.
    """
    base = float(get_setting("XAPI_RETRY_BASE_DELAY"))
    cap = float(get_setting("XAPI_RETRY_MAX_DELAY"))
    step = min(cap, base * (2 ** max(0, min(failures, 64) - 1)))
    delay = step / 2 + (rand or random).uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), float(get_setting("XAPI_RETRY_WINDOW"))))
    return delay


def is_failing(connection) -> bool:
    """Whether the connection's queue is closed until its next probe."""
    return connection.consecutive_failures > 0


def take_probe(connection, now: datetime | None = None) -> bool:
    """Try to become the one worker that probes a failing connection; True for the winner."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    now = now or timezone.now()
    if connection.retry_at and connection.retry_at > now:
        return False
    same = LRSConnection.objects.filter(pk=connection.pk, consecutive_failures__gt=0)
    same = same.filter(retry_at=connection.retry_at) if connection.retry_at else same.filter(retry_at__isnull=True)
    # The winner pushes retry_at one lease ahead: if it dies, another probe comes after the lease.
    return same.update(retry_at=now + timedelta(seconds=lease_seconds())) == 1


def record_success(connection_id: int, detail: str = "", *, seen=None) -> bool:
    """The LRS answered as an LRS should. Reopens a failing connection; returns True if it recovered.

    ``seen`` is the connection as the caller loaded it just before sending: when it was healthy
    and its last success is recent, nothing needs writing (the hot path of a large backlog).
    """
    from xapi_plugin.models import LRSConnection, OutboxStatement  # noqa: PLC0415

    now = timezone.now()
    if (
        seen is not None
        and seen.consecutive_failures == 0
        and seen.status == ConnectionStatus.OK
        and seen.last_success_at
        and seen.last_success_at > now - timedelta(seconds=_SUCCESS_REFRESH)
    ):
        return False
    reopen = {"status": ConnectionStatus.OK, "status_changed_at": now, "consecutive_failures": 0, "retry_at": None}
    success = {"last_success_at": now, "last_success_detail": detail[:500]}
    with transaction.atomic():
        recovered = LRSConnection.objects.filter(pk=connection_id, consecutive_failures__gt=0).update(
            **reopen, **success
        )
        if recovered:
            # Statements held for a configuration problem go back in the queue.
            OutboxStatement.objects.filter(connection_id=connection_id, state=OutboxState.HELD).update(
                state=OutboxState.PENDING, next_attempt_at=now
            )
            return True
    if LRSConnection.objects.filter(pk=connection_id).exclude(status=ConnectionStatus.OK).update(**reopen, **success):
        return False  # first use
    # Healthy already: refresh the "last success" time at most every few seconds (cheap hot path).
    LRSConnection.objects.filter(pk=connection_id).filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=now - timedelta(seconds=_SUCCESS_REFRESH))
    ).update(**success)
    return False


def record_failure(connection_id: int, answer: Answer) -> datetime:
    """Count a failure, set the status and its detail, push ``retry_at`` out; returns ``retry_at``."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    now = timezone.now()
    with transaction.atomic():
        connection = LRSConnection.objects.select_for_update().get(pk=connection_id)
        failures = connection.consecutive_failures + 1
        retry_at = now + timedelta(seconds=backoff_delay(failures, answer.retry_after))
        fields = {
            "consecutive_failures": failures,
            "retry_at": retry_at,
            "last_failure_at": now,
            "last_failure_detail": answer.detail[:500],
            "status": answer.status,
        }
        if connection.status != answer.status:
            fields["status_changed_at"] = now
        if connection.failing_since is None:
            fields["failing_since"] = now
        LRSConnection.objects.filter(pk=connection_id).update(**fields)
    return retry_at


@dataclass(frozen=True)
class OutboxSummary:
    """Counts an operator needs for one connection."""

    pending: int
    held: int
    rejected: int
    expired: int
    delivered: int
    oldest_pending_age: timedelta | None


def outbox_summary(connection_id: int, now: datetime | None = None) -> OutboxSummary:
    """Rows per state, and how long the oldest pending (or held) row has waited."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    now = now or timezone.now()
    rows = OutboxStatement.objects.filter(connection_id=connection_id)
    counts = dict(rows.values_list("state").annotate(n=Count("id")).order_by())
    oldest = rows.filter(state__in=[OutboxState.PENDING, OutboxState.HELD]).aggregate(first=Min("created"))["first"]
    return OutboxSummary(
        pending=counts.get(OutboxState.PENDING, 0),
        held=counts.get(OutboxState.HELD, 0),
        rejected=counts.get(OutboxState.REJECTED, 0),
        expired=counts.get(OutboxState.EXPIRED, 0),
        delivered=counts.get(OutboxState.DELIVERED, 0),
        oldest_pending_age=(now - oldest) if oldest else None,
    )
