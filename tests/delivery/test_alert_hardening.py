"""Alerts are sent once per failure episode, retried when the mail server failed, never malformed.

Mail goes over real SMTP to the sink in ``xapi_plugin.testing.services`` (stopped to play an outage).
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from xapi_plugin.core.constants import ConnectionStatus
from xapi_plugin.delivery import alerts, status
from xapi_plugin.delivery.lrs_client import Answer, Outcome
from xapi_plugin.models import LRSConnection
from xapi_plugin.testing.services import SMTPSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    sink = SMTPSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 2
    yield sink
    sink.stop()


def _connection(**fields) -> LRSConnection:
    connection = LRSConnection(name="Main LRS", endpoint="http://127.0.0.1:9/x", contact_email="ops@example.com")
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.key, connection.secret = "k", "s"
    connection.save()
    return connection


@pytest.mark.parametrize("name", ["Evil\r\nBcc: victim@example.com", "Tab\there", "Null\x00", "Bell\x07", "Del\x7f"])
def test_control_characters_in_names_are_refused(name):
    connection = LRSConnection(name=name, endpoint="https://lrs.example.com/x", contact_email="ops@example.com")
    connection.key, connection.secret = "k", "s"
    with pytest.raises(ValidationError) as refused:
        connection.full_clean()
    assert "name" in refused.value.message_dict


def _fail(connection, outcome_status) -> None:
    answer = Answer(Outcome.RETRY, outcome_status, 502 if outcome_status == ConnectionStatus.SERVER_ERROR else None)
    status.record_failure(connection.pk, answer)
    alerts.notify_failure(connection.pk)


@override_settings(XAPI_ALERT_AFTER_FAILURES=1, XAPI_ALERT_REMINDER_INTERVAL=3600)
def test_alternating_failures_send_one_mail(smtp):
    connection = _connection()
    for number in range(20):
        _fail(connection, ConnectionStatus.SERVER_ERROR if number % 2 else ConnectionStatus.CANT_CONNECT)
    assert len(smtp.subjects()) == 1, smtp.subjects()


@override_settings(XAPI_ALERT_AFTER_FAILURES=1, XAPI_ALERT_REMINDER_INTERVAL=3600)
def test_status_change_after_the_interval_is_mailed(smtp):
    connection = _connection()
    _fail(connection, ConnectionStatus.CANT_CONNECT)
    LRSConnection.objects.filter(pk=connection.pk).update(last_alert_at=timezone.now() - timedelta(hours=2))
    _fail(connection, ConnectionStatus.SERVER_ERROR)
    _fail(connection, ConnectionStatus.CANT_CONNECT)
    assert len(smtp.subjects()) == 2


@override_settings(XAPI_ALERT_AFTER_FAILURES=1, XAPI_ALERT_REMINDER_INTERVAL=3600)
def test_an_alert_the_mail_server_refused_is_sent_later(smtp):
    connection = _connection()
    smtp.stop()  # the mail server is down
    _fail(connection, ConnectionStatus.CANT_CONNECT)
    saved = LRSConnection.objects.get(pk=connection.pk)
    assert saved.alerted_status == "" and saved.last_alert_at is None  # not marked as sent
    smtp.start()
    _fail(connection, ConnectionStatus.CANT_CONNECT)
    assert len(smtp.subjects()) == 1
    assert LRSConnection.objects.get(pk=connection.pk).alerted_status == ConnectionStatus.CANT_CONNECT


@override_settings(XAPI_ALERT_AFTER_FAILURES=1, XAPI_ALERT_REMINDER_INTERVAL=3600)
def test_a_reminder_the_mail_server_refused_is_sent_at_the_next_sweep(smtp):
    connection = _connection()
    _fail(connection, ConnectionStatus.CANT_CONNECT)
    earlier = timezone.now() - timedelta(hours=2)
    LRSConnection.objects.filter(pk=connection.pk).update(last_alert_at=earlier)
    smtp.stop()
    assert alerts.send_reminders() == 0
    assert LRSConnection.objects.get(pk=connection.pk).last_alert_at == earlier
    smtp.start()
    assert alerts.send_reminders() == 1
    assert len(smtp.subjects()) == 2


@override_settings(XAPI_ALERT_AFTER_FAILURES=1)
def test_a_stored_name_with_a_newline_still_gives_a_one_line_subject(smtp):
    connection = _connection()
    LRSConnection.objects.filter(pk=connection.pk).update(name="Old\r\nrow")  # saved before validation existed
    _fail(connection, ConnectionStatus.CANT_CONNECT)
    assert smtp.subjects() and "\n" not in smtp.subjects()[0] and "Old row" in smtp.subjects()[0]
