"""Endpoints carry no credentials, and moving a connection to another host needs its secret again."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from xapi_plugin.connections import validate_endpoint
from xapi_plugin.core.constants import AuthType
from xapi_plugin.models import LRSConnection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["https://alice:hunter2@lrs.example.com/xapi", "https://alice@lrs.example.com/xapi", "https://:hunter2@lrs.ex.com/x"],
)
def test_userinfo_is_refused_and_not_echoed(url):
    with pytest.raises(ValidationError) as refused:
        validate_endpoint(url)
    message = " ".join(refused.value.messages)
    assert "user name or password" in message
    assert "hunter2" not in message and "alice" not in message


def _connection(**fields) -> LRSConnection:
    connection = LRSConnection(name="Main", endpoint="https://lrs.example.com/xapi", contact_email="o@example.com")
    connection.key, connection.secret = "k", "stored-secret"
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.full_clean()
    connection.save()
    return LRSConnection.objects.get(pk=connection.pk)


def test_model_clean_needs_the_secret_again_when_the_endpoint_host_changes():
    connection = _connection()
    connection.endpoint = "https://attacker.example.net/xapi"
    with pytest.raises(ValidationError) as refused:
        connection.full_clean()
    assert "secret" in refused.value.message_dict
    connection.secret = "re-entered"
    connection.full_clean()  # with the secret entered again it is fine


def test_model_clean_same_host_other_path_keeps_the_secret():
    connection = _connection()
    connection.endpoint = "https://lrs.example.com/other/xapi"
    connection.full_clean()


def test_model_clean_needs_the_secret_again_when_the_token_url_host_changes():
    connection = _connection(auth_type=AuthType.OAUTH_CLIENT_CREDENTIALS, token_url="https://auth.example.com/token")
    connection.token_url = "https://evil.example.net/token"
    with pytest.raises(ValidationError) as refused:
        connection.full_clean()
    assert "secret" in refused.value.message_dict
    connection.token_url = "https://auth.example.com/other-token"
    connection.full_clean()


@pytest.fixture
def admin_client_logged_in(client):
    client.force_login(get_user_model().objects.create_superuser("op", "op@example.com", "pw"))
    return client


def _change(client, connection, **overrides):
    data = {
        "name": connection.name,
        "endpoint": connection.endpoint,
        "auth_type": connection.auth_type,
        "key": "",
        "secret": "",
        "token_url": connection.token_url,
        "scope": "",
        "contact_email": connection.contact_email,
        "enabled": "on",
    }
    data.update(overrides)
    return client.post(f"/admin/xapi_plugin/lrsconnection/{connection.pk}/change/", data)


def test_admin_refuses_a_new_host_without_the_secret(admin_client_logged_in):
    connection = _connection()
    answer = _change(admin_client_logged_in, connection, endpoint="https://attacker.example.net/xapi")
    assert answer.status_code == 200
    assert "enter the secret again" in answer.content.decode()
    assert LRSConnection.objects.get(pk=connection.pk).endpoint == "https://lrs.example.com/xapi"

    answer = _change(admin_client_logged_in, connection, endpoint="https://new.example.net/xapi", secret="new-secret")
    assert answer.status_code == 302
    saved = LRSConnection.objects.get(pk=connection.pk)
    assert saved.endpoint == "https://new.example.net/xapi" and saved.secret == "new-secret"


def test_admin_refuses_userinfo_in_the_endpoint(admin_client_logged_in):
    connection = _connection()
    answer = _change(admin_client_logged_in, connection, endpoint="https://u:leaked@lrs.example.com/xapi", secret="x")
    assert answer.status_code == 200
    assert "leaked" not in answer.content.decode().replace('value="https://u:leaked@', "")
    assert LRSConnection.objects.get(pk=connection.pk).endpoint == "https://lrs.example.com/xapi"
