"""The delivery loop of one connection: claim due rows, send them, record what happened, repeat.

:func:`deliver_due` is synchronous; the Celery task, ``xapi_flush``, the demo and tests call it.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from xapi_plugin.conf import get_setting
from xapi_plugin.constants import ConnectionStatus, OutboxState
from xapi_plugin.delivery import alerts, status
from xapi_plugin.delivery.claims import claim_batch
from xapi_plugin.delivery.lrs_client import Answer, LRSClient, Outcome
from xapi_plugin.delivery.outcomes import BatchResult, record_result, send_with_bisection

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """What one call of :func:`deliver_due` did."""

    connection_id: int
    delivered: int = 0
    rejected: int = 0
    retried: int = 0
    held: int = 0
    expired: int = 0
    batches: int = 0
    requests: int = 0
    stopped: str = ""  # why the loop ended: "done", "limit", "time budget", "backing off", ...

    @property
    def attempted(self) -> int:
        return self.delivered + self.rejected + self.retried + self.held + self.expired


def _probe_without_rows(client: LRSClient) -> BatchResult:
    """A failing connection with nothing to send is probed with the operator check instead."""
    result = BatchResult(requests=2)
    for name, passed, detail in client.check():
        if not passed:
            if name == "reachable":
                result.failure = Answer(Outcome.RETRY, ConnectionStatus.CANT_CONNECT, None, detail)
            else:
                result.failure = Answer(Outcome.HOLD, ConnectionStatus.AUTH_ERROR, None, detail)
            return result
    result.lrs_answered = True
    return result


def deliver_due(
    connection_id: int,
    limit: int | None = None,
    *,
    time_budget: float | None = None,
    on_batch: Callable[[DeliveryReport], None] | None = None,
    on_full_batch: Callable[[int], None] | None = None,
) -> DeliveryReport:
    """Send this connection's due statements now, batch after batch, until none is due.

    Stops early at ``limit`` rows, after ``time_budget`` seconds, when the connection fails or
    is backing off (one probe per ``retry_at``), or when it is disabled. ``on_batch`` is called
    after each batch (progress bars); ``on_full_batch`` after a full batch is claimed (the task
    uses it to let another worker help with a backlog).
    """
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    report = DeliveryReport(connection_id)
    batch_size = max(1, int(get_setting("XAPI_BATCH_SIZE")))
    deadline = time.monotonic() + time_budget if time_budget else None
    while True:
        if limit is not None and report.attempted >= limit:
            report.stopped = "limit"
            break
        if deadline is not None and time.monotonic() > deadline:
            report.stopped = "time budget"
            break
        connection = LRSConnection.objects.filter(pk=connection_id).first()
        if connection is None or not connection.enabled:
            report.stopped = "disabled" if connection else "no such connection"
            break
        now = timezone.now()
        probing = status.is_failing(connection)
        if probing and not status.take_probe(connection, now):
            report.stopped = "backing off"
            break
        size = batch_size if limit is None else min(batch_size, limit - report.attempted)
        states = (OutboxState.PENDING, OutboxState.HELD) if probing else (OutboxState.PENDING,)
        rows = claim_batch(connection_id, size, states=states, now=now)
        client = LRSClient(connection)
        if not rows and not probing:
            report.stopped = "done"
            break
        if len(rows) == size and on_full_batch is not None and report.batches == 0:
            on_full_batch(connection_id)
        result = _probe_without_rows(client) if not rows else None
        if result is None:
            result = send_with_bisection(client.post_statements, rows)
        counts = record_result(connection_id, result)
        report.batches += 1
        report.requests += result.requests
        for name in ("delivered", "rejected", "retried", "held", "expired"):
            setattr(report, name, getattr(report, name) + counts[name])
        if on_batch is not None:
            on_batch(report)
        if counts["failed"]:
            alerts.notify_failure(connection_id)
            report.stopped = "failing"
            break
        if counts["recovered"]:
            log.info("LRS connection %s works again", connection_id)
        if not rows:
            report.stopped = "done"
            break
    if report.stopped == "done":
        alerts.notify_recovery_if_drained(connection_id)
    return report
