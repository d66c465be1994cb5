"""The outbox: statements written in the caller's transaction, delivered after commit.

Producers call :func:`enqueue_statements`; delivery claims the rows later. Each statement is
serialised here, once, to the exact bytes every attempt will send.
"""

import json
import logging

from django.db import transaction
from django.utils import timezone

from xapi_plugin.statements.vocabulary import VERB_DISPLAY

log = logging.getLogger(__name__)


def serialise_statement(statement: dict) -> str:
    """The bytes sent to the LRS: compact JSON, UTF-8 kept as is."""
    return json.dumps(statement, separators=(",", ":"), ensure_ascii=False)


def enqueue_statements(statements: list[dict], *, connection_id: int, course_key: str, user_id: int | None) -> int:
    """Store statements for delivery; returns how many were new.

    A statement whose id is already in this connection's outbox is skipped (replaying an event
    queues nothing new). The delivery task is queued when the surrounding transaction commits.
    """
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    if not statements:
        return 0
    now = timezone.now()
    ids = [statement["id"] for statement in statements]
    existing = {
        str(value)
        for value in OutboxStatement.objects.filter(connection_id=connection_id, statement_id__in=ids).values_list(
            "statement_id", flat=True
        )
    }
    rows = []
    seen = set(existing)
    for statement in statements:
        if statement["id"] in seen:
            continue
        seen.add(statement["id"])
        rows.append(
            OutboxStatement(
                connection_id=connection_id,
                course_key=str(course_key),
                user_id=user_id,
                statement_id=statement["id"],
                verb=VERB_DISPLAY.get(statement["verb"]["id"], "")[:64],
                payload=serialise_statement(statement),
                next_attempt_at=now,
            )
        )
    if not rows:
        return 0
    with transaction.atomic():
        # ignore_conflicts: a concurrent writer of the same id wins, ours is a duplicate anyway.
        OutboxStatement.objects.bulk_create(rows, ignore_conflicts=True)
        transaction.on_commit(lambda: _schedule_delivery(connection_id))
    return len(rows)


def _schedule_delivery(connection_id: int) -> None:
    """Queue the delivery task; if the broker is down the periodic sweep picks the rows up."""
    from xapi_plugin.delivery.tasks import schedule_delivery  # noqa: PLC0415

    try:
        schedule_delivery(connection_id)
    except Exception:  # noqa: BLE001 - never fail the learner's request over the broker
        log.warning("could not queue delivery for LRS connection %s; the sweep will retry", connection_id)
