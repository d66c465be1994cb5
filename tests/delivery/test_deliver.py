"""Delivery in this process (``deliver_due``) against a real LRS behind a fault-injecting proxy."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tests.delivery.conftest import assert_lrs_holds_exactly, make_statement, make_statements
from xapi_plugin.core.constants import AuthType, ConnectionStatus, OutboxState
from xapi_plugin.delivery import deliver_due
from xapi_plugin.models import LRSConnection, OutboxStatement

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

FAST = {
    "XAPI_RETRY_BASE_DELAY": 0.2,
    "XAPI_RETRY_MAX_DELAY": 1.0,
    "XAPI_HTTP_CONNECT_TIMEOUT": 1.0,
    "XAPI_HTTP_READ_TIMEOUT": 2.0,
    "XAPI_ALERT_ADMIN_EMAILS": ["admin@example.com"],
}


def _states(connection):
    return dict(
        (state, OutboxStatement.objects.filter(connection=connection, state=state).count())
        for state in (OutboxState.PENDING, OutboxState.DELIVERED, OutboxState.REJECTED, OutboxState.HELD,
                      OutboxState.EXPIRED)
    )  # fmt: skip


def _wait_until_retry(connection, timeout=5.0):
    connection.refresh_from_db()
    deadline = time.monotonic() + timeout
    while connection.retry_at and timezone.now() < connection.retry_at:
        assert time.monotonic() < deadline, "retry_at too far in the future"
        time.sleep(0.05)


@override_settings(**FAST)
def test_batches_arrive_once_each(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(250)
    assert enqueue(connection, statements) == 250

    report = deliver_due(connection.pk)

    assert (report.delivered, report.batches, report.stopped) == (250, 3, "done")
    assert [len(r.statement_ids) for r in proxy.statement_posts()] == [100, 100, 50]
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.OK
    assert _states(connection)[OutboxState.DELIVERED] == 250
    # Everything already delivered: a second run sends nothing.
    assert deliver_due(connection.pk).requests == 0


@override_settings(**FAST)
def test_resend_of_stored_bytes_and_conflict_count_as_delivered(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(5)
    enqueue(connection, statements)
    deliver_due(connection.pk)
    # The LRS already holds these: resending the same bytes (a lost answer) must not duplicate.
    OutboxStatement.objects.filter(connection=connection).update(
        state=OutboxState.PENDING, next_attempt_at=timezone.now()
    )
    assert deliver_due(connection.pk).delivered == 5
    # Same id, different content: 409, counted as delivered with a note.
    changed = dict(statements[0], timestamp="2026-05-02T12:00:00.000Z")
    other = make_connection(name="Same LRS again", endpoint=proxy.endpoint)
    enqueue(other, [changed, make_statement()])
    report = deliver_due(other.pk)
    assert (report.delivered, report.rejected) == (2, 0)
    row = OutboxStatement.objects.get(connection=other, statement_id=changed["id"])
    assert (row.state, row.last_status_code) == (OutboxState.DELIVERED, 409)
    assert len(fresh_lrs.statement_ids()) == 6


@override_settings(**FAST)
def test_one_bad_statement_is_rejected_the_rest_delivered(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(40)
    statements[17] = make_statement(bad=True)
    proxy.bad_ids = {statements[29]["id"]}  # a second one, refused by the proxy
    enqueue(connection, statements)

    report = deliver_due(connection.pk)

    assert (report.delivered, report.rejected) == (38, 2)
    bad = {statements[17]["id"], statements[29]["id"]}
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements if s["id"] not in bad])
    rejected = OutboxStatement.objects.get(statement_id=statements[17]["id"])
    assert (rejected.state, rejected.last_status_code) == (OutboxState.REJECTED, 400)
    assert "mbox" in rejected.last_answer  # the LRS's own message is kept
    assert "injected" in OutboxStatement.objects.get(statement_id=statements[29]["id"]).last_answer
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.OK


@override_settings(**FAST)
def test_server_errors_back_off_one_probe_then_recover_with_emails(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(30)
    enqueue(connection, statements)
    proxy.fail_status = 500

    report = deliver_due(connection.pk)

    assert (report.retried, report.stopped, report.requests) == (30, "failing", 1)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.SERVER_ERROR
    assert "500" in connection.last_failure_detail
    assert connection.retry_at > timezone.now()
    assert _states(connection)[OutboxState.PENDING] == 30
    assert len(mail.outbox) == 0, "one failure is not news yet (XAPI_ALERT_AFTER_FAILURES = 2)"

    # Before retry_at nobody sends; more new rows do not make anyone hammer the LRS.
    enqueue(connection, statements_b := make_statements(20))
    assert deliver_due(connection.pk).stopped == "backing off"
    assert len(proxy.statement_posts()) == 1

    _wait_until_retry(connection)
    report = deliver_due(connection.pk)  # the probe fails again: one request, longer backoff
    assert (report.requests, report.stopped) == (1, "failing")
    connection.refresh_from_db()
    assert connection.consecutive_failures == 2
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert set(alert.to) == {"ops@example.com", "admin@example.com"}
    assert "failing" in alert.subject and "SERVER_ERROR" in alert.body and "50 pending" in alert.body

    _wait_until_retry(connection)
    deliver_due(connection.pk)  # and once more
    assert len(mail.outbox) == 1, "same error: no second alert"

    proxy.reset()
    _wait_until_retry(connection)
    report = deliver_due(connection.pk)
    assert (report.delivered, report.stopped) == (50, "done")
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements + statements_b])
    connection.refresh_from_db()
    assert (connection.status, connection.consecutive_failures, connection.retry_at) == (ConnectionStatus.OK, 0, None)
    assert len(mail.outbox) == 2
    recovery = mail.outbox[1]
    assert "works again" in recovery.subject
    assert "Statements delivered late: 50" in recovery.body
    assert connection.alerted_status == "" and connection.failing_since is None


@override_settings(**FAST)
def test_a_lone_429_that_the_next_attempt_gets_through_sends_no_email(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(5)
    enqueue(connection, statements)
    proxy.fail_status = 429
    assert deliver_due(connection.pk).stopped == "failing"
    proxy.reset()
    _wait_until_retry(connection)
    assert deliver_due(connection.pk).delivered == 5
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.OK
    assert mail.outbox == []


@override_settings(**FAST)
def test_429_retry_after_is_honoured(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    enqueue(connection, make_statements(3))
    proxy.fail_status, proxy.retry_after = 429, "3"
    before = timezone.now()
    deliver_due(connection.pk)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.SERVER_ERROR
    assert connection.retry_at >= before + timedelta(seconds=3)


@override_settings(**FAST, XAPI_RETRY_WINDOW=1)
def test_rows_past_the_retry_window_are_kept_as_expired(make_connection, enqueue, proxy):
    connection = make_connection(endpoint=proxy.endpoint)
    enqueue(connection, make_statements(4))
    OutboxStatement.objects.update(created=timezone.now() - timedelta(seconds=5))
    proxy.fail_status = 503
    report = deliver_due(connection.pk)
    assert report.expired == 4
    assert _states(connection)[OutboxState.EXPIRED] == 4


@override_settings(**FAST)
def test_lrs_down_is_cant_connect(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(10)
    enqueue(connection, statements)
    proxy.go_down()
    deliver_due(connection.pk)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CANT_CONNECT
    assert "connection failed" in connection.last_failure_detail
    proxy.come_up()
    _wait_until_retry(connection)
    assert deliver_due(connection.pk).delivered == 10
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])


@override_settings(**FAST)
def test_oauth_token_refreshed_once_then_auth_error_holds(make_connection, enqueue, proxy, fresh_lrs):
    proxy.require_token = True
    connection = make_connection(
        endpoint=proxy.endpoint,
        auth_type=AuthType.OAUTH_CLIENT_CREDENTIALS,
        token_url=proxy.token_url,
        key=proxy.client_id,
        secret=proxy.client_secret,
    )
    first = make_statements(5)
    enqueue(connection, first)
    assert deliver_due(connection.pk).delivered == 5
    assert proxy.tokens_issued == 1

    # The LRS forgets its tokens: one 401, one refresh, and the batch goes through.
    proxy.revoke_tokens()
    second = make_statements(5)
    enqueue(connection, second)
    assert deliver_due(connection.pk).delivered == 5
    assert proxy.tokens_issued == 2

    # Now the token URL refuses the client: AUTH_ERROR, rows held (not dropped), one alert.
    proxy.revoke_tokens()
    proxy.refuse_tokens = True
    third = make_statements(5)
    enqueue(connection, third)
    report = deliver_due(connection.pk)
    assert (report.held, report.stopped) == (5, "failing")
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.AUTH_ERROR
    assert _states(connection)[OutboxState.HELD] == 5
    assert len(mail.outbox) == 1 and "AUTH_ERROR" in mail.outbox[0].body
    assert proxy.client_secret not in mail.outbox[0].body

    # Fixed on the LRS side: the next probe releases the held rows.
    proxy.refuse_tokens = False
    _wait_until_retry(connection)
    assert deliver_due(connection.pk).delivered == 5
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in first + second + third])


@override_settings(**FAST)
def test_401_with_basic_auth_and_403_hold_the_queue(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint)
    statements = make_statements(12)
    enqueue(connection, statements)
    proxy.fail_status = 403
    report = deliver_due(connection.pk)
    assert report.held == 12
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.AUTH_ERROR
    assert "permissions" in connection.last_failure_detail
    enqueue(connection, more := make_statements(3))  # arrives while held
    proxy.fail_status = 401
    _wait_until_retry(connection)
    deliver_due(connection.pk)
    assert _states(connection)[OutboxState.HELD] == 15
    assert len(mail.outbox) == 1, "still AUTH_ERROR: one alert"
    proxy.reset()
    _wait_until_retry(connection)
    assert deliver_due(connection.pk).delivered == 15
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements + more])


@override_settings(**FAST)
def test_disabled_connection_keeps_statements(make_connection, enqueue, proxy, fresh_lrs):
    connection = make_connection(endpoint=proxy.endpoint, enabled=False)
    enqueue(connection, make_statements(3))
    assert deliver_due(connection.pk).stopped == "disabled"
    assert proxy.statement_posts() == []
    LRSConnection.objects.filter(pk=connection.pk).update(enabled=True)
    assert deliver_due(connection.pk).delivered == 3
