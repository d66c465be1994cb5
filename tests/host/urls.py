"""URLs of the stand-in host: admin plus every plugin's URLs, as the platform mounts them."""

from django.conf import settings
from django.contrib import admin
from django.urls import path

from xapi_plugin.testing.host_app import plugin_url_patterns

urlpatterns = [path("admin/", admin.site.urls)] + plugin_url_patterns(settings.HOST_PROJECT_TYPE)
