"""Course teams bring their own LRS from Studio, when operators allow it: as a course team member
would, through the xAPI page, against a real LRS on 127.0.0.1 (loopback allowed for tests only)."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from xapi_plugin.api import send_statement
from xapi_plugin.connections import validate_public_endpoint
from xapi_plugin.delivery import deliver_due
from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.fault_proxy import FaultProxy
from xapi_plugin.testing.local_lrs import LocalLRS

COURSE = "course-v1:OrgA+Team+2026"
OTHER = "course-v1:OrgA+Else+2026"
VERB = {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "attempted"}}
ACTIVITY = {"objectType": "Activity", "id": "https://scorm.example.com/package/7"}
AGENT = {"objectType": "Agent", "account": {"homePage": "https://scorm.example.com", "name": "anon-1"}}


def page(course_key=COURSE):
    return reverse("xapi_plugin:course_settings", args=[course_key])


def add_url(course_key=COURSE):
    return reverse("xapi_plugin:team_lrs_add", args=[course_key])


@pytest.fixture
def allowed(settings):
    settings.XAPI_COURSE_TEAM_CONNECTIONS = True
    settings.XAPI_COURSE_TEAM_ALLOW_LOOPBACK = True


@pytest.fixture
def team(db):
    model = get_user_model()
    author = model.objects.create_user("team_author", "author@example.com")
    other = model.objects.create_user("other_author", "other@example.com")
    standin_platform.make_course(COURSE, display_name="Team course")
    standin_platform.make_course(OTHER, display_name="Other course")
    standin_platform.add_course_staff(COURSE, author.pk)
    standin_platform.add_course_staff(OTHER, other.pk)
    return {"author": author, "other": other}


@pytest.fixture
def lrs():
    with LocalLRS() as local:
        yield local


def _form(lrs_or_endpoint, **changes) -> dict:
    endpoint = lrs_or_endpoint if isinstance(lrs_or_endpoint, str) else lrs_or_endpoint.endpoint
    key, secret = ("local-key", "local-secret")
    data = {"name": "Our LRS", "endpoint": endpoint, "auth_type": "basic", "key": key, "secret": secret,
            "token_url": "", "scope": "", "contact_email": "team@example.com"}  # fmt: skip
    data.update(changes)
    return data


@pytest.mark.integration
def test_add_test_choose_and_statements_arrive(client, team, allowed, lrs):
    client.force_login(team["author"])
    html = client.get(page()).content.decode()
    assert 'id="team-lrs-form"' in html

    response = client.post(add_url(), _form(lrs))
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = LRSConnection.objects.get(course_team_course=COURSE)
    assert connection.name == f"Our LRS ({COURSE})"
    assert connection.scope_courses == COURSE and not connection.available_to_all
    assert connection.created_by_user_id == team["author"].pk
    assert connection.secret == "local-secret" and "local-secret" not in connection.secret_encrypted

    html = client.get(page()).content.decode()
    assert "Our LRS" in html and "local-secret" not in html and "local-key" not in html

    tested = client.post(reverse("xapi_plugin:team_lrs_test", args=[COURSE, connection.pk])).content.decode()
    assert "Works: the LRS answered and accepted the credentials." in tested
    # An LRS that refuses the credentials (a proxy answering 401): plain words, nothing of its answer.
    with FaultProxy.for_lrs(lrs) as proxy:
        proxy.fail_status = 401
        assert (
            client.post(add_url(), _form(proxy.endpoint, name="Strict LRS", secret="wrong-secret")).status_code == 302
        )
        strict = LRSConnection.objects.get(name__startswith="Strict LRS")
        tested = client.post(reverse("xapi_plugin:team_lrs_test", args=[COURSE, strict.pk])).content.decode()
    notice = tested.split('id="team-notice">', 1)[1].split("<", 1)[0]
    assert "did not accept the credentials" in notice, notice
    assert "wrong-secret" not in tested and "injected" not in tested

    settings_form = {
        "enabled": "on", "lrs": connection.name, "actor_mode": "account", "video_end_percent": "100",
        "video_end_seconds": "0", "beacon_interval": "quarters", "send_course_statements": "on",
    }  # fmt: skip
    assert client.post(page(), settings_form).status_code == 302
    assert CourseSettings.objects.get(course_key=COURSE).connection == connection

    statement_id = send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="scorm")
    assert deliver_due(connection.pk).delivered == 1
    assert lrs.statement_ids() == [statement_id]


@pytest.mark.parametrize(
    "endpoint, words",
    [
        ("https://10.1.2.3/xapi", "private network address"),
        ("https://192.168.0.10/xapi", "private network address"),
        ("https://169.254.169.254/latest", "cloud metadata address"),
        ("https://[fe80::1]/xapi", "link-local"),
        ("https://metadata.google.internal/x", "metadata service"),
        ("http://203.0.113.9/xapi", "https://"),
        ("https://user:pass@lrs.example.com/xapi", "user name or password"),
        ("https://lrs.example.com/xapi?key=1", "query"),
        ("ftp://lrs.example.com/xapi", "https://"),
    ],
)
def test_endpoints_outside_the_rules_are_refused(client, team, settings, endpoint, words):
    settings.XAPI_COURSE_TEAM_CONNECTIONS = True
    client.force_login(team["author"])
    response = client.post(add_url(), _form(endpoint))
    assert response.status_code == 400
    assert words in " ".join(response.context["team_form"].errors["endpoint"])
    assert "local-secret" not in response.content.decode()
    assert not LRSConnection.objects.exists()


def test_loopback_is_refused_unless_the_test_setting_allows_it(settings):
    settings.XAPI_COURSE_TEAM_ALLOW_LOOPBACK = False
    for endpoint in ("https://127.0.0.1:8443/xapi", "https://localhost/xapi", "https://[::1]/xapi"):
        with pytest.raises(Exception, match="loopback"):
            validate_public_endpoint(endpoint)
    settings.XAPI_COURSE_TEAM_ALLOW_LOOPBACK = True
    validate_public_endpoint("http://127.0.0.1:8080/xapi")


def test_staff_of_another_course_cannot_see_or_use_it(client, team, allowed, make_connection):
    client.force_login(team["author"])
    assert client.post(add_url(), _form("http://127.0.0.1:9/xAPI")).status_code == 302
    connection = LRSConnection.objects.get(course_team_course=COURSE)

    client.force_login(team["other"])
    html = client.get(page(OTHER)).content.decode()
    assert "Our LRS" not in html
    choose = {"enabled": "on", "lrs": connection.name, "actor_mode": "account", "video_end_percent": "100",
              "video_end_seconds": "0", "beacon_interval": "quarters"}  # fmt: skip
    response = client.post(page(OTHER), choose)
    assert response.status_code == 400 and not CourseSettings.objects.filter(course_key=OTHER).exists()
    # Nor manage it through its own course's URLs or theirs.
    for name in ("team_lrs_test", "team_lrs_remove"):
        assert client.post(reverse(f"xapi_plugin:{name}", args=[COURSE, connection.pk])).status_code == 403
        assert client.post(reverse(f"xapi_plugin:{name}", args=[OTHER, connection.pk])).status_code == 404
    assert LRSConnection.objects.filter(pk=connection.pk).exists()


def test_with_the_setting_off_no_form_and_a_crafted_post_is_refused(client, team, settings):
    settings.XAPI_COURSE_TEAM_CONNECTIONS = False
    client.force_login(team["author"])
    assert 'id="team-lrs-form"' not in client.get(page()).content.decode()
    assert client.post(add_url(), _form("https://203.0.113.9/xapi")).status_code == 403
    assert not LRSConnection.objects.exists()
    # Limited to some organisations: the others' teams get no form either.
    settings.XAPI_COURSE_TEAM_CONNECTIONS = True
    settings.XAPI_COURSE_TEAM_CONNECTION_ORGS = ["OrgZ"]
    assert 'id="team-lrs-form"' not in client.get(page()).content.decode()
    assert client.post(add_url(), _form("https://203.0.113.9/xapi")).status_code == 403


def test_host_change_needs_the_secret_and_removal_in_use_is_refused(client, team, allowed):
    client.force_login(team["author"])
    assert client.post(add_url(), _form("http://127.0.0.1:9/xAPI")).status_code == 302
    connection = LRSConnection.objects.get(course_team_course=COURSE)
    edit = reverse("xapi_plugin:team_lrs_edit", args=[COURSE, connection.pk])
    edit_page = client.get(edit).content.decode()
    assert "local-secret" not in edit_page and "local-key" not in edit_page

    moved = client.post(edit, _form("http://localhost:9/xAPI", key="", secret=""))
    assert moved.status_code == 400
    assert "host changed: enter the secret again" in " ".join(moved.context["team_form"].errors["secret"])
    same_host = client.post(edit, _form("http://127.0.0.1:9/other", key="", secret="", contact_email="new@example.com"))
    assert same_host.status_code == 302
    connection.refresh_from_db()
    assert connection.endpoint.endswith("/other") and connection.secret == "local-secret"

    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=connection)
    refused = client.post(reverse("xapi_plugin:team_lrs_remove", args=[COURSE, connection.pk]))
    assert refused.status_code == 409
    assert f"in use by {COURSE}" in refused.content.decode()
    CourseSettings.objects.filter(course_key=COURSE).update(connection=None, enabled=False)
    OutboxStatement.objects.all().delete()
    assert client.post(reverse("xapi_plugin:team_lrs_remove", args=[COURSE, connection.pk])).status_code == 302
    assert not LRSConnection.objects.filter(pk=connection.pk).exists()


def test_alerts_go_to_the_team_contact(client, team, allowed, settings, make_course_settings):
    from xapi_plugin.core.constants import ConnectionStatus  # noqa: PLC0415

    settings.XAPI_ALERT_AFTER_FAILURES = 1
    client.force_login(team["author"])
    assert client.post(add_url(), _form("http://127.0.0.1:9/xAPI")).status_code == 302
    connection = LRSConnection.objects.get(course_team_course=COURSE)
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=connection)
    send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="scorm")
    deliver_due(connection.pk)  # nothing listens on port 9
    assert LRSConnection.objects.get(pk=connection.pk).status == ConnectionStatus.CANT_CONNECT
    assert mail.outbox and "team@example.com" in mail.outbox[0].to
    assert "local-secret" not in mail.outbox[0].body
