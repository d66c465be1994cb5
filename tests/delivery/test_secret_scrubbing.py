"""An LRS that echoes the request (Authorization header included) in its error bodies leaks nothing.

A real HTTP server on 127.0.0.1 (``HostileLRS``) repeats every request header in its answers;
whatever the plugin stores or shows afterwards must hold none of the credentials it sent.
"""

import base64
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from tests.delivery.conftest import make_statement
from xapi_plugin.core.constants import AuthType, ConnectionStatus, OutboxState
from xapi_plugin.delivery import deliver_due
from xapi_plugin.delivery.lrs_client import classify_response, scrub_secrets
from xapi_plugin.delivery.outbox import enqueue_statements
from xapi_plugin.models import LRSConnection, OutboxStatement
from xapi_plugin.testing.hostile_lrs import HostileLRS

pytestmark = pytest.mark.django_db
KEY, SECRET = "lrs-key-4711abc", "lrs-secret-9Qz8/xY+"
FAST = {"XAPI_ALERT_AFTER_FAILURES": 1, "XAPI_HTTP_CONNECT_TIMEOUT": 1.0, "XAPI_HTTP_READ_TIMEOUT": 2.0}


@pytest.fixture
def echo_lrs():
    with HostileLRS() as server:
        yield server


def _connection(endpoint, auth_type=AuthType.BASIC, name="Echoing LRS", **fields) -> LRSConnection:
    connection = LRSConnection(
        name=name, endpoint=endpoint, contact_email="ops@example.com", auth_type=auth_type, **fields
    )
    connection.key, connection.secret = KEY, SECRET
    connection.save()
    return connection


def _forbidden(*extra: str) -> list[str]:
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    return [KEY, SECRET, basic, "Basic " + basic, *extra]


def _everything_stored_or_shown(connection) -> str:
    connection.refresh_from_db()
    rows = list(OutboxStatement.objects.values_list("last_answer", flat=True))
    out = io.StringIO()
    call_command("xapi_status", stdout=out)
    mails = [message.subject + message.body for message in mail.outbox]
    return "\n".join([connection.last_failure_detail, connection.last_success_detail, *rows, out.getvalue(), *mails])


def _assert_clean(text: str, forbidden: list[str]) -> None:
    for value in forbidden:
        assert value not in text, f"{value!r} leaked"


@override_settings(**FAST)
def test_server_error_echo_is_scrubbed_everywhere(echo_lrs):
    connection = _connection(echo_lrs.endpoint)
    enqueue_statements([make_statement()], connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1)
    echo_lrs.status = 502
    deliver_due(connection.pk)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.SERVER_ERROR
    assert "X-Experience-API-Version" in connection.last_failure_detail  # the echo itself is kept...
    assert "[redacted]" in connection.last_failure_detail  # ...without the credentials
    assert len(mail.outbox) == 1
    _assert_clean(_everything_stored_or_shown(connection), _forbidden())


@override_settings(**FAST)
def test_rejected_statement_answer_is_scrubbed_and_capped(echo_lrs):
    connection = _connection(echo_lrs.endpoint)
    statement = make_statement()
    statement["context"] = {"extensions": {"http://example.com/pad": "p" * 20_000}}
    enqueue_statements([statement], connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1)
    echo_lrs.status = 400
    deliver_due(connection.pk)
    row = OutboxStatement.objects.get()
    assert row.state == OutboxState.REJECTED
    assert "X-Experience-API-Version" in row.last_answer
    assert len(row.last_answer) <= 4096
    _assert_clean(_everything_stored_or_shown(connection), _forbidden())


@override_settings(**FAST)
@pytest.mark.parametrize("status", [401, 403])
def test_no_body_is_stored_for_401_and_403(echo_lrs, status):
    connection = _connection(echo_lrs.endpoint)
    enqueue_statements([make_statement()], connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1)
    echo_lrs.status = status
    deliver_due(connection.pk)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.AUTH_ERROR
    text = _everything_stored_or_shown(connection)
    assert "X-Experience-API-Version" not in text and "your request was" not in text
    assert f"HTTP {status}" in connection.last_failure_detail
    _assert_clean(text, _forbidden())


@override_settings(**FAST)
def test_bearer_token_and_oauth_token_are_scrubbed(echo_lrs):
    bearer = _connection(echo_lrs.endpoint, auth_type=AuthType.BEARER)
    enqueue_statements([make_statement()], connection_id=bearer.pk, course_key="course-v1:a+b+c", user_id=1)
    echo_lrs.status = 500
    deliver_due(bearer.pk)
    _assert_clean(_everything_stored_or_shown(bearer), _forbidden())

    OutboxStatement.objects.all().delete()
    mail.outbox.clear()
    oauth = _connection(
        echo_lrs.endpoint, auth_type=AuthType.OAUTH_CLIENT_CREDENTIALS, name="OAuth LRS", token_url=echo_lrs.token_url
    )
    enqueue_statements([make_statement()], connection_id=oauth.pk, course_key="course-v1:a+b+c", user_id=1)
    deliver_due(oauth.pk)
    oauth.refresh_from_db()
    assert oauth.status == ConnectionStatus.SERVER_ERROR
    _assert_clean(_everything_stored_or_shown(oauth), _forbidden(echo_lrs.issued_token))


@override_settings(**FAST)
def test_test_connection_action_shows_no_credentials(client, echo_lrs):
    client.force_login(get_user_model().objects.create_superuser("op", "op@example.com", "pw"))
    connection = _connection(echo_lrs.endpoint)
    echo_lrs.status = 400
    page = client.post(
        "/admin/xapi_plugin/lrsconnection/",
        {"action": "test_connection", "_selected_action": [connection.pk]},
        follow=True,
    ).content.decode()
    assert "credentials: FAILED" in page and "X-Experience-API-Version" in page
    _assert_clean(page, _forbidden())
    change = client.get(f"/admin/xapi_plugin/lrsconnection/{connection.pk}/change/").content.decode()
    _assert_clean(change, _forbidden())


def test_scrub_covers_encoded_forms_and_leaves_short_values_alone():
    text = 'a lrs-secret-9Qz8/xY+ b lrs-secret-9Qz8%2FxY%2B c "lrs-secret-9Qz8\\/xY+" s'
    scrubbed = scrub_secrets(text, [SECRET, "s"])
    assert SECRET not in scrubbed and "9Qz8" not in scrubbed
    assert scrubbed.endswith(" s")  # a one-letter value is not hunted (it would eat the text)
    answer = classify_response(500, "token " + SECRET, secrets=[SECRET])
    assert SECRET not in answer.detail
