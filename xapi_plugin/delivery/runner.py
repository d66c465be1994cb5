"""The delivery loop of one connection: claim due rows, send them, record what happened, repeat.

:func:`deliver_due` is synchronous; the Celery task, ``xapi_flush``, the demo and tests call it.
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.utils import timezone

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import ConnectionStatus, OutboxState
from xapi_plugin.delivery import alerts, status
from xapi_plugin.delivery.claims import claim_batch, release_claims
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


@dataclass
class _InFlight:
    """A batch whose POST runs in the sender thread while the loop prepares the next one."""

    rows: list
    connection: object
    future: Future


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

    While the connection is healthy the database work is overlapped with the HTTP request: one
    batch is posted (in a sender thread) while the previous one is recorded and the next one
    claimed; still only one request at a time. A failing connection gets one synchronous probe.
    """
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    report = DeliveryReport(connection_id)
    batch_size = max(1, int(get_setting("XAPI_BATCH_SIZE")))
    deadline = time.monotonic() + time_budget if time_budget else None
    claimed = 0
    in_flight: _InFlight | None = None

    def settle(rows, connection, result: BatchResult) -> dict:
        counts = record_result(connection_id, result, seen=connection)
        report.batches += 1
        report.requests += result.requests
        for name in ("delivered", "rejected", "retried", "held", "expired"):
            setattr(report, name, getattr(report, name) + counts[name])
        if on_batch is not None:
            on_batch(report)
        if counts["recovered"]:
            log.info("LRS connection %s works again", connection_id)
        return counts

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xapi-sender") as sender:
        while True:
            stop, rows, probing, connection = "", [], False, None
            if limit is not None and claimed >= limit:
                stop = "limit"
            elif deadline is not None and time.monotonic() > deadline:
                stop = "time budget"
            else:
                connection = LRSConnection.objects.filter(pk=connection_id).first()
                if connection is None or not connection.enabled:
                    stop = "disabled" if connection else "no such connection"
                else:
                    probing = status.is_failing(connection)
                    now = timezone.now()
                    if probing and (in_flight is not None or not status.take_probe(connection, now)):
                        stop = "backing off"  # another worker saw a failure, or another probe runs
                    else:
                        size = batch_size if limit is None else min(batch_size, limit - claimed)
                        states = (OutboxState.PENDING, OutboxState.HELD) if probing else (OutboxState.PENDING,)
                        rows = claim_batch(connection_id, size, states=states, now=now)
                        claimed += len(rows)
                        if not rows and not probing:
                            stop = "done"
                        elif len(rows) == size and on_full_batch is not None and report.batches == 0:
                            on_full_batch(connection_id)
            if in_flight is not None:
                previous, in_flight = in_flight, None
                result = previous.future.result()
                if result.failure is None and not stop and not probing:
                    # The next batch goes out at once; the previous one is recorded meanwhile.
                    future = sender.submit(send_with_bisection, LRSClient(connection).post_statements, rows)
                    in_flight = _InFlight(rows, connection, future)
                counts = settle(previous.rows, previous.connection, result)
                if in_flight is not None:
                    continue
                if counts["failed"]:
                    release_claims(rows)  # claimed for the next round, never sent
                    alerts.notify_failure(connection_id)
                    report.stopped = "failing"
                    break
            if stop:
                report.stopped = stop
                break
            client = LRSClient(connection)
            if not probing:
                future = sender.submit(send_with_bisection, client.post_statements, rows)
                in_flight = _InFlight(rows, connection, future)
                continue
            result = send_with_bisection(client.post_statements, rows) if rows else _probe_without_rows(client)
            counts = settle(rows, connection, result)
            if counts["failed"]:
                alerts.notify_failure(connection_id)
                report.stopped = "failing"
                break
            if not rows:
                report.stopped = "done"
                break
    if report.stopped == "done":
        alerts.notify_recovery_if_drained(connection_id)
    return report
