"""The stand-in Studio: plugin apps and plugin settings found through entry points."""

from edx_django_utils.plugins import add_plugins, get_plugin_apps

from tests.host.settings_base import *  # noqa: F403
from tests.host.settings_base import BASE_INSTALLED_APPS
from xapi_plugin.testing.host_settings import drop_unhosted_plugin_apps

HOST_PROJECT_TYPE = "cms.djangoapp"
drop_unhosted_plugin_apps(HOST_PROJECT_TYPE)
INSTALLED_APPS = BASE_INSTALLED_APPS + get_plugin_apps(HOST_PROJECT_TYPE)
add_plugins(__name__, HOST_PROJECT_TYPE, "common")
add_plugins(__name__, HOST_PROJECT_TYPE, "test")
