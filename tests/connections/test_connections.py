"""LRS connections: validation, write-only encrypted secrets, key rotation, admin pages."""

import ddt
import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test import TestCase, override_settings

from xapi_plugin.connections import crypto, validate_endpoint
from xapi_plugin.core.constants import AuthType
from xapi_plugin.models import CourseSettings, LRSConnection


@ddt.ddt
class EndpointValidationTest(TestCase):
    @ddt.data(
        "https://lrs.example.com/xapi",
        "http://127.0.0.1:8080/xAPI",
        "http://localhost/xapi",
        "http://[::1]:9000/xapi",
    )
    def test_accepted(self, url):
        validate_endpoint(url)

    @ddt.data(
        ("lrs.example.com/xapi", "absolute URL"),
        ("ftp://lrs.example.com/xapi", "absolute URL"),
        ("/xapi", "absolute URL"),
        ("https://lrs.example.com/xapi?x=1", "must not contain a query"),
        ("http://lrs.example.com/xapi", "XAPI_ALLOW_INSECURE_ENDPOINTS"),
        ("http://10.0.0.5/xapi", "XAPI_ALLOW_INSECURE_ENDPOINTS"),
    )
    @ddt.unpack
    def test_refused_with_a_message_that_says_how_to_fix_it(self, url, hint):
        with self.assertRaises(ValidationError) as caught:
            validate_endpoint(url)
        self.assertIn(hint, " ".join(caught.exception.messages))

    @override_settings(XAPI_ALLOW_INSECURE_ENDPOINTS=True)
    def test_operator_may_allow_plain_http(self):
        validate_endpoint("http://lrs.internal/xapi")


class SecretStorageTest(TestCase):
    def _connection(self, **fields):
        connection = LRSConnection(
            name="LRS", endpoint="https://lrs.example.com/xapi", contact_email="a@b.co", **fields
        )
        connection.key = "the-public-key-123"
        connection.secret = "super-secret-value-456"
        connection.save()
        return connection

    def test_database_holds_no_plaintext_secret(self):
        connection = self._connection()
        with db_connection.cursor() as cursor:
            cursor.execute(
                "SELECT key_encrypted, secret_encrypted FROM xapi_plugin_lrsconnection WHERE id = %s", [connection.pk]
            )
            raw_key, raw_secret = cursor.fetchone()
        self.assertNotIn("the-public-key-123", raw_key)
        self.assertNotIn("super-secret-value-456", raw_secret)
        self.assertTrue(raw_secret)
        reloaded = LRSConnection.objects.get(pk=connection.pk)
        self.assertEqual(reloaded.key, "the-public-key-123")
        self.assertEqual(reloaded.secret, "super-secret-value-456")

    def test_key_rotation(self):
        with override_settings(XAPI_ENCRYPTION_KEYS=["old-key"]):
            connection = self._connection()
        with override_settings(XAPI_ENCRYPTION_KEYS=["new-key"]):
            with self.assertRaises(crypto.SecretDecryptionError):
                _ = LRSConnection.objects.get(pk=connection.pk).secret
        with override_settings(XAPI_ENCRYPTION_KEYS=["new-key", "old-key"]):
            from django.core.management import call_command  # noqa: PLC0415

            call_command("xapi_rotate_keys")
        with override_settings(XAPI_ENCRYPTION_KEYS=["new-key"]):
            self.assertEqual(LRSConnection.objects.get(pk=connection.pk).secret, "super-secret-value-456")

    def test_missing_credentials_by_auth_type(self):
        connection = LRSConnection(auth_type=AuthType.OAUTH_CLIENT_CREDENTIALS)
        self.assertEqual(connection.missing_credentials(), ["client id", "secret", "token URL"])
        connection = LRSConnection(auth_type=AuthType.BEARER)
        self.assertEqual(connection.missing_credentials(), ["token"])


class ConnectionAdminTest(TestCase):
    def setUp(self):
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        self.admin = get_user_model().objects.create_superuser("op", "op@example.com", "pw")
        self.client.force_login(self.admin)

    def _post(self, **overrides):
        data = {
            "name": "Main LRS",
            "endpoint": "https://lrs.example.com/xapi",
            "auth_type": AuthType.BASIC,
            "key": "k-123",
            "secret": "s-456-very-secret",
            "token_url": "",
            "scope": "",
            "contact_email": "ops@example.com",
            "enabled": "on",
        }
        data.update(overrides)
        return self.client.post("/admin/xapi_plugin/lrsconnection/add/", data)

    def test_add_and_secret_never_shown_back(self):
        response = self._post()
        self.assertEqual(response.status_code, 302, response.content[:2000])
        connection = LRSConnection.objects.get(name="Main LRS")
        self.assertEqual(connection.secret, "s-456-very-secret")
        change = self.client.get(f"/admin/xapi_plugin/lrsconnection/{connection.pk}/change/")
        listing = self.client.get("/admin/xapi_plugin/lrsconnection/")
        for page in (change, listing):
            self.assertEqual(page.status_code, 200)
            self.assertNotIn(b"s-456-very-secret", page.content)
            self.assertNotIn(b"k-123", page.content)
            self.assertNotIn(connection.secret_encrypted.encode(), page.content)
        self.assertContains(change, "key, secret")

    def test_blank_secret_on_edit_keeps_the_stored_one(self):
        self._post()
        connection = LRSConnection.objects.get(name="Main LRS")
        response = self.client.post(
            f"/admin/xapi_plugin/lrsconnection/{connection.pk}/change/",
            {
                "name": "Main LRS",
                "endpoint": "https://lrs.example.com/xapi2",
                "auth_type": AuthType.BASIC,
                "key": "",
                "secret": "",
                "contact_email": "ops@example.com",
                "enabled": "on",
            },
        )
        self.assertEqual(response.status_code, 302)
        connection.refresh_from_db()
        self.assertEqual(connection.endpoint, "https://lrs.example.com/xapi2")
        self.assertEqual(connection.secret, "s-456-very-secret")

    def test_refuses_bad_endpoint(self):
        response = self._post(endpoint="lrs.example.com")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "absolute URL starting with https://")
        self.assertFalse(LRSConnection.objects.exists())

    def test_refuses_missing_secret(self):
        response = self._post(secret="")
        self.assertContains(response, "HTTP Basic needs the LRS secret")
        self.assertFalse(LRSConnection.objects.exists())

    def test_refuses_oauth_without_token_url(self):
        response = self._post(auth_type=AuthType.OAUTH_CLIENT_CREDENTIALS)
        self.assertContains(response, "need the token URL")
        self.assertFalse(LRSConnection.objects.exists())


@pytest.mark.django_db
def test_one_connection_serves_many_courses(make_connection, make_course_settings):
    connection = make_connection()
    make_course_settings("course-v1:A+B+C", connection=connection)
    make_course_settings("course-v1:A+B+D", connection=connection)
    assert connection.courses.count() == 2


class CourseSettingsAdminTest(TestCase):
    """Operators editing a course's settings in admin get the same plain refusals."""

    def setUp(self):
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        self.client.force_login(get_user_model().objects.create_superuser("op", "op@example.com", "pw"))
        self.connection = LRSConnection.objects.create(
            name="LRS", endpoint="https://lrs.example.com/xapi", contact_email="a@b.co", available_to_all=True
        )

    def _post(self, **overrides):
        data = {
            "course_key": "course-v1:A+B+C",
            "enabled": "on",
            "connection": self.connection.pk,
            "actor_mode": "email",
            "video_end_percent": 90,
            "video_end_seconds": 0,
            "beacon_interval": "quarters",
            "send_course_statements": "on",
            "send_video_statements": "on",
        }
        data.update(overrides)
        return self.client.post("/admin/xapi_plugin/coursesettings/add/", data)

    def test_out_of_range_threshold_is_refused(self):
        response = self._post(video_end_percent=150)
        self.assertContains(response, "Video end percent must be a whole number from 1 to 100 (got 150)")
        self.assertFalse(CourseSettings.objects.exists())

    def test_enabling_without_a_connection_is_refused(self):
        response = self._post(connection="")
        self.assertContains(response, "Choose the LRS connection this course sends to before enabling xAPI.")
        self.assertFalse(CourseSettings.objects.exists())

    def test_valid_settings_are_saved(self):
        self.assertEqual(self._post().status_code, 302)
        self.assertEqual(CourseSettings.objects.get().video_end_percent, 90)
