"""The outbox write: exact bytes once, duplicates refused, delivery queued only on commit."""

import json

import pytest
from django.db import transaction

from xapi_plugin.delivery import outbox
from xapi_plugin.models import OutboxStatement
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.ids import statement_id


def _statement(n: int, name: str = "Cours") -> dict:
    return {
        "id": statement_id("test", n),
        "actor": {"objectType": "Agent", "mbox": "mailto:a@example.com"},
        "verb": {"id": v.VERB_REGISTERED, "display": {"en-US": "registered"}},
        "object": {"objectType": "Activity", "id": "http://lms.test/courses/x", "definition": {"name": {"fr": name}}},
    }


@pytest.mark.django_db(transaction=True)
def test_rows_hold_exact_bytes_and_duplicates_are_skipped(make_connection, monkeypatch):
    scheduled = []
    monkeypatch.setattr(outbox, "_schedule_delivery", scheduled.append)
    connection = make_connection()
    statements = [_statement(1, "Écoute"), _statement(2)]
    with transaction.atomic():
        assert outbox.enqueue_statements(statements, connection_id=connection.pk, course_key="c", user_id=5) == 2
        assert scheduled == []  # not before commit
    assert scheduled == [connection.pk]
    rows = {str(row.statement_id): row for row in OutboxStatement.objects.all()}
    assert json.loads(rows[statements[0]["id"]].payload) == statements[0]
    assert "\\u00c9coute" in rows[statements[0]["id"]].payload  # ASCII bytes in any database charset
    assert rows[statements[0]["id"]].verb == "registered"
    assert rows[statements[0]["id"]].user_id == 5
    # Replaying the same statements, or a batch repeating an id, queues nothing new.
    assert (
        outbox.enqueue_statements(statements + [statements[0]], connection_id=connection.pk, course_key="c", user_id=5)
        == 0
    )
    assert OutboxStatement.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_leaves_nothing_and_queues_nothing(make_connection, monkeypatch):
    scheduled = []
    monkeypatch.setattr(outbox, "_schedule_delivery", scheduled.append)
    connection = make_connection()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox.enqueue_statements([_statement(3)], connection_id=connection.pk, course_key="c", user_id=None)
            raise RuntimeError("the learner's request failed")
    assert not OutboxStatement.objects.exists()
    assert scheduled == []


def test_a_down_broker_is_tried_once_per_interval_and_never_raises(monkeypatch, caplog):
    """The learner's request pays one quick publish attempt, not one per statement."""
    from kombu.exceptions import OperationalError  # noqa: PLC0415

    from xapi_plugin.delivery import tasks  # noqa: PLC0415

    calls = []

    def refuse(*args, **kwargs):
        calls.append(kwargs)
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.deliver_connection, "apply_async", refuse)
    outbox._schedule_delivery(7)
    outbox._schedule_delivery(7)
    assert len(calls) == 1
    assert calls[0]["retry_policy"] == {"max_retries": 0}
    assert "the sweep will retry" in caplog.text
