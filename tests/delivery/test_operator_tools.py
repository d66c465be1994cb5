"""Operator tools: outbox admin and its retry action, the connection test action, xapi_flush, xapi_status,
the periodic sweep and reminders."""

import io
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from tests.delivery.conftest import assert_lrs_holds_exactly, make_statement, make_statements
from xapi_plugin.core.constants import ConnectionStatus, OutboxState
from xapi_plugin.delivery import deliver_due, tasks
from xapi_plugin.management.commands.xapi_flush import progress_bar
from xapi_plugin.models import LRSConnection, OutboxStatement

pytestmark = pytest.mark.django_db
FAST = {"XAPI_RETRY_BASE_DELAY": 0.2, "XAPI_RETRY_MAX_DELAY": 1.0, "XAPI_HTTP_READ_TIMEOUT": 2.0}


@pytest.fixture
def admin_client_logged_in(client):
    client.force_login(get_user_model().objects.create_superuser("op", "op@example.com", "pw"))
    return client


@pytest.mark.integration
@override_settings(**FAST)
def test_outbox_admin_counts_answers_and_retry(admin_client_logged_in, make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(6)
    proxy.bad_ids = {statements[2]["id"]}
    enqueue(connection, statements)
    deliver_due(connection.pk)

    page = admin_client_logged_in.get("/admin/xapi_plugin/outboxstatement/").content.decode()
    assert "Delivered (5)" in page and "Rejected by the LRS (1)" in page
    rejected_page = admin_client_logged_in.get("/admin/xapi_plugin/outboxstatement/?state=rejected").content.decode()
    assert statements[2]["id"] in rejected_page and statements[0]["id"] not in rejected_page
    assert "injected: statement" in rejected_page  # the LRS's answer
    assert admin_client_logged_in.get("/admin/xapi_plugin/outboxstatement/add/").status_code == 403

    proxy.bad_ids = set()  # the operator fixed the LRS side
    row = OutboxStatement.objects.get(state=OutboxState.REJECTED)
    answer = admin_client_logged_in.post(
        "/admin/xapi_plugin/outboxstatement/",
        {"action": "retry_statements", "_selected_action": [row.pk, OutboxStatement.objects.first().pk]},
        follow=True,
    )
    assert "1 statements queued for delivery again" in answer.content.decode()
    assert deliver_due(connection.pk).delivered == 1
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])


@pytest.mark.integration
@override_settings(**FAST)
def test_test_connection_action(admin_client_logged_in, make_connection, proxy):
    connection = make_connection(endpoint=proxy.endpoint, secret="very-secret-value-9")

    def run():
        return admin_client_logged_in.post(
            "/admin/xapi_plugin/lrsconnection/",
            {"action": "test_connection", "_selected_action": [connection.pk]},
            follow=True,
        ).content.decode()

    page = run()
    assert "reachable: ok" in page and "credentials: ok" in page
    proxy.require_token = True  # basic credentials are now refused with 401
    page = run()
    assert "reachable: ok" in page and "credentials: FAILED" in page and "401" in page
    proxy.go_down()
    page = run()
    assert "reachable: FAILED" in page and "credentials" not in page.split("reachable: FAILED")[1][:200]
    assert connection.secret not in page


@pytest.mark.integration
@override_settings(**FAST)
def test_xapi_flush_delivers_with_a_progress_line(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(130)
    enqueue(connection, statements)
    out = io.StringIO()
    call_command("xapi_flush", stdout=out)
    text = out.getvalue()
    assert "130 due" in text and "130/130" in text and "delivered=130" in text
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])

    enqueue(connection, make_statements(3))
    proxy.fail_status = 502
    with pytest.raises(CommandError):
        call_command("xapi_flush", "--connection", connection.name, stdout=(out := io.StringIO()))
    assert "SERVER_ERROR" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("xapi_flush", "--connection", str(connection.pk), stdout=(out := io.StringIO()))
    assert "backing off" in out.getvalue() and "--force" in out.getvalue()
    proxy.reset()
    call_command("xapi_flush", "--force", stdout=(out := io.StringIO()))
    assert "delivered=3" in out.getvalue()


def test_xapi_flush_unknown_connection():
    with pytest.raises(CommandError, match="xapi_status lists them"):
        call_command("xapi_flush", "--connection", "nope")


def test_progress_bar():
    assert progress_bar(0, 10) == "[" + "-" * 30 + "] 0/10"
    assert progress_bar(5, 10) == "[" + "#" * 15 + "-" * 15 + "] 5/10"
    assert progress_bar(12, 10).endswith("12/12")


def test_xapi_status_json_and_counters(make_connection, enqueue):
    connection = make_connection()
    enqueue(connection, make_statements(4))
    OutboxStatement.objects.filter(pk=OutboxStatement.objects.first().pk).update(state=OutboxState.REJECTED)
    OutboxStatement.objects.update(created=timezone.now() - timedelta(minutes=5))
    LRSConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.SERVER_ERROR, consecutive_failures=2, last_failure_detail="HTTP 503: busy"
    )
    out = io.StringIO()
    call_command("xapi_status", "--json", stdout=out)
    data = json.loads(out.getvalue())
    row = data["connections"][0]
    assert (row["status"], row["pending"], row["rejected"], row["detail"]) == ("SERVER_ERROR", 3, 1, "HTTP 503: busy")
    assert 290 <= row["oldest_pending_age_seconds"] <= 330
    assert set(data["counters"]) >= {"events_skipped", "events_failed"}
    call_command("xapi_status", stdout=(out := io.StringIO()))
    assert "oldest pending: 5m" in out.getvalue() and "counters: events_skipped=" in out.getvalue()


def test_sweep_queues_due_connections_and_failing_ones_only_when_their_probe_is_due(make_connection, enqueue):
    idle = make_connection(name="idle")
    busy = make_connection(name="busy")
    waiting = make_connection(name="backing off")
    probe = make_connection(name="probe due")
    for connection in (busy, waiting, probe):
        enqueue(connection, [make_statement()])
    LRSConnection.objects.filter(pk=waiting.pk).update(
        consecutive_failures=1, retry_at=timezone.now() + timedelta(hours=1)
    )
    LRSConnection.objects.filter(pk=probe.pk).update(consecutive_failures=3, retry_at=timezone.now())
    with mock.patch.object(tasks, "schedule_delivery") as schedule:
        result = tasks.sweep_now()
    assert sorted(call.args[0] for call in schedule.call_args_list) == sorted([busy.pk, probe.pk])
    assert idle.pk not in result["queued"]


@override_settings(XAPI_ALERT_REMINDER_INTERVAL=3600)
def test_reminder_at_most_once_per_interval(make_connection):
    connection = make_connection()
    LRSConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.CANT_CONNECT,
        alerted_status=ConnectionStatus.CANT_CONNECT,
        consecutive_failures=9,
        last_alert_at=timezone.now() - timedelta(hours=2),
    )
    with mock.patch.object(tasks, "schedule_delivery"):
        assert tasks.sweep_now()["reminders"] == 1
        assert tasks.sweep_now()["reminders"] == 0
    assert len(mail.outbox) == 1 and "Reminder" in mail.outbox[0].subject


def test_schedule_delivery_queues_once_until_the_task_starts():
    with mock.patch.object(tasks.deliver_connection, "apply_async") as apply_async:
        tasks.schedule_delivery(5)
        tasks.schedule_delivery(5)
        tasks.schedule_delivery(6)
    assert [call.kwargs["args"] for call in apply_async.call_args_list] == [[5], [6]]
