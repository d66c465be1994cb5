"""The Advanced Settings ``xapi`` entry: validation, apply on publish and on demand, last valid kept."""

from io import StringIO

import ddt
import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from tests.conftest import COURSE_KEY
from xapi_plugin import platform
from xapi_plugin.models import CourseSettings, LRSConnection
from xapi_plugin.studio import advanced_settings as studio_settings
from xapi_plugin.studio.advanced_settings import validate_xapi_entry
from xapi_plugin.studio.course_settings import get_course_settings
from xapi_plugin.testing import standin_platform

NAMES = ["Acme LRS", "Backup LRS"]


def _messages(entry, names=NAMES):
    return validate_xapi_entry(entry, names).problems


@ddt.ddt
class ValidateEntryTest(TestCase):
    """Pure validation: every problem names the key and the allowed values."""

    def test_full_valid_entry(self):
        entry = {
            "enabled": True,
            "lrs": "Acme LRS",
            "actor_mode": "account",
            "video_end_percent": 90,
            "video_end_seconds": 10,
            "beacon_interval": "one_percent",
            "send_course_statements": False,
            "send_video_statements": True,
            "send_problem_statements": False,
            "send_navigation_statements": True,
        }
        checked = validate_xapi_entry(entry, NAMES)
        self.assertTrue(checked.valid, checked.problems)
        self.assertEqual(checked.values, entry)

    def test_missing_keys_take_defaults(self):
        checked = validate_xapi_entry({"enabled": True, "lrs": "Backup LRS"}, NAMES)
        self.assertTrue(checked.valid)
        self.assertEqual(checked.values["video_end_percent"], 100)
        self.assertEqual(checked.values["actor_mode"], "email")
        self.assertEqual(checked.values["beacon_interval"], "quarters")

    @ddt.data(
        ({"video_end_percent": 0}, "video_end_percent", "1 to 100"),
        ({"video_end_percent": 101}, "video_end_percent", "1 to 100"),
        ({"video_end_percent": "90%"}, "video_end_percent", '"90%"'),
        ({"video_end_percent": 90.5}, "video_end_percent", "whole number"),
        ({"video_end_percent": True}, "video_end_percent", "whole number"),
        ({"video_end_seconds": -1}, "video_end_seconds", "0 to 86400"),
        ({"beacon_interval": "every second"}, "beacon_interval", '"quarters", "one_percent"'),
        ({"actor_mode": "mbox"}, "actor_mode", '"email", "account"'),
        ({"enabled": "true"}, "enabled", "true or false"),
        ({"send_video_statements": 1}, "send_video_statements", "true or false"),
        ({"send_problem_statements": "yes"}, "send_problem_statements", "true or false"),
        ({"send_navigation_statements": None}, "send_navigation_statements", "true or false"),
        ({"lrs": "Nope LRS"}, "lrs", '"Acme LRS", "Backup LRS"'),
        ({"lrs": 3}, "lrs", "name of an LRS connection"),
        ({"enabled": True, "lrs": None}, "lrs", "needed when"),
        ({"colour": "blue"}, "colour", "Allowed keys: enabled, lrs"),
    )
    @ddt.unpack
    def test_refused_with_key_and_allowed_values(self, entry, key, allowed):
        problems = _messages({"lrs": "Acme LRS", **entry})
        self.assertEqual([k for k, _m in problems], [key])
        message = problems[0][1]
        self.assertIn(f'"{key}"', message)
        self.assertIn(allowed, message)

    @ddt.data("secret", "endpoint", "key", "password", "Token")
    def test_secret_like_keys_refused_without_echoing_value(self, key):
        problems = _messages({"enabled": True, "lrs": "Acme LRS", key: "s3cr3t-VALUE"})
        self.assertEqual(len(problems), 1)
        self.assertIn("must never be put in course settings", problems[0][1])
        self.assertNotIn("s3cr3t-VALUE", problems[0][1])

    def test_not_an_object(self):
        problems = _messages(["enabled"])
        self.assertEqual(problems[0][0], "")
        self.assertIn("JSON object", problems[0][1])

    def test_several_problems_all_reported(self):
        checked = validate_xapi_entry({"video_end_percent": 0, "beacon_interval": "x", "lrs": "Acme LRS"}, NAMES)
        self.assertEqual({k for k, _m in checked.problems}, {"video_end_percent", "beacon_interval"})
        self.assertEqual(checked.message.count("\n"), 1)

    def test_no_connections_says_so(self):
        problems = _messages({"enabled": True, "lrs": "Acme LRS"}, names=[])
        self.assertIn("ask your operators", problems[0][1])


@pytest.fixture
def connections(make_connection):
    return make_connection(name="Acme LRS"), make_connection(name="Backup LRS")


def _row():
    return CourseSettings.objects.get(course_key=COURSE_KEY)


@pytest.mark.django_db
def test_sync_applies_entry(connections):
    standin_platform.set_other_course_settings(
        COURSE_KEY,
        {"xapi": {"enabled": True, "lrs": "Backup LRS", "video_end_percent": 80, "beacon_interval": "one_percent"}},
    )
    result = studio_settings.sync_course_settings(COURSE_KEY)
    assert result.outcome == "applied"
    settings = get_course_settings(COURSE_KEY)
    assert settings.active and settings.connection_name == "Backup LRS"
    assert settings.video_end_percent == 80 and settings.beacon_interval == "one_percent"
    assert _row().source == "studio" and _row().studio_error == ""


@pytest.mark.django_db
def test_invalid_entry_keeps_last_valid_and_records_problem(connections):
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS"}})
    assert studio_settings.sync_course_settings(COURSE_KEY).outcome == "applied"
    standin_platform.set_other_course_settings(
        COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS", "video_end_percent": 150}}
    )
    result = studio_settings.sync_course_settings(COURSE_KEY)
    assert result.outcome == "refused"
    assert '"video_end_percent" must be a whole number from 1 to 100' in result.message
    settings = get_course_settings(COURSE_KEY)
    assert settings.active and settings.video_end_percent == 100  # last valid settings stay
    assert "video_end_percent" in _row().studio_error
    # Fixing the entry clears the problem.
    standin_platform.set_other_course_settings(
        COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS", "video_end_percent": 95}}
    )
    assert studio_settings.sync_course_settings(COURSE_KEY).outcome == "applied"
    assert _row().studio_error == "" and get_course_settings(COURSE_KEY).video_end_percent == 95


@pytest.mark.django_db
def test_invalid_entry_on_unconfigured_course_stays_off(connections):
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Missing"}})
    assert studio_settings.sync_course_settings(COURSE_KEY).outcome == "refused"
    assert not get_course_settings(COURSE_KEY).active
    assert '"lrs" must name an LRS connection' in _row().studio_error


@pytest.mark.django_db
def test_absent_entry_changes_nothing(make_course_settings):
    row = make_course_settings(video_end_percent=70)
    assert studio_settings.sync_course_settings(COURSE_KEY).outcome == "absent"
    assert get_course_settings(COURSE_KEY).video_end_percent == 70
    assert _row().source == row.source == "admin"


@pytest.mark.django_db
def test_disabling_keeps_connection(connections):
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS"}})
    studio_settings.sync_course_settings(COURSE_KEY)
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": False}})
    studio_settings.sync_course_settings(COURSE_KEY)
    settings = get_course_settings(COURSE_KEY)
    assert not settings.active and settings.connection_name == "Acme LRS"


@pytest.mark.django_db
def test_publish_signal_applies_entry(connections):
    """The receiver listed in CMS_RECEIVERS, connected here as the CMS's plugin framework does."""
    from xapi_plugin.intake.receivers import apply_studio_settings_on_publish  # noqa: PLC0415

    platform.COURSE_PUBLISHED.connect(apply_studio_settings_on_publish, dispatch_uid="test-publish")
    try:
        standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS"}})
        standin_platform.publish_course(COURSE_KEY)
        assert get_course_settings(COURSE_KEY).active
        # A broken entry never breaks the publish.
        standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": "yes please"})
        standin_platform.publish_course(COURSE_KEY)
        assert "JSON object" in _row().studio_error
        # Libraries are published through the same signal: ignored.
        platform.COURSE_PUBLISHED.send(sender=None, course_key="library-v1:edX+Lib")
        assert not CourseSettings.objects.filter(course_key__startswith="library").exists()
    finally:
        platform.COURSE_PUBLISHED.disconnect(dispatch_uid="test-publish")


@pytest.mark.django_db
def test_publish_receiver_never_raises(connections, monkeypatch):
    def boom(course_key):
        raise RuntimeError("modulestore down")

    monkeypatch.setattr(platform, "get_other_course_settings", boom)
    studio_settings.apply_studio_settings_on_publish(sender=None, course_key=COURSE_KEY)  # no exception


def test_course_published_signal_resolves_to_standin_outside_platform():
    from django.dispatch import Signal  # noqa: PLC0415
    from django.utils.module_loading import import_string  # noqa: PLC0415

    signal = import_string("xapi_plugin.platform.COURSE_PUBLISHED")
    assert isinstance(signal, Signal) and signal is platform.COURSE_PUBLISHED


@pytest.mark.django_db
def test_management_command(connections):
    other = "course-v1:Other+C+R"
    standin_platform.set_other_course_settings(COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS"}})
    out = StringIO()
    call_command("xapi_sync_course_settings", "--course", COURSE_KEY, stdout=out)
    assert f"{COURSE_KEY}: applied" in out.getvalue()
    assert get_course_settings(COURSE_KEY).active

    # Without --course: every course with settings; a refused one makes the command fail.
    CourseSettings.objects.create(course_key=other)
    standin_platform.set_other_course_settings(other, {"xapi": {"enabled": True, "lrs": "Acme LRS", "x": 1}})
    out = StringIO()
    with pytest.raises(CommandError, match="1 course"):
        call_command("xapi_sync_course_settings", stdout=out)
    assert f"{other}: refused" in out.getvalue() and '"x" is not a known setting' in out.getvalue()
    assert f"{COURSE_KEY}: applied" in out.getvalue()

    with pytest.raises(CommandError, match="not a course id"):
        call_command("xapi_sync_course_settings", "--course", "nonsense")


@pytest.mark.django_db
def test_secrets_never_stored(connections):
    standin_platform.set_other_course_settings(
        COURSE_KEY, {"xapi": {"enabled": True, "lrs": "Acme LRS", "secret": "hunter2-secret"}}
    )
    studio_settings.sync_course_settings(COURSE_KEY)
    row = _row()
    assert "hunter2-secret" not in row.studio_error
    assert not row.enabled
    assert LRSConnection.objects.get(name="Acme LRS").secret == "s"
