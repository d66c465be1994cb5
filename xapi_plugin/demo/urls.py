"""URLs of the demo LMS: Django admin (LRS connections, outbox) and the plugin's own URLs."""

from django.conf import settings
from django.contrib import admin
from django.urls import path

from xapi_plugin.testing.host_app import plugin_url_patterns

urlpatterns = [path("admin/", admin.site.urls)] + plugin_url_patterns(settings.HOST_PROJECT_TYPE)
