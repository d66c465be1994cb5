"""URLs of the demo LMS: Django admin (LRS connections, outbox) and the plugin's own URLs."""

from django.conf import settings
from django.contrib import admin
from django.urls import path
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [path("admin/", admin.site.urls)] + get_plugin_url_patterns(settings.HOST_PROJECT_TYPE)
