"""A slow or flooding LRS cannot hold a worker past the request deadline or fill its memory.

Real sockets on 127.0.0.1: ``HostileLRS`` trickles its answer one byte every half second (no read
timeout ever fires) or sends a 20 MiB error body.
"""

import time

import pytest
from django.test import override_settings

from xapi_plugin.core.constants import ConnectionStatus
from xapi_plugin.delivery import LRSClient, tasks
from xapi_plugin.delivery.claims import lease_seconds
from xapi_plugin.delivery.lrs_client import MAX_BODY_BYTES, Outcome
from xapi_plugin.models import LRSConnection
from xapi_plugin.testing.hostile_lrs import HostileLRS

pytestmark = pytest.mark.django_db
TIMEOUTS = {"XAPI_HTTP_CONNECT_TIMEOUT": 1.0, "XAPI_HTTP_READ_TIMEOUT": 2.0}


def _connection(endpoint) -> LRSConnection:
    connection = LRSConnection(name="Slow LRS", endpoint=endpoint, contact_email="ops@example.com")
    connection.key, connection.secret = "key-123456", "secret-123456"
    connection.save()
    return connection


@override_settings(**TIMEOUTS)
def test_a_trickling_answer_is_cut_at_the_total_deadline():
    with HostileLRS() as server:
        server.mode, server.trickle_interval, server.trickle_limit = "trickle", 0.5, 15.0
        client = LRSClient(_connection(server.endpoint))
        assert client.deadline == 3.0 and lease_seconds() > client.deadline
        started = time.monotonic()
        answer = client.post_statements(["{}"])
        elapsed = time.monotonic() - started
        assert elapsed < 5.0, f"the POST stayed open {elapsed:.1f} s"
        assert answer.outcome is Outcome.RETRY and answer.status == ConnectionStatus.CANT_CONNECT
        assert "too slow" in answer.detail
        checks = client.check()  # GET /about answers at once; the authenticated GET trickles
        assert checks[0][1] is True and checks[1][1] is False and "too slow" in checks[1][2]


@override_settings(**TIMEOUTS)
def test_a_huge_error_body_is_read_only_up_to_the_bound():
    with HostileLRS() as server:
        server.mode, server.status = "flood", 500
        client = LRSClient(_connection(server.endpoint))
        response = client._send("POST", server.endpoint + "/statements", data=b"[]")
        assert response.status_code == 500
        assert len(response.content) <= MAX_BODY_BYTES
        answer = client.post_statements(["{}"])
        assert answer.outcome is Outcome.RETRY and len(answer.detail) <= 4096


def test_delivery_tasks_have_soft_and_hard_time_limits():
    lease = lease_seconds()
    for task in (tasks.deliver_connection, tasks.sweep):
        assert task.soft_time_limit and task.time_limit and task.time_limit > task.soft_time_limit
    assert tasks.deliver_connection.soft_time_limit > tasks.TASK_TIME_BUDGET + lease
