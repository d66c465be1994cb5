"""Shared plumbing of the course receivers: where a course statement goes, who it is about, what was sent.

``xapi_plugin.course.events`` (openedx-events) and ``xapi_plugin.course.progress`` (block completion)
both turn a platform signal into course statements the same way:

1. :func:`statement_target` reads the course's settings and says whether course statements are
   sent at all (logging and counting the event when not);
2. :func:`locked_state` locks the learner's :class:`~xapi_plugin.models.LearnerCourseState`
   row, which records what was last reported, so repeated signals send nothing new;
3. :func:`course_basis` builds what every statement of the learner and event shares (actor,
   registration, course name and language from the cached outline);
4. :func:`enqueue` hands the statements to routing (every LRS that gets them), in the same
   transaction as the state.
"""

import json
import logging
from datetime import datetime
from functools import lru_cache

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from xapi_plugin import platform
from xapi_plugin.core import metrics
from xapi_plugin.core.conf import lms_root_url
from xapi_plugin.core.constants import StatementFamily
from xapi_plugin.privacy import get_learner_identity
from xapi_plugin.routing import course_receives, queue_statements, routing_settings
from xapi_plugin.statements import language_tag
from xapi_plugin.statements.course import CourseBasis
from xapi_plugin.studio import CourseXapiSettings, get_course_settings

log = logging.getLogger(__name__)


def statement_target(course_key: str, event_name: str, event_id: str) -> CourseXapiSettings | None:
    """The course's settings when some LRS gets its course statements (its own, or an operator's
    organisation- or site-wide one); otherwise None, logged and counted as skipped.

    A course without settings of its own gets inactive ones (see ``routing.routing_settings``).
    """
    own = get_course_settings(course_key)
    settings = routing_settings(course_key, own)
    if not course_receives(course_key, StatementFamily.COURSE, settings):
        metrics.increment(metrics.SKIPPED_EVENTS)
        reason = "has no xAPI settings" if own is None else "does not send course statements"
        log.info("xapi: skipped %s %s: course %s %s", event_name, event_id, course_key, reason)
        return None
    return settings


# The state row is read and written on every course signal, so these two statements are written
# out once per database and field list instead of being compiled by the ORM each time (the ORM
# spends ~10x the database's time on them). Creation, which happens once, goes through the ORM.
_JSON_FIELDS = frozenset({"progress", "completed"})
_BOOLEAN_FIELDS = frozenset({"enrolled", "passing"})


def _state_model():
    from xapi_plugin.models import LearnerCourseState  # noqa: PLC0415

    return LearnerCourseState


def _database():
    return connections[router.db_for_write(_state_model())]


@lru_cache(maxsize=64)
def _select_sql(alias: str, vendor: str, fields: tuple[str, ...]) -> str:
    # ``vendor`` keys the cache too: an alias may be pointed at another database (tests do).
    database, meta = connections[alias], _state_model()._meta
    quote = database.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("id", *fields))
    lock = " FOR UPDATE" if database.features.has_select_for_update else ""
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} "
        f"WHERE {quote('user_id')} = %s AND {quote('course_key')} = %s{lock}"
    )


@lru_cache(maxsize=64)
def _update_sql(alias: str, vendor: str, fields: tuple[str, ...]) -> str:
    database, meta = connections[alias], _state_model()._meta
    quote = database.ops.quote_name
    assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in ("modified", *fields))
    return f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"


def _from_db(name: str, value):
    if value is None:
        return None
    if name in _JSON_FIELDS:
        return json.loads(value) if isinstance(value, str | bytes) else value
    if name in _BOOLEAN_FIELDS:
        return bool(value)
    return value


def _to_db(name: str, value):
    return json.dumps(value) if name in _JSON_FIELDS and value is not None else value


class LockedState:
    """Some fields of a learner's state row, read under its lock; :meth:`save` writes changes back."""

    def __init__(self, pk: int, values: dict):
        self.pk = pk
        self.__dict__.update(values)

    def save(self, **values) -> None:
        database = _database()
        names = tuple(values)
        modified = database.ops.adapt_datetimefield_value(timezone.now())
        params = [modified, *(_to_db(name, values[name]) for name in names), self.pk]
        with database.cursor() as cursor:
            cursor.execute(_update_sql(database.alias, database.vendor, names), params)
        self.__dict__.update(values)


def locked_state(user_id: int, course_key: str, *fields: str) -> LockedState:
    """``fields`` of the learner's state row in the course, created if missing and locked until the
    transaction ends.

    Call inside ``transaction.atomic()``: the lock serialises concurrent signals for one learner
    and course (SQLite has no row locks; its writes are serialised anyway).
    """
    database = _database()
    sql = _select_sql(database.alias, database.vendor, fields)
    with database.cursor() as cursor:
        cursor.execute(sql, [user_id, course_key])
        row = cursor.fetchone()
        if row is None:
            model = _state_model()
            try:
                with transaction.atomic(using=database.alias):
                    created = model.objects.using(database.alias).create(user_id=user_id, course_key=course_key)
                return LockedState(created.pk, {name: getattr(created, name) for name in fields})
            except IntegrityError:  # created concurrently: use that one (now locked by us)
                cursor.execute(sql, [user_id, course_key])
                row = cursor.fetchone()
    pk, *values = row
    return LockedState(pk, {name: _from_db(name, value) for name, value in zip(fields, values, strict=True)})


def course_basis(
    settings: CourseXapiSettings,
    *,
    user_id: int,
    course_key: str,
    timestamp: datetime | str,
    source_event_id: str,
    email: str | None = None,
    course_name: str | None = None,
    outline=None,
    master_course_key: str | None = None,
) -> CourseBasis:
    """What every statement about this learner, course and event shares.

    The course's display name and language come from its outline (cached per version); the
    event's own display name is the fallback for courses the platform cannot outline.
    """
    if outline is None:
        outline = platform.get_course_outline(course_key)
    identity = get_learner_identity(user_id, course_key, settings, email=email)
    return CourseBasis(
        actor=identity.agent,
        registration=identity.registration,
        course_key=course_key,
        course_name=(outline.display_name if outline else None) or course_name or None,
        root_url=lms_root_url(),
        language=language_tag(outline.language if outline else None),
        timestamp=timestamp,
        source_event_id=source_event_id,
        master_course_key=master_course_key,
        learning_paths=tuple(
            (path.key, path.display_name or None) for path in platform.learner_paths_with_course(user_id, course_key)
        ),
    )


def enqueue(statements: list[dict], settings: CourseXapiSettings, course_key: str, user_id: int) -> int:
    """Queue the statements to every LRS that gets the course's statements; returns how many rows were new."""
    return queue_statements(
        statements, course_key=course_key, user_id=user_id, family=StatementFamily.COURSE, settings=settings
    )
