"""The outbox: statements written in the caller's transaction, delivered after commit.

Producers call :func:`enqueue_statements`; delivery claims the rows later. Each statement is
serialised here, once, to the exact bytes every attempt will send.
"""

import json
import logging
import uuid
from functools import lru_cache

from django.db import IntegrityError, connections, router, transaction
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
    return _ENCODER.encode(statement)


# What json.dumps(statement, separators=(",", ":"), ensure_ascii=True) builds on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


# Columns written for a new row (the others are nullable or filled later by delivery).
_COLUMNS = (
    "connection_id",
    "course_key",
    "user_id",
    "statement_id",
    "verb",
    "source",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "created",
    "last_answer",
)


@lru_cache(maxsize=32)
def _plain_insert_sql(alias: str, rows: int) -> str:
    """MySQL: the INSERT of :func:`_insert_sql` without its duplicate clause (fails on a duplicate)."""
    return _insert_sql(alias, "mysql", rows).split(" ON DUPLICATE KEY UPDATE ", 1)[0]


# MySQL's error for a duplicate key; InnoDB then undoes only the failed statement, not the transaction.
_DUPLICATE_KEY = 1062


@lru_cache(maxsize=32)
def _insert_sql(alias: str, vendor: str, rows: int) -> str:
    """An INSERT of ``rows`` rows that skips only a duplicate (connection, statement id), in the
    database's own dialect (cached: this runs per event).

    Not ``INSERT IGNORE`` (MySQL) or ``INSERT OR IGNORE`` (SQLite): those also turn a foreign-key,
    NOT NULL or truncation error into a warning, and the statement would vanish without a trace.
    ``vendor`` is part of the cache key: an alias may be pointed at another database (tests do).
    """
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    database = connections[alias]
    quote = database.ops.quote_name
    meta = OutboxStatement._meta
    fields = [meta.get_field(name.removesuffix("_id") if name == "connection_id" else name) for name in _COLUMNS]
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}"
    if vendor == "mysql":
        # A no-op update: only the duplicate-key case is absorbed.
        return f"{insert} ON DUPLICATE KEY UPDATE {quote(meta.pk.column)} = {quote(meta.pk.column)}"
    if vendor in ("sqlite", "postgresql"):
        unique = ", ".join(quote(meta.get_field(name).column) for name in _UNIQUE)
        return f"{insert} ON CONFLICT ({unique}) DO NOTHING"
    suffix = database.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    return f"{database.ops.insert_statement(on_conflict=OnConflict.IGNORE)} {insert[len('INSERT INTO ') :]}{suffix}"


# The unique constraint a duplicate hits (models.OutboxStatement: xapi_outbox_connection_statement).
_UNIQUE = ("connection", "statement_id")


def _count_new_rows(cursor, database, connection_id: int, statement_ids: list, created) -> int:
    """Rows this INSERT created (MySQL: Django's FOUND_ROWS flag counts a skipped duplicate as 1)."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    quote = database.ops.quote_name
    meta = OutboxStatement._meta
    marks = ", ".join(["%s"] * len(statement_ids))
    column = {name: quote(meta.get_field(name).column) for name in ("connection", "statement_id", "created")}
    cursor.execute(
        f"SELECT COUNT(*) FROM {quote(meta.db_table)} WHERE {column['connection']} = %s "
        f"AND {column['statement_id']} IN ({marks}) AND {column['created']} = %s",
        [connection_id, *statement_ids, created],
    )
    return cursor.fetchone()[0]


def enqueue_statements(
    statements: list[dict], *, connection_id: int, course_key: str, user_id: int | None, source: str = ""
) -> int:
    """Store statements for delivery; returns how many were new.

    A statement whose id is already in this connection's outbox is skipped (replaying an event
    queues nothing new): one INSERT that absorbs only a duplicate of the unique (connection,
    statement id) constraint, no read first; any other database error raises. ``source`` is
    recorded on each row (``course``, ``video`` or the plugin that sent it). Producers go through
    ``xapi_plugin.routing.queue_statements``, which calls this once per connection. The delivery
    task is queued when the surrounding transaction commits (at once in autocommit).
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
    db_ids: list = []
    for statement in statements:
        if statement["id"] in seen:
            continue
        seen.add(statement["id"])
        db_ids.append(id_field.get_db_prep_value(uuid.UUID(statement["id"]), database))
        params += [
            connection_id,
            str(course_key),
            user_id,
            db_ids[-1],
            _short_verb(statement["verb"]["id"]),
            source[:64],
            serialise_statement(statement),
            OutboxState.PENDING,
            0,
            now,
            now,
            "",
        ]
    with database.cursor() as cursor:
        if database.vendor == "mysql":
            # Django's FOUND_ROWS flag makes ON DUPLICATE KEY UPDATE count a skipped duplicate as
            # a new row: first a plain INSERT (all new in the usual case: its rowcount is exact, no
            # count query); only when it hits a duplicate, the duplicate-absorbing INSERT and a count.
            try:
                cursor.execute(_plain_insert_sql(alias, len(seen)), params)
                inserted = cursor.rowcount
            except IntegrityError as exc:
                if not exc.args or exc.args[0] != _DUPLICATE_KEY:
                    raise
                cursor.execute(_insert_sql(alias, database.vendor, len(seen)), params)
                inserted = _count_new_rows(cursor, database, connection_id, db_ids, now)
        else:
            cursor.execute(_insert_sql(alias, database.vendor, len(seen)), params)
            inserted = cursor.rowcount
    if inserted:
        transaction.on_commit(lambda: _schedule_delivery(connection_id), using=alias)
    return max(inserted, 0)


def _short_verb(verb_id: str) -> str:
    """The verb's short name for counts: ours from the vocabulary, another plugin's from its IRI's end."""
    return (VERB_DISPLAY.get(verb_id) or verb_id.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1])[:64]


def _schedule_delivery(connection_id: int) -> None:
    """Queue the delivery task; if the broker is down the periodic sweep picks the rows up."""
    from xapi_plugin.delivery.tasks import schedule_delivery  # noqa: PLC0415

    try:
        schedule_delivery(connection_id)
    except Exception:  # noqa: BLE001 - never fail the learner's request over the broker
        log.warning("could not queue delivery for LRS connection %s; the sweep will retry", connection_id)
