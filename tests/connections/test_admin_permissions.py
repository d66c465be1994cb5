"""Admin actions that act on an LRS (Test connection, Retry) need change permission, not just view."""

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tests.delivery.conftest import make_statement
from xapi_plugin.core.constants import OutboxState
from xapi_plugin.delivery.outbox import enqueue_statements
from xapi_plugin.models import OutboxStatement

pytestmark = pytest.mark.django_db


def _staff_client(client, *codenames):
    user = get_user_model().objects.create_user("viewer", "viewer@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="xapi_plugin", codename__in=codenames))
    client.force_login(user)
    return client


def test_view_only_staff_cannot_test_a_connection(client, make_connection):
    connection = make_connection()
    viewer = _staff_client(client, "view_lrsconnection")
    assert viewer.get("/admin/xapi_plugin/lrsconnection/").status_code == 200
    with mock.patch("xapi_plugin.delivery.LRSClient") as client_class:
        viewer.post(
            "/admin/xapi_plugin/lrsconnection/",
            {"action": "test_connection", "_selected_action": [connection.pk]},
            follow=True,
        )
    assert not client_class.called


def test_view_only_staff_cannot_retry_statements(client, make_connection):
    connection = make_connection()
    enqueue_statements([make_statement()], connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1)
    OutboxStatement.objects.update(state=OutboxState.REJECTED)
    viewer = _staff_client(client, "view_outboxstatement", "view_lrsconnection")
    page = viewer.get("/admin/xapi_plugin/outboxstatement/").content.decode()
    assert "retry_statements" not in page
    viewer.post(
        "/admin/xapi_plugin/outboxstatement/",
        {"action": "retry_statements", "_selected_action": list(OutboxStatement.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert OutboxStatement.objects.get().state == OutboxState.REJECTED


def test_change_permission_can_retry(client, make_connection):
    connection = make_connection()
    enqueue_statements([make_statement()], connection_id=connection.pk, course_key="course-v1:a+b+c", user_id=1)
    OutboxStatement.objects.update(state=OutboxState.REJECTED)
    editor = _staff_client(client, "view_outboxstatement", "change_outboxstatement")
    with mock.patch("xapi_plugin.delivery.schedule_delivery"):
        editor.post(
            "/admin/xapi_plugin/outboxstatement/",
            {"action": "retry_statements", "_selected_action": [OutboxStatement.objects.get().pk]},
            follow=True,
        )
    assert OutboxStatement.objects.get().state == OutboxState.PENDING
