"""URLs of the stand-in host: admin plus every plugin's URLs, as the platform mounts them.

edx-val's API is mounted where lms/urls.py mounts it: ``edxval.api.get_video_info`` reverses
its ``video-detail`` URL, so the server-side video length needs it.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from xapi_plugin.testing.host_app import plugin_url_patterns

urlpatterns = (
    [path("admin/", admin.site.urls)]
    + plugin_url_patterns(settings.HOST_PROJECT_TYPE)
    + [path("api/val/v0/", include("edxval.urls"))]
)
