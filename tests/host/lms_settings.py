"""The stand-in LMS: plugin apps and plugin settings found through entry points."""

import os

from edx_django_utils.plugins import add_plugins, get_plugin_apps

from tests.host.settings_base import *  # noqa: F403
from tests.host.settings_base import BASE_INSTALLED_APPS
from xapi_plugin.testing.host_settings import NOT_HOSTED_PLUGIN_APPS, drop_unhosted_plugin_apps

HOST_PROJECT_TYPE = "lms.djangoapp"
# XAPI_HOST_WITHOUT_LEARNING_PATHS=1: an LMS without the Learning Paths app (tests/paths checks the plugin then).
_WITHOUT = {"learning_paths"} if os.environ.get("XAPI_HOST_WITHOUT_LEARNING_PATHS") else set()
drop_unhosted_plugin_apps(HOST_PROJECT_TYPE, NOT_HOSTED_PLUGIN_APPS | _WITHOUT)
INSTALLED_APPS = BASE_INSTALLED_APPS + get_plugin_apps(HOST_PROJECT_TYPE)
add_plugins(__name__, HOST_PROJECT_TYPE, "common")
add_plugins(__name__, HOST_PROJECT_TYPE, "test")
