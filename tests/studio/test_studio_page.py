"""The course staff page: who may see it, what it shows, the form, the sync button, both hosts."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from tests.conftest import COURSE_KEY
from xapi_plugin.core.constants import ConnectionStatus, OutboxState
from xapi_plugin.models import CourseSettings, OutboxStatement
from xapi_plugin.studio.course_settings import get_course_settings
from xapi_plugin.testing import standin_platform

ROOT = Path(__file__).resolve().parents[2]
OTHER_COURSE = "course-v1:Other+Course+Run"


def page_url(course_key=COURSE_KEY):
    return reverse("xapi_plugin:course_settings", args=[course_key])


@pytest.fixture
def users(db):
    model = get_user_model()
    staff = model.objects.create_user("author", "author@example.com")
    other_staff = model.objects.create_user("other_author", "other@example.com")
    learner = model.objects.create_user("learner", "learner@example.com")
    standin_platform.make_course(COURSE_KEY, display_name="Demo Course")
    standin_platform.make_course(OTHER_COURSE)
    standin_platform.add_course_staff(COURSE_KEY, staff.pk)
    standin_platform.add_course_staff(OTHER_COURSE, other_staff.pk)
    return {"staff": staff, "other_staff": other_staff, "learner": learner}


@pytest.fixture
def lrs(make_connection):
    make_connection(name="Backup LRS")
    return make_connection(
        name="Acme LRS", endpoint="https://lrs.example.com/xapi", key="the-key", secret="the-secret-value"
    )


FORM = {
    "enabled": "on",
    "lrs": "Acme LRS",
    "actor_mode": "account",
    "video_end_percent": "90",
    "video_end_seconds": "5",
    "beacon_interval": "one_percent",
    "send_video_statements": "on",
    "send_navigation_statements": "on",
}


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_redirected_to_login(client, users, method):
    response = getattr(client, method)(page_url(), FORM if method == "post" else None)
    assert response.status_code == 302
    assert "login" in response["Location"] and "next=" in response["Location"]
    assert not CourseSettings.objects.exists()


@pytest.mark.parametrize("who", ["learner", "other_staff"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_learners_and_other_course_staff_refused(client, users, lrs, who, method):
    client.force_login(users[who])
    response = getattr(client, method)(page_url(), FORM if method == "post" else None)
    assert response.status_code == 403
    assert not CourseSettings.objects.exists()


@pytest.mark.parametrize("who", ["learner", "other_staff", None])
def test_sync_button_refused(client, users, who):
    if who:
        client.force_login(users[who])
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": False}})
    response = client.post(reverse("xapi_plugin:course_settings_sync", args=[COURSE_KEY]))
    assert response.status_code == (403 if who else 302)
    assert not CourseSettings.objects.exists()


def test_other_course_staff_can_see_their_own(client, users):
    client.force_login(users["other_staff"])
    assert client.get(page_url(OTHER_COURSE)).status_code == 200


def test_not_a_course_key_is_404(client, users):
    client.force_login(users["staff"])
    assert client.get("/xapi/course/not-a-course/").status_code == 404


def test_page_shows_settings_status_counts_and_no_secrets(client, users, lrs, make_course_settings):
    make_course_settings(connection=lrs, video_end_percent=85, video_end_seconds=3)
    lrs.status = ConnectionStatus.AUTH_ERROR
    lrs.save()
    now = timezone.now()
    states = [OutboxState.PENDING] * 2 + [OutboxState.DELIVERED] * 3 + [OutboxState.REJECTED]
    for n, state in enumerate(states):
        OutboxStatement.objects.create(
            connection=lrs,
            course_key=COURSE_KEY,
            statement_id=f"00000000-0000-4000-8000-{n:012d}",
            payload="{}",
            state=state,
            next_attempt_at=now,
        )
    old = OutboxStatement.objects.create(
        connection=lrs, course_key=COURSE_KEY, statement_id="00000000-0000-4000-8000-999999999999",
        payload="{}", state=OutboxState.DELIVERED, next_attempt_at=now,
    )  # fmt: skip
    OutboxStatement.objects.filter(pk=old.pk).update(created=now - timedelta(days=30))
    OutboxStatement.objects.create(
        connection=lrs, course_key=OTHER_COURSE, statement_id="00000000-0000-4000-8000-888888888888",
        payload="{}", state=OutboxState.REJECTED, next_attempt_at=now,
    )  # fmt: skip

    client.force_login(users["staff"])
    response = client.get(page_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Demo Course" in html
    assert "at 85 % watched, or when watched to within 3 s of its end" in html
    assert "Acme LRS" in html and "Authentication error" in html
    counts = response.context["counts"]
    assert dict(counts) == {
        "Pending": 2, "Delivered": 3, "Rejected by the LRS": 1,
        "Held (connection needs attention)": 0, "Expired (retry window passed)": 0,
    }  # fmt: skip
    for secret in ("the-secret-value", "the-key", "lrs.example.com", lrs.secret_encrypted):
        assert secret not in html
    # A longer window counts the old statement too.
    assert dict(client.get(page_url() + "?days=60").context["counts"])["Delivered"] == 4


def test_form_saves_settings(client, users, lrs):
    client.force_login(users["staff"])
    response = client.post(page_url(), FORM)
    assert response.status_code == 302 and "saved=1" in response["Location"]
    settings = get_course_settings(COURSE_KEY)
    assert settings.active and settings.connection_name == "Acme LRS"
    assert (settings.actor_mode, settings.video_end_percent, settings.video_end_seconds) == ("account", 90, 5)
    assert settings.beacon_interval == "one_percent"
    assert not settings.send_course_statements and settings.send_video_statements
    assert settings.sends_navigation_statements and not settings.sends_problem_statements
    assert CourseSettings.objects.get(course_key=COURSE_KEY).source == "studio"
    page = client.get(response["Location"]).content.decode()
    assert "Your settings were saved" in page
    assert 'id="in-force-problems">Not sent' in page and 'id="in-force-navigation">Sent' in page


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"video_end_percent": "0"}, "video_end_percent", "greater than or equal to 1"),
        ({"video_end_percent": "ninety"}, "video_end_percent", "Enter a whole number"),
        ({"video_end_seconds": "-4"}, "video_end_seconds", "greater than or equal to 0"),
        ({"beacon_interval": "hourly"}, "beacon_interval", "Select a valid choice"),
        ({"lrs": "Somebody else's LRS"}, "lrs", "must name an LRS connection available to this course"),
        ({"lrs": ""}, "lrs", '"lrs" is needed when "enabled" is true'),
    ],
)
def test_form_refuses_invalid_values_in_plain_words(client, users, lrs, make_course_settings, change, field, message):
    make_course_settings(connection=lrs, video_end_percent=77)
    client.force_login(users["staff"])
    response = client.post(page_url(), {**FORM, **change})
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert message.replace('"', "&quot;") in response.content.decode()
    assert get_course_settings(COURSE_KEY).video_end_percent == 77  # nothing saved


def test_form_prefilled_and_notice_about_advanced_settings(client, users, lrs, make_course_settings):
    make_course_settings(connection=lrs, video_end_percent=66, beacon_interval="one_percent")
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS"}})
    client.force_login(users["staff"])
    response = client.get(page_url())
    form = response.context["form"]
    assert form["video_end_percent"].value() == 66 and form["lrs"].value() == "Acme LRS"
    assert "replaces the values saved here each time the course is published" in response.content.decode()


def test_sync_button_applies_entry_and_shows_refusal(client, users, lrs):
    client.force_login(users["staff"])
    sync = reverse("xapi_plugin:course_settings_sync", args=[COURSE_KEY])
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS"}})
    response = client.post(sync)
    assert response.status_code == 302 and "synced=applied" in response["Location"]
    assert get_course_settings(COURSE_KEY).active

    standin_platform.set_other_course_settings(
        COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS", "beacon_interval": "often"}}
    )
    response = client.post(sync)
    assert "synced=refused" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "Your last settings from Studio were refused" in page
    assert "&quot;beacon_interval&quot; must be one of &quot;quarters&quot;, &quot;one_percent&quot;" in page
    assert get_course_settings(COURSE_KEY).active  # last valid settings stay


_CMS_PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.urls import reverse, resolve
from xapi_plugin.models import LRSConnection
from xapi_plugin.studio.course_settings import get_course_settings
from xapi_plugin.testing import standin_platform
key = "course-v1:Probe+C+R"
url = reverse("xapi_plugin:course_settings", args=[key])
c = LRSConnection(name="Probe LRS", endpoint="http://127.0.0.1:9/x", contact_email="o@example.com")
c.available_to_all = True
c.save()
standin_platform.set_other_course_settings(key, {"xapi": {"enabled": True, "lrs": "Probe LRS"}})
standin_platform.publish_course(key)
s = get_course_settings(key)
print(json.dumps({"url": url, "view": resolve(url).func.__name__, "active": bool(s and s.active)}))
"""


@pytest.mark.integration
def test_studio_host_mounts_page_and_applies_on_publish(tmp_path):
    """A fresh stand-in Studio process: URLs from get_plugin_url_patterns, receiver from CMS_RECEIVERS."""
    result = subprocess.run(
        [sys.executable, "-c", _CMS_PROBE],
        cwd=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "tests.host.cms_settings",
            "XAPI_HOST_SQLITE": str(tmp_path / "cms.sqlite3"),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe == {"url": "/xapi/course/course-v1:Probe+C+R/", "view": "course_settings_page", "active": True}
