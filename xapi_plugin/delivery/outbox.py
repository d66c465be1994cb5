"""The outbox: statements written in the caller's transaction, delivered after commit.

Producers call :func:`enqueue_statements`; delivery claims the rows later. Each statement is
serialised here, once, to the exact bytes every attempt will send.
"""

import json
import logging
import uuid
from functools import lru_cache

from django.db import connections, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from xapi_plugin.core.constants import OutboxState
from xapi_plugin.statements.vocabulary import VERB_DISPLAY

log = logging.getLogger(__name__)


def serialise_statement(statement: dict) -> str:
    """The bytes sent to the LRS: compact JSON, ASCII only (non-ASCII as ``\\u`` escapes).

    ASCII keeps the stored bytes exact in any database charset (a MySQL ``utf8`` table would
    refuse an emoji in a course name, and lose the statement); JSON readers see the same text.
    """
    return json.dumps(statement, separators=(",", ":"), ensure_ascii=True)


# Columns written for a new row (the others are nullable or filled later by delivery).
_COLUMNS = (
    "connection_id",
    "course_key",
    "user_id",
    "statement_id",
    "verb",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "created",
    "last_answer",
)


@lru_cache(maxsize=32)
def _insert_sql(alias: str, vendor: str, rows: int) -> str:
    """``INSERT ... IGNORE`` of ``rows`` rows, in the database's own dialect (cached: this runs per event).

    ``vendor`` is part of the cache key: an alias may be pointed at another database (tests do).
    """
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    database = connections[alias]
    meta = OutboxStatement._meta
    fields = [meta.get_field(name.removesuffix("_id") if name == "connection_id" else name) for name in _COLUMNS]
    columns = ", ".join(database.ops.quote_name(field.column) for field in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    insert = database.ops.insert_statement(on_conflict=OnConflict.IGNORE)
    suffix = database.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    return f"{insert} {database.ops.quote_name(meta.db_table)} ({columns}) VALUES {values}{suffix}"


def enqueue_statements(
    statements: list[dict], *, connection_id: int, course_key: str, user_id: int | None
) -> int:
    """Store statements for delivery; returns how many were new.

    A statement whose id is already in this connection's outbox is skipped (replaying an event
    queues nothing new): one ``INSERT ... IGNORE`` against the unique (connection, statement id)
    constraint, no read first. The delivery task is queued when the surrounding transaction
    commits (at once in autocommit).
    """
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    if not statements:
        return 0
    alias = router.db_for_write(OutboxStatement)
    database = connections[alias]
    id_field = OutboxStatement._meta.get_field("statement_id")
    now = database.ops.adapt_datetimefield_value(timezone.now())
    params: list = []
    seen: set[str] = set()
    for statement in statements:
        if statement["id"] in seen:
            continue
        seen.add(statement["id"])
        params += [
            connection_id,
            str(course_key),
            user_id,
            id_field.get_db_prep_value(uuid.UUID(statement["id"]), database),
            VERB_DISPLAY.get(statement["verb"]["id"], "")[:64],
            serialise_statement(statement),
            OutboxState.PENDING,
            0,
            now,
            now,
            "",
        ]
    with database.cursor() as cursor:
        cursor.execute(_insert_sql(alias, database.vendor, len(seen)), params)
        inserted = cursor.rowcount
    if inserted:
        transaction.on_commit(lambda: _schedule_delivery(connection_id), using=alias)
    return max(inserted, 0)


def _schedule_delivery(connection_id: int) -> None:
    """Queue the delivery task; if the broker is down the periodic sweep picks the rows up."""
    from xapi_plugin.delivery.tasks import schedule_delivery  # noqa: PLC0415

    try:
        schedule_delivery(connection_id)
    except Exception:  # noqa: BLE001 - never fail the learner's request over the broker
        log.warning("could not queue delivery for LRS connection %s; the sweep will retry", connection_id)
