"""Claiming due outbox rows so that many workers never send the same row at the same time.

A claim is a lease: inside one short transaction the due rows are locked
(``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it, as MySQL 8 and MariaDB 10.6+
do), then pushed ``lease`` seconds into the future and counted as an attempt. Other workers
skip them. A worker that dies (even by SIGKILL) simply never records an outcome: its rows
become due again when the lease ends. Sending a row twice after a lease ran out is harmless:
the LRS answers the same bytes with 200 (or 409, treated as delivered).
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import OutboxState

log = logging.getLogger(__name__)
_CLAIM_RETRIES = 5


@dataclass(frozen=True)
class ClaimedRow:
    """One row a worker holds: its primary key and the exact bytes to send."""

    pk: int
    payload: str


def lease_seconds() -> float:
    """How long a claim lasts: long enough for a batch and its splits to be sent and recorded."""
    per_request = float(get_setting("XAPI_HTTP_CONNECT_TIMEOUT")) + float(get_setting("XAPI_HTTP_READ_TIMEOUT"))
    return max(5.0, 2 * per_request)


def claim_batch(
    connection_id: int,
    size: int,
    *,
    states: tuple[str, ...] = (OutboxState.PENDING,),
    now: datetime | None = None,
) -> list[ClaimedRow]:
    """Lease up to ``size`` due rows of one connection (oldest first); returns them, possibly none."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    now = now or timezone.now()
    lease_until = now + timedelta(seconds=lease_seconds())
    for attempt in range(_CLAIM_RETRIES):
        try:
            with transaction.atomic():
                due = OutboxStatement.objects.filter(
                    connection_id=connection_id, state__in=states, next_attempt_at__lte=now
                ).order_by("next_attempt_at", "id")
                if connection.features.has_select_for_update_skip_locked:
                    due = due.select_for_update(skip_locked=True)
                rows = list(due.values_list("id", "payload")[:size])
                if not rows:
                    return []
                # The same conditions again: on databases without row locks (SQLite) this is what
                # keeps a row from being claimed twice.
                OutboxStatement.objects.filter(
                    id__in=[pk for pk, _ in rows], state__in=states, next_attempt_at__lte=now
                ).update(next_attempt_at=lease_until, attempts=F("attempts") + 1)
            return [ClaimedRow(pk, payload) for pk, payload in rows]
        except OperationalError as error:
            # SQLite "database is locked", MySQL deadlock or lock wait timeout: try again shortly.
            if attempt == _CLAIM_RETRIES - 1:
                raise
            log.debug("claim on connection %s retried after %s", connection_id, type(error).__name__)
            time.sleep(0.05 * (attempt + 1))
    return []


def release_claims(rows: list[ClaimedRow]) -> int:
    """Give back rows claimed but never sent: due again at once, the attempt not counted."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    if not rows:
        return 0
    return OutboxStatement.objects.filter(pk__in=[row.pk for row in rows], state=OutboxState.PENDING).update(
        next_attempt_at=timezone.now(), attempts=F("attempts") - 1
    )
