"""URLs of the plugin, mounted under ``/xapi/`` by the platform (``url_config`` in ``apps.py``)."""

from django.urls import path

from xapi_plugin.studio import views

app_name = "xapi_plugin"

urlpatterns = [
    path("course/<str:course_key>/", views.course_settings_page, name="course_settings"),
    path("course/<str:course_key>/sync/", views.sync_from_advanced_settings, name="course_settings_sync"),
    path("course/<str:course_key>/videos/", views.save_video_override, name="course_video_override"),
]
