"""The outbox write skips only a duplicate (connection, statement id): every other error raises.

MySQL's ``INSERT IGNORE`` (and SQLite's ``INSERT OR IGNORE``) would also turn a foreign-key or
truncation error into a warning, and the statement would vanish without a trace. Checked on the
real MariaDB of the deployed-like host and on SQLite.
"""

import pytest
from django.db import DataError, IntegrityError, transaction
from django.db import connection as connection_for_test

from tests.delivery.conftest import make_statement
from xapi_plugin.delivery import outbox
from xapi_plugin.models import LRSConnection, OutboxStatement


def _connection() -> LRSConnection:
    connection = LRSConnection(name="LRS", endpoint="http://127.0.0.1:9/x", contact_email="ops@example.com")
    connection.key, connection.secret = "k", "s"
    connection.save()
    return connection


def _check_constraints(no_schedule) -> None:
    connection = _connection()
    statement = make_statement()
    enqueue = outbox.enqueue_statements
    assert enqueue([statement], connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1) == 1
    # A duplicate is skipped, alone or with a new statement.
    assert enqueue([statement], connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1) == 0
    assert enqueue([statement, make_statement()], connection_id=connection.pk, course_key="c", user_id=1) == 1
    assert OutboxStatement.objects.count() == 2
    # A connection that does not exist (deleted meanwhile): the write fails loudly.
    with pytest.raises(IntegrityError), transaction.atomic():
        enqueue([make_statement()], connection_id=connection.pk + 999, course_key="c", user_id=1)
    if connection_for_test.vendor == "mysql":  # SQLite has no column lengths to truncate to
        # A course key longer than the column: refused, not truncated.
        with pytest.raises((DataError, IntegrityError)), transaction.atomic():
            enqueue([make_statement()], connection_id=connection.pk, course_key="x" * 300, user_id=1)
    assert OutboxStatement.objects.count() == 2
    # Inside a transaction (as producers write): a duplicate met halfway leaves the transaction
    # usable; what was written before it and the new rows commit together.
    first, second = make_statement(), make_statement()
    with transaction.atomic():
        assert enqueue([first], connection_id=connection.pk, course_key="c", user_id=1) == 1
        assert enqueue([first, second, statement], connection_id=connection.pk, course_key="c", user_id=1) == 1
        assert enqueue([make_statement()], connection_id=connection.pk, course_key="c", user_id=1) == 1
    assert OutboxStatement.objects.count() == 5
    assert OutboxStatement.objects.filter(statement_id__in=[first["id"], second["id"]]).count() == 2


@pytest.fixture
def no_schedule(monkeypatch):
    monkeypatch.setattr(outbox, "_schedule_delivery", lambda connection_id: None)


@pytest.mark.django_db(transaction=True)
def test_sqlite_skips_only_duplicates(no_schedule):
    _check_constraints(no_schedule)


@pytest.mark.integration
def test_mariadb_skips_only_duplicates(real_host, no_schedule):
    _check_constraints(no_schedule)
