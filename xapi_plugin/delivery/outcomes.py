"""Sending one claimed batch and writing down what the LRS said about each row.

:func:`send_with_bisection` is free of database access (it takes the posting function), so the
splitting rules are tested on their own: a batch answered 400/413/422 or 409 is split in
halves until every bad statement stands alone; a lone bad statement is rejected with the LRS's
message, a lone 409 counts as delivered (the id is already there). The first transient or
configuration failure stops the batch: what was not sent yet is recorded with that answer.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import OutboxState
from xapi_plugin.delivery import status
from xapi_plugin.delivery.claims import ClaimedRow
from xapi_plugin.delivery.lrs_client import Answer, Outcome

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    """What happened to each row of a batch."""

    delivered: list[ClaimedRow] = field(default_factory=list)
    conflicts: list[ClaimedRow] = field(default_factory=list)  # 409 alone: already in the LRS
    rejected: list[tuple[ClaimedRow, Answer]] = field(default_factory=list)
    unsent: list[ClaimedRow] = field(default_factory=list)
    failure: Answer | None = None
    requests: int = 0
    lrs_answered: bool = False  # at least one answer came from a working LRS


def send_with_bisection(post: Callable[[list[str]], Answer], rows: list[ClaimedRow]) -> BatchResult:
    """POST ``rows`` as one batch, splitting on 400/413/422/409 to isolate the statements at fault."""
    result = BatchResult()
    stack = [rows] if rows else []
    while stack:
        part = stack.pop()
        if result.failure is not None:
            result.unsent.extend(part)
            continue
        answer = post([row.payload for row in part])
        result.requests += 1
        if answer.outcome is Outcome.DELIVERED:
            result.delivered.extend(part)
            result.lrs_answered = True
        elif answer.outcome in (Outcome.BAD_REQUEST, Outcome.CONFLICT):
            result.lrs_answered = True
            if len(part) == 1:
                if answer.outcome is Outcome.CONFLICT:
                    result.conflicts.append(part[0])
                else:
                    result.rejected.append((part[0], answer))
            else:
                middle = len(part) // 2
                stack.append(part[middle:])  # the first half is sent first
                stack.append(part[:middle])
        else:
            result.failure = answer
            result.unsent.extend(part)
    return result


def _pks(rows: list[ClaimedRow]) -> list[int]:
    return [row.pk for row in rows]


def record_result(connection_id: int, result: BatchResult, seen=None) -> dict:
    """Write row states and the connection's status for one batch; returns counts and flags.

    Keys: delivered, rejected, retried, held, expired (row counts), recovered, failed (bools).
    """
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    now = timezone.now()
    still_ours = Q(state__in=[OutboxState.PENDING, OutboxState.HELD])
    counts = {"delivered": 0, "rejected": 0, "retried": 0, "held": 0, "expired": 0, "recovered": False}
    if result.delivered:
        counts["delivered"] += OutboxStatement.objects.filter(still_ours, pk__in=_pks(result.delivered)).update(
            state=OutboxState.DELIVERED, delivered_at=now, last_status_code=200, last_answer=""
        )
    if result.conflicts:
        for row in result.conflicts:
            log.info("outbox row %s: the LRS already has this statement id (409), counted as delivered", row.pk)
        counts["delivered"] += OutboxStatement.objects.filter(still_ours, pk__in=_pks(result.conflicts)).update(
            state=OutboxState.DELIVERED,
            delivered_at=now,
            last_status_code=409,
            last_answer="409: the LRS already had this statement id; counted as delivered",
        )
    for row, answer in result.rejected:
        log.warning("outbox row %s rejected by the LRS (HTTP %s)", row.pk, answer.status_code)
        counts["rejected"] += OutboxStatement.objects.filter(still_ours, pk=row.pk).update(
            state=OutboxState.REJECTED, last_status_code=answer.status_code, last_answer=answer.detail
        )
    if result.failure is None:
        if result.lrs_answered:
            counts["recovered"] = status.record_success(connection_id, _success_detail(counts), seen=seen)
        counts["failed"] = False
        return counts

    answer = result.failure
    counts["failed"] = True
    status.record_failure(connection_id, answer)
    unsent = OutboxStatement.objects.filter(still_ours, pk__in=_pks(result.unsent))
    fields = {"last_status_code": answer.status_code, "last_answer": answer.detail, "next_attempt_at": now}
    if answer.outcome is Outcome.HOLD:
        counts["held"] = unsent.update(state=OutboxState.HELD, **fields)
        # The whole queue of this connection waits for the operator (or a successful probe).
        counts["held"] += OutboxStatement.objects.filter(connection_id=connection_id, state=OutboxState.PENDING).update(
            state=OutboxState.HELD
        )
    else:
        counts["retried"] = unsent.update(**fields)
        counts["expired"] = expire_overdue(connection_id)
    return counts


def _success_detail(counts: dict) -> str:
    detail = f"delivered {counts['delivered']}"
    if counts["rejected"]:
        detail += f", rejected {counts['rejected']}"
    return detail


def expire_overdue(connection_id: int | None = None) -> int:
    """Keep as expired the pending rows that failed and are older than ``XAPI_RETRY_WINDOW``."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    cutoff = timezone.now() - timedelta(seconds=float(get_setting("XAPI_RETRY_WINDOW")))
    overdue = OutboxStatement.objects.filter(state=OutboxState.PENDING, attempts__gt=0, created__lte=cutoff)
    if connection_id is not None:
        overdue = overdue.filter(connection_id=connection_id)
    expired = overdue.update(state=OutboxState.EXPIRED)
    if expired:
        log.warning("%s outbox rows expired after the retry window (connection %s)", expired, connection_id or "any")
    return expired
