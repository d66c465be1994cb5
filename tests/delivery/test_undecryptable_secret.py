"""A secret no configured key decrypts: the connection goes AUTH_ERROR, rows are held, one alert names the fix."""

import pytest
from django.core import mail
from django.test import override_settings

from tests.delivery.conftest import make_statements
from xapi_plugin.core.constants import ConnectionStatus, OutboxState
from xapi_plugin.delivery import deliver_due
from xapi_plugin.delivery.outbox import enqueue_statements
from xapi_plugin.models import LRSConnection, OutboxStatement

pytestmark = pytest.mark.django_db


def test_undecryptable_secret_holds_rows_and_alerts_once():
    with override_settings(XAPI_ENCRYPTION_KEYS=["the-old-key"]):
        connection = LRSConnection(name="Main", endpoint="http://127.0.0.1:9/xapi", contact_email="ops@example.com")
        connection.key, connection.secret = "k", "s"
        connection.save()
    enqueue_statements(make_statements(3), connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1)
    with override_settings(XAPI_ENCRYPTION_KEYS=["only-a-new-key"]):
        report = deliver_due(connection.pk)  # must not raise
        again = deliver_due(connection.pk)
    saved = LRSConnection.objects.get(pk=connection.pk)
    assert report.stopped == "failing" and again.stopped in ("backing off", "failing")
    assert saved.status == ConnectionStatus.AUTH_ERROR
    assert "XAPI_ENCRYPTION_KEYS" in saved.last_failure_detail
    assert OutboxStatement.objects.filter(state=OutboxState.HELD).count() == 3
    assert len(mail.outbox) == 1
    assert "XAPI_ENCRYPTION_KEYS" in mail.outbox[0].body


def test_operator_check_reports_undecryptable_secret_without_raising():
    from xapi_plugin.delivery import LRSClient  # noqa: PLC0415

    with override_settings(XAPI_ENCRYPTION_KEYS=["the-old-key"]):
        connection = LRSConnection(name="Main", endpoint="http://127.0.0.1:9/xapi", contact_email="ops@example.com")
        connection.key, connection.secret = "k", "s"
        connection.save()
    with override_settings(XAPI_ENCRYPTION_KEYS=["only-a-new-key"], XAPI_HTTP_CONNECT_TIMEOUT=0.5):
        answer = LRSClient(connection).post_statements(["{}"])
    assert answer.status == ConnectionStatus.AUTH_ERROR and "XAPI_ENCRYPTION_KEYS" in answer.detail
