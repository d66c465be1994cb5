"""URLs of the plugin, mounted under ``/xapi/`` by the platform (``url_config`` in ``apps.py``)."""

from django.urls import path

from xapi_plugin.studio import views

app_name = "xapi_plugin"

urlpatterns = [
    path("course/<str:course_key>/", views.course_settings_page, name="course_settings"),
    path("course/<str:course_key>/sync/", views.sync_from_advanced_settings, name="course_settings_sync"),
    # The course team's own LRSs (#19), where operators allow them.
    path("course/<str:course_key>/lrs/add/", views.team_connection_add, name="team_lrs_add"),
    path("course/<str:course_key>/lrs/<int:connection_id>/", views.team_connection_edit, name="team_lrs_edit"),
    path("course/<str:course_key>/lrs/<int:connection_id>/test/", views.team_connection_test, name="team_lrs_test"),
    path(
        "course/<str:course_key>/lrs/<int:connection_id>/remove/", views.team_connection_remove, name="team_lrs_remove"
    ),
    path("course/<str:course_key>/videos/", views.save_video_override, name="course_video_override"),
]
