"""Start-up checks: the actor id salt must be set in production, every stored secret must decrypt."""

import pytest
from django.core import checks
from django.test import override_settings

from xapi_plugin.core.constants import SETTING_DEFAULTS
from xapi_plugin.models import LRSConnection
from xapi_plugin.settings import production


def _ours(messages, prefix="xapi_plugin."):
    return [message for message in messages if (message.id or "").startswith(prefix)]


def _run_checks():
    return _ours(checks.run_checks(include_deployment_checks=False))


@override_settings(XAPI_ACTOR_ID_SALT="", _XAPI_PLUGIN_PROFILE="production")
def test_empty_salt_is_an_error_in_production():
    found = [message for message in _run_checks() if message.id == "xapi_plugin.E001"]
    assert len(found) == 1 and found[0].level == checks.ERROR
    assert "XAPI_ACTOR_ID_SALT" in found[0].msg and "AUTH_TOKENS" in found[0].hint


@override_settings(XAPI_ACTOR_ID_SALT="a-long-random-string-for-ids", _XAPI_PLUGIN_PROFILE="production")
def test_set_salt_passes_in_production():
    assert not [message for message in _run_checks() if message.id == "xapi_plugin.E001"]


@override_settings(XAPI_ACTOR_ID_SALT="")
def test_empty_salt_is_no_error_outside_production():
    assert not [message for message in _run_checks() if message.id == "xapi_plugin.E001"]


class _Settings:
    pass


def test_production_settings_read_the_salt_and_keys_from_auth_tokens():
    host = _Settings()
    host.ENV_TOKENS = {"XAPI_ACTOR_ID_SALT": "from-env", "XAPI_BATCH_SIZE": 7}
    host.AUTH_TOKENS = {"XAPI_ACTOR_ID_SALT": "from-auth", "XAPI_ENCRYPTION_KEYS": ["k1"]}
    host.EVENT_TRACKING_BACKENDS = {}
    production.plugin_settings(host)
    assert host.XAPI_ACTOR_ID_SALT == "from-auth"
    assert host.XAPI_ENCRYPTION_KEYS == ["k1"]
    assert host.XAPI_BATCH_SIZE == 7
    assert host._XAPI_PLUGIN_PROFILE == "production"
    assert "XAPI_ACTOR_ID_SALT" in SETTING_DEFAULTS


@pytest.mark.django_db
def test_a_secret_no_key_decrypts_is_reported_with_the_setting_to_fix():
    with override_settings(XAPI_ENCRYPTION_KEYS=["old-key-dropped-too-early"]):
        connection = LRSConnection(name="Lost key LRS", endpoint="https://lrs.example.com/x", contact_email="o@e.com")
        connection.key, connection.secret = "k", "s"
        connection.save()
        assert not [m for m in _run_checks() if m.id == "xapi_plugin.W002"]
    with override_settings(XAPI_ENCRYPTION_KEYS=["new-key-only"]):
        found = [m for m in _run_checks() if m.id == "xapi_plugin.W002"]
    assert len(found) == 1
    assert "Lost key LRS" in found[0].msg and "XAPI_ENCRYPTION_KEYS" in found[0].hint


@pytest.mark.parametrize("name", ["XAPI_VIDEO_INTAKE", "XAPI_EVENT_INTAKE"])
def test_an_unknown_intake_mode_is_refused_with_the_fix(settings, name):
    assert not [message for message in _run_checks() if message.id == "xapi_plugin.E002"]
    setattr(settings, name, "workers")
    (found,) = [message for message in _run_checks() if message.id == "xapi_plugin.E002"]
    assert name in found.msg and "'workers'" in found.msg
    assert '"worker"' in found.hint and '"inline"' in found.hint
