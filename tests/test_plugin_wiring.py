"""The stand-in LMS and Studio find the plugin through its entry points, as the platform does."""

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import ddt
import pytest
from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.apps import apps
from xapi_plugin.apps import XapiPluginConfig
config = apps.get_app_config("xapi_plugin")
from django.utils.module_loading import import_string
specs = config.plugin_app["signals_config"][settings.HOST_PROJECT_TYPE]["receivers"]
module = config.name + "." + config.plugin_app["signals_config"][settings.HOST_PROJECT_TYPE]["relative_path"]
# Connected with the plugin framework's dispatch uid (post_save cannot answer has_listeners() for no sender).
from importlib import import_module
funcs = [getattr(import_module(module), spec["receiver_func_name"]) for spec in specs]
receivers = [
    any(key[0][0] == f"{func.__module__}.{func.__name__}" for key in import_string(spec["signal_path"]).receivers)
    for spec, func in zip(specs, funcs)
]
print(json.dumps({
    "installed": [app for app in settings.INSTALLED_APPS if "xapi" in app],
    "config_class": type(config).__name__,
    "batch_size": settings.XAPI_BATCH_SIZE,
    "retry_window": settings.XAPI_RETRY_WINDOW,
    "receivers_connected": receivers,
}))
"""


@ddt.ddt
class PluginDiscoveryTest(SimpleTestCase):
    """A fresh host process for each project type: nothing but the settings module tells it about us."""

    @ddt.data("lms.djangoapp", "cms.djangoapp")
    def test_entry_point_is_registered(self, project_type):
        names = {ep.name: ep.value for ep in entry_points(group=project_type)}
        self.assertEqual(names.get("xapi_plugin"), "xapi_plugin.apps:XapiPluginConfig")

    @ddt.data(("lms", "lms.djangoapp"), ("cms", "cms.djangoapp"))
    @ddt.unpack
    def test_fresh_host_loads_plugin(self, host, project_type):
        result = subprocess.run(
            [sys.executable, "-c", _PROBE],
            cwd=ROOT,
            env={"DJANGO_SETTINGS_MODULE": f"tests.host.{host}_settings", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        probe = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(probe["installed"], ["xapi_plugin.apps.XapiPluginConfig"])
        self.assertEqual(probe["config_class"], "XapiPluginConfig")
        # Defaults come from the plugin's settings_config, applied by add_plugins.
        self.assertEqual(probe["batch_size"], 100)
        self.assertEqual(probe["retry_window"], 5 * 24 * 3600)
        # Every receiver listed in signals_config is connected by connect_plugin_receivers.
        if host == "lms":
            self.assertTrue(probe["receivers_connected"], probe)
        self.assertTrue(all(probe["receivers_connected"]), probe)


def test_no_receiver_connected_at_import_time():
    """Importing the receivers module must not connect anything by itself."""
    source = (ROOT / "xapi_plugin" / "intake" / "receivers.py").read_text()
    assert ".connect(" not in source
    assert "@receiver" not in source


def test_production_settings_read_env_tokens():
    from types import SimpleNamespace  # noqa: PLC0415

    from xapi_plugin.settings import common, production  # noqa: PLC0415

    host = SimpleNamespace(
        ENV_TOKENS={"XAPI_BATCH_SIZE": 25, "XAPI_ALERT_ADMIN_EMAILS": ["ops@example.com"], "UNRELATED": 1},
        AUTH_TOKENS={"XAPI_ENCRYPTION_KEYS": ["k2", "k1"]},
    )
    common.plugin_settings(host)
    production.plugin_settings(host)
    assert host.XAPI_BATCH_SIZE == 25
    assert host.XAPI_ALERT_ADMIN_EMAILS == ["ops@example.com"]
    assert host.XAPI_ENCRYPTION_KEYS == ["k2", "k1"]
    assert host.XAPI_RETRY_WINDOW == 5 * 24 * 3600
    assert not hasattr(host, "UNRELATED")


def test_common_settings_keep_host_values():
    from types import SimpleNamespace  # noqa: PLC0415

    from xapi_plugin.settings import common  # noqa: PLC0415

    host = SimpleNamespace(XAPI_BATCH_SIZE=7)
    common.plugin_settings(host)
    assert host.XAPI_BATCH_SIZE == 7
    assert host.XAPI_HTTP_CONNECT_TIMEOUT == 5.0


@pytest.mark.django_db
def test_migrations_are_complete():
    """Models and migrations agree (an operator's `migrate` builds every table)."""
    from io import StringIO  # noqa: PLC0415

    from django.core.management import call_command  # noqa: PLC0415

    out = StringIO()
    call_command("makemigrations", "xapi_plugin", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
