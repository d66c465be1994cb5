"""Shared settings of the stand-in LMS and Studio used by the tests.

``lms_settings`` and ``cms_settings`` import this, then ask the plugin framework for plugin apps
(``get_plugin_apps``) and plugin settings (``add_plugins``), as ``lms/envs/common.py`` does.
"""

from xapi_plugin.testing.host_settings import *  # noqa: F403
from xapi_plugin.testing.host_settings import BASE_INSTALLED_APPS as _PLATFORM_APPS

BASE_INSTALLED_APPS = _PLATFORM_APPS + ["tests.host"]
ROOT_URLCONF = "tests.host.urls"

# Unit tests read the outbox right after sending an event: fold in the request. The real-worker
# tests (tests/video/test_intake_workers.py) switch to "worker", the plugin's default.
XAPI_VIDEO_INTAKE = "inline"
