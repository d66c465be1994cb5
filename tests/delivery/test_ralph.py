"""Delivery against a real Ralph 5.1 (the LRS Aspects runs), behind the fault proxy.

Ralph differs from Learning Locker's service where it matters (docs/operators.md): no
``/about``, 422 for a statement it refuses, and a batch with one refused statement is refused
whole. Each test reads back from Ralph that every expected id arrived exactly once.
"""

import io
import json
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.delivery.conftest import make_statement, make_statements
from xapi_plugin.core.constants import ConnectionStatus, OutboxState
from xapi_plugin.delivery import deliver_due
from xapi_plugin.delivery.lrs_client import LRSClient, check_passed
from xapi_plugin.models import OutboxStatement
from xapi_plugin.testing.fault_proxy import FaultProxy
from xapi_plugin.testing.ralph_lrs import RalphLRS

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

FAST = {
    "XAPI_RETRY_BASE_DELAY": 0.2,
    "XAPI_RETRY_MAX_DELAY": 1.0,
    "XAPI_HTTP_CONNECT_TIMEOUT": 1.0,
    "XAPI_HTTP_READ_TIMEOUT": 5.0,
    "XAPI_BATCH_SIZE": 50,
}


@pytest.fixture(scope="module")
def ralph():
    with RalphLRS() as lrs:
        yield lrs


@pytest.fixture
def ralph_proxy(ralph):
    with FaultProxy.for_lrs(ralph) as proxy:
        yield proxy


def refused_by_ralph() -> dict:
    """A statement Ralph refuses (422): its actor has no identifier. (An mbox without
    ``mailto:`` makes Ralph 5.1 answer 500, which delivery rightly retries.)"""
    statement = make_statement()
    statement["actor"] = {"objectType": "Agent", "name": "nobody"}
    return statement


def assert_ralph_holds_once(ralph: RalphLRS, expected_ids, before: Counter) -> None:
    """Each expected id was stored exactly once since ``before``; nothing else arrived."""
    now = Counter(ralph.statement_ids())
    added = now - before
    duplicates = {key: n for key, n in added.items() if n > 1}
    assert not duplicates, f"stored more than once: {duplicates}"
    assert set(added) == set(expected_ids), (
        f"missing {len(set(expected_ids) - set(added))}, unexpected {len(set(added) - set(expected_ids))}"
    )


def _wait_until_retry(connection, timeout=5.0):
    connection.refresh_from_db()
    deadline = time.monotonic() + timeout
    while connection.retry_at and timezone.now() < connection.retry_at:
        assert time.monotonic() < deadline, "retry_at too far in the future"
        time.sleep(0.05)


@override_settings(**FAST)
def test_connection_check_passes_without_about(make_connection, ralph, ralph_proxy):
    connection = make_connection(endpoint=ralph.endpoint, key=ralph.key, secret=ralph.secret)
    checks = LRSClient(connection).check()
    assert check_passed(checks), checks
    assert "no /about (GET /about: 404)" in checks[0][2]
    wrong = make_connection(name="Wrong secret", endpoint=ralph.endpoint, key=ralph.key, secret="not-it")
    checks = LRSClient(wrong).check()
    assert checks[0][1] and not checks[1][1] and "401" in checks[1][2], checks
    ralph_proxy.go_down()
    behind_proxy = make_connection(name="Down", endpoint=ralph_proxy.endpoint)
    checks = LRSClient(behind_proxy).check()
    assert [name for name, _, _ in checks] == ["reachable"] and not checks[0][1]


@override_settings(**FAST)
def test_outage_in_the_middle_of_a_run(make_connection, enqueue, ralph, ralph_proxy):
    before = Counter(ralph.statement_ids())
    connection = make_connection(endpoint=ralph_proxy.endpoint)
    statements = make_statements(200)
    enqueue(connection, statements)

    def outage_after_two_batches(report):
        if report.batches == 2:
            ralph_proxy.go_down()

    first = deliver_due(connection.pk, on_batch=outage_after_two_batches)
    assert 100 <= first.delivered < 200, first
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CANT_CONNECT
    ralph_proxy.come_up()
    delivered = first.delivered
    for _ in range(20):  # bounded: backoff is at most 1 s here
        _wait_until_retry(connection)
        delivered += deliver_due(connection.pk).delivered
        if delivered >= 200:
            break
    assert delivered == 200
    assert OutboxStatement.objects.filter(connection=connection, state=OutboxState.DELIVERED).count() == 200
    assert_ralph_holds_once(ralph, [s["id"] for s in statements], before)


@override_settings(**FAST)
def test_refused_statement_in_a_batch_the_rest_delivered(make_connection, enqueue, ralph, ralph_proxy):
    before = Counter(ralph.statement_ids())
    connection = make_connection(endpoint=ralph_proxy.endpoint)
    statements = make_statements(40)
    statements[23] = refused_by_ralph()
    enqueue(connection, statements)

    report = deliver_due(connection.pk)

    assert (report.delivered, report.rejected) == (39, 1)
    # Ralph refused the whole first batch: bisection isolated the one statement.
    posts = ralph_proxy.statement_posts()
    assert posts[0].status == 422 and len(posts[0].statement_ids) == 40 and report.requests > 2
    rejected = OutboxStatement.objects.get(statement_id=statements[23]["id"])
    assert (rejected.state, rejected.last_status_code) == (OutboxState.REJECTED, 422)
    assert "actor" in rejected.last_answer  # Ralph's own message is kept
    assert_ralph_holds_once(ralph, [s["id"] for i, s in enumerate(statements) if i != 23], before)

    # An identical resend (a lost answer) is stored once: Ralph answers 204.
    OutboxStatement.objects.filter(connection=connection, state=OutboxState.DELIVERED).update(
        state=OutboxState.PENDING, next_attempt_at=timezone.now()
    )
    assert deliver_due(connection.pk).delivered == 39
    assert_ralph_holds_once(ralph, [s["id"] for i, s in enumerate(statements) if i != 23], before)


@override_settings(**FAST)
def test_xapi_status_check_uses_the_same_check(make_connection, ralph):
    make_connection(name="Ralph", endpoint=ralph.endpoint, key=ralph.key, secret=ralph.secret)
    make_connection(name="Nothing there", endpoint="http://127.0.0.1:9/xAPI")
    out = io.StringIO()
    call_command("xapi_status", "--check", "--json", stdout=out)
    checks = {row["name"]: row["check"] for row in json.loads(out.getvalue())["connections"]}
    assert checks["Ralph"]["passed"] and "no /about (GET /about: 404)" in checks["Ralph"]["detail"]
    assert not checks["Nothing there"]["passed"] and "reachable: FAILED" in checks["Nothing there"]["detail"]
    call_command("xapi_status", "--check", stdout=(out := io.StringIO()))
    assert "check: passed: reachable: ok" in out.getvalue() and ralph.secret not in out.getvalue()
