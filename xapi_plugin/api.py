"""The public Python API for other plugins (SCORM, cmi5, AI XBlocks...): send xAPI statements
through this plugin's pipeline, with the same guarantees as its own statements.

    from xapi_plugin.api import InvalidStatement, send_statement

    send_statement(course_key, statement, user_id=request.user.id, source="my_scorm_plugin",
                   source_event_id=attempt.uuid)

A statement is checked (xAPI 1.0.3), completed (id, timestamp; the learner's actor in the
course's actor mode when ``user_id`` is given), passed through the operator's
``org.openedx.learning.xapi.statement.queued.v1`` filter and queued, in the caller's database
transaction, to every LRS connection of the course (its own and the operators' organisation-
and site-wide ones), each with its own outbox row, retries and alerts. See ``docs/api.md``.
"""

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.db import transaction
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from xapi_plugin.core.constants import StatementFamily
from xapi_plugin.privacy import LearnerRetired, get_learner_identity
from xapi_plugin.routing import queue_statements, routing_settings
from xapi_plugin.statements import deterministic_uuid, statement_problems
from xapi_plugin.studio import get_course_settings

__all__ = ["InvalidStatement", "send_statement", "send_statements"]

_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_RESERVED_SOURCES = {family for family, _label in StatementFamily.CHOICES}


class InvalidStatement(ValueError):
    """A statement (or call) the API refused; ``problems`` says what to fix, one sentence each."""

    def __init__(self, problems: Sequence[str], index: int | None = None):
        self.problems = list(problems)
        self.index = index
        where = f"statement {index}: " if index is not None else ""
        super().__init__(where + " ".join(self.problems))


def _course_key(course_key) -> str:
    try:
        return str(CourseKey.from_string(str(course_key)))
    except InvalidKeyError as exc:
        raise InvalidStatement([f"{str(course_key)[:80]!r} is not a course key."]) from exc


def _check_source(source) -> str:
    if not isinstance(source, str) or not _SOURCE.match(source):
        raise InvalidStatement(
            ["source must name your plugin in lower case (letters, digits, _ . -, at most 64), e.g. 'scorm'."]
        )
    if source in _RESERVED_SOURCES:
        raise InvalidStatement([f"source {source!r} is reserved for this plugin's own statements."])
    return source


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _prepared(statement, *, index, course_key, source, source_event_id, actor, timestamp) -> dict:
    try:
        # A copy the caller cannot change under us, and proof it is plain JSON.
        copy = json.loads(json.dumps(statement))
    except (TypeError, ValueError) as exc:
        raise InvalidStatement([f"the statement is not plain JSON data ({exc})."], index) from exc
    if not isinstance(copy, dict):
        raise InvalidStatement(["a statement must be a JSON object (a dict)."], index)
    if actor is not None:
        copy["actor"] = actor
    if "id" not in copy:
        copy["id"] = (
            deterministic_uuid("api", source, course_key, source_event_id)
            if source_event_id is not None
            else str(uuid.uuid4())
        )
    copy.setdefault("timestamp", timestamp)
    problems = statement_problems(copy)
    if problems:
        raise InvalidStatement(problems, index)
    copy["id"] = copy["id"].lower()
    return copy


def send_statements(
    course_key,
    statements: Iterable[dict],
    *,
    user_id: int | None = None,
    source: str,
    source_event_ids: Sequence[str] | None = None,
) -> list[str]:
    """Queue several statements of one course (and learner); all or none. Returns their ids, in order.

    ``source`` names the calling plugin (kept on each outbox row; operators filter by it).
    ``source_event_ids`` (one per statement) make the ids assigned to statements without one
    deterministic, so sending the same event again queues nothing new. With ``user_id``, each
    statement's actor is replaced by the learner's agent in the course's actor mode (and by the
    connection's own mode for connections that set one). A retired learner: nothing is queued,
    ``[]`` is returned. Raises :class:`InvalidStatement` before queuing anything if one is invalid.
    """
    course_key = _course_key(course_key)
    source = _check_source(source)
    statements = list(statements)
    if source_event_ids is not None and len(source_event_ids) != len(statements):
        raise InvalidStatement(["source_event_ids must have one entry per statement."])
    settings = routing_settings(course_key, get_course_settings(course_key))
    actor = None
    if user_id is not None:
        try:
            actor = get_learner_identity(int(user_id), course_key, settings).agent
        except LearnerRetired:
            return []
    timestamp = _now()
    prepared = [
        _prepared(
            statement,
            index=index,
            course_key=course_key,
            source=source,
            source_event_id=None if source_event_ids is None else str(source_event_ids[index]),
            actor=actor,
            timestamp=timestamp,
        )
        for index, statement in enumerate(statements)
    ]
    ids = [statement["id"] for statement in prepared]
    if len(set(ids)) != len(ids):
        raise InvalidStatement(["two statements of the batch have the same id."])
    with transaction.atomic():
        queue_statements(
            prepared,
            course_key=course_key,
            user_id=None if user_id is None else int(user_id),
            family=StatementFamily.OTHER,
            settings=settings,
            source=source,
        )
    return ids


def send_statement(
    course_key, statement: dict, *, user_id: int | None = None, source: str, source_event_id: str | None = None
) -> str:
    """Queue one statement to every LRS connection of the course; returns its id. See :func:`send_statements`."""
    ids = send_statements(
        course_key,
        [statement],
        user_id=user_id,
        source=source,
        source_event_ids=None if source_event_id is None else [source_event_id],
    )
    return ids[0] if ids else ""
