"""Delivery by real Celery worker processes on a deployed-like host: MariaDB, Redis, a real LRS.

Faults are real: the LRS process stopped and restarted, a proxy answering 500/429/401/400, a
worker SIGKILLed mid-batch, two workers claiming at once. Every test ends by reading the LRS:
each expected statement id is there exactly once and nothing else is.
"""

import io
import re

import pytest
from django.core.management import call_command

from tests.delivery.conftest import assert_lrs_holds_exactly, make_statement, make_statements
from tests.delivery.realhost import wait_for
from xapi_plugin.core.constants import AuthType, ConnectionStatus, OutboxState
from xapi_plugin.delivery.outbox import enqueue_statements
from xapi_plugin.models import LRSConnection, OutboxStatement
from xapi_plugin.testing.local_lrs import LocalLRS

pytestmark = pytest.mark.integration


def _connection(endpoint, **fields) -> LRSConnection:
    connection = LRSConnection(name="Course LRS", endpoint=endpoint, contact_email="ops@example.com", **fields)
    connection.key = fields.pop("key", None) or "k"
    connection.secret = fields.pop("secret", None) or "s"
    connection.save()
    return connection


def _enqueue(connection, statements, chunk=100):
    """Produce statements as the LMS does: small transactions, each queuing delivery on commit."""
    for start in range(0, len(statements), chunk):
        enqueue_statements(
            statements[start : start + chunk], connection_id=connection.pk, course_key="course-v1:X+Y+Z", user_id=7
        )


def _count(connection, state) -> int:
    return OutboxStatement.objects.filter(connection=connection, state=state).count()


def _all_delivered(connection, total):
    return _count(connection, OutboxState.DELIVERED) == total


def _status(connection) -> str:
    return LRSConnection.objects.get(pk=connection.pk).status


def test_lrs_stopped_then_restarted_alert_status_and_recovery(real_host):
    lrs = LocalLRS().start()
    try:
        connection = _connection(lrs.endpoint)
        real_host.start_worker("w1", beat=True)
        lrs.stop()  # the LRS goes away (its port stays ours to reuse)
        statements = make_statements(300)
        _enqueue(connection, statements)

        wait_for(lambda: _status(connection) == ConnectionStatus.CANT_CONNECT, 20, "CANT_CONNECT")
        wait_for(lambda: len(real_host.smtp.messages) >= 1, 20, "the alert email")
        out = io.StringIO()
        call_command("xapi_status", stdout=out)
        report = out.getvalue()
        assert "Course LRS" in report and "CANT_CONNECT" in report
        assert re.search(r"pending\s*[:=]?\s*300", report), report
        assert "oldest pending" in report

        lrs = LocalLRS(port=lrs.port).start()  # back, empty
        wait_for(lambda: _all_delivered(connection, 300), 30, "the backlog to drain")
        assert_lrs_holds_exactly(lrs, [s["id"] for s in statements])
        wait_for(lambda: len(real_host.smtp.messages) >= 2, 20, "the recovery email")
        subjects = real_host.smtp.subjects()
        assert len(subjects) == 2, subjects
        assert "failing" in subjects[0] and "works again" in subjects[1]
        alert, recovery = real_host.smtp.messages
        assert set(alert["To"].replace(" ", "").split(",")) == {"ops@example.com", "admin@example.com"}
        assert "CANT_CONNECT" in alert.get_payload() and "What to check" in alert.get_payload()
        assert "Statements delivered late: 300" in recovery.get_payload()
        assert _status(connection) == ConnectionStatus.OK
    finally:
        lrs.stop()


def test_500_and_429_retry_after_through_a_worker(real_host, proxy, fresh_lrs):
    connection = _connection(proxy.endpoint)
    real_host.start_worker("w1", beat=True)
    proxy.fail_status, proxy.fail_count = 500, 3
    first = make_statements(120)
    _enqueue(connection, first)
    wait_for(lambda: _all_delivered(connection, 120), 30, "delivery after three 500s")
    failed = [r for r in proxy.statement_posts() if r.status == 500]
    assert len(failed) == 3
    # While failing, one probe at a time: failed requests never overlap and are spaced by the backoff.
    gaps = [b.at - a.at for a, b in zip(failed, failed[1:], strict=False)]
    assert all(gap >= 0.2 for gap in gaps), gaps

    proxy.clear_log()
    proxy.fail_status, proxy.fail_count, proxy.retry_after = 429, 1, "3"
    second = make_statements(40)
    _enqueue(connection, second)
    wait_for(lambda: _all_delivered(connection, 160), 30, "delivery after a 429")
    posts = proxy.statement_posts()
    assert posts[0].status == 429
    assert posts[1].at - posts[0].at >= 2.9, "Retry-After: 3 was not honoured"
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in first + second])


def test_oauth_401_refresh_once_then_auth_error(real_host, proxy, fresh_lrs):
    proxy.require_token = True
    connection = _connection(
        proxy.endpoint,
        auth_type=AuthType.OAUTH_CLIENT_CREDENTIALS,
        token_url=proxy.token_url,
        key=proxy.client_id,
        secret=proxy.client_secret,
    )
    real_host.start_worker("w1", beat=True)
    first = make_statements(60)
    _enqueue(connection, first)
    wait_for(lambda: _all_delivered(connection, 60), 20, "first delivery")
    proxy.revoke_tokens()  # the worker's cached token is now refused: one refresh, then success
    second = make_statements(10)
    _enqueue(connection, second)
    wait_for(lambda: _all_delivered(connection, 70), 20, "delivery after a token refresh")
    assert proxy.tokens_issued == 2
    assert _status(connection) == ConnectionStatus.OK

    proxy.revoke_tokens()
    proxy.refuse_tokens = True
    third = make_statements(10)
    _enqueue(connection, third)
    wait_for(lambda: _status(connection) == ConnectionStatus.AUTH_ERROR, 20, "AUTH_ERROR")
    wait_for(lambda: _count(connection, OutboxState.HELD) == 10, 10, "held rows")
    wait_for(lambda: len(real_host.smtp.messages) == 1, 10, "the alert")
    assert proxy.client_secret not in real_host.smtp.messages[0].get_payload()

    proxy.refuse_tokens = False
    wait_for(lambda: _all_delivered(connection, 80), 20, "delivery once the credentials work")
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in first + second + third])


def test_400_for_one_statement_of_a_batch(real_host, proxy, fresh_lrs):
    connection = _connection(proxy.endpoint)
    statements = make_statements(100)
    statements[63] = make_statement(bad=True)
    proxy.bad_ids = {statements[10]["id"]}
    _enqueue(connection, statements)
    real_host.start_worker("w1", beat=True)
    wait_for(lambda: _all_delivered(connection, 98), 30, "the good statements")
    rejected = OutboxStatement.objects.filter(connection=connection, state=OutboxState.REJECTED)
    assert sorted(str(row.statement_id) for row in rejected) == sorted([statements[10]["id"], statements[63]["id"]])
    assert all(row.last_status_code == 400 and row.last_answer for row in rejected)
    bad = {statements[10]["id"], statements[63]["id"]}
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements if s["id"] not in bad])
    assert _status(connection) == ConnectionStatus.OK


def test_worker_sigkilled_mid_batch_loses_and_duplicates_nothing(real_host, proxy, fresh_lrs):
    connection = _connection(proxy.endpoint)
    # The LRS stores the batch, then the answer is slow: the worker dies before it hears it.
    proxy.response_delay = 2.5  # below the workers' 3 s read timeout
    statements = make_statements(150)
    _enqueue(connection, statements)
    doomed = real_host.start_worker("doomed")
    wait_for(lambda: any(r.forwarded for r in proxy.statement_posts()), 20, "a batch in flight")
    doomed.kill()
    first_batch = next(r for r in proxy.statement_posts() if r.forwarded).statement_ids
    proxy.response_delay = 0.0

    real_host.start_worker("rescuer", beat=True)
    wait_for(lambda: _all_delivered(connection, 150), 40, "delivery after the kill")
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])
    resent = [r for r in proxy.statement_posts() if set(first_batch) & set(r.statement_ids)]
    assert len(resent) >= 2, (
        "the batch the dead worker sent must have been sent again; posts: "
        + str([(len(r.statement_ids), r.status, r.forwarded) for r in proxy.statement_posts()])
        + "\n"
        + doomed.log_text()[-3000:]
    )


def test_two_workers_claim_at_once_and_never_send_a_row_twice(real_host, proxy, fresh_lrs):
    connection = _connection(proxy.endpoint)
    statements = make_statements(3000)
    _enqueue(connection, statements, chunk=500)
    # Both start together: one after the other, the first can drain the queue while the second boots.
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    with ThreadPoolExecutor(2) as pool:
        starting = [pool.submit(real_host.start_worker, "one", beat=True), pool.submit(real_host.start_worker, "two")]
        one, two = (future.result() for future in starting)
    wait_for(lambda: _all_delivered(connection, 3000), 60, "3000 statements")
    sent = [statement_id for r in proxy.statement_posts() for statement_id in r.statement_ids]
    assert len(sent) == len(set(sent)) == 3000, "a row was sent twice"
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])
    for worker in (one, two):
        delivered = [int(n) for n in re.findall(r"'delivered': (\d+)", worker.log_text())]
        assert sum(delivered) > 0, f"worker {worker.name} delivered nothing: both must claim"


def test_lost_task_messages_are_made_up_by_the_sweep(real_host, proxy, fresh_lrs):
    connection = _connection(proxy.endpoint)
    statements = make_statements(80)
    _enqueue(connection, statements)
    with real_host.redis_client() as client:
        client.flushall()  # every queued task message is gone
    real_host.start_worker("w1", beat=True)
    wait_for(lambda: _all_delivered(connection, 80), 20, "the sweep to deliver")
    assert_lrs_holds_exactly(fresh_lrs, [s["id"] for s in statements])
