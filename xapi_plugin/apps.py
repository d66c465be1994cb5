"""The Django app, declared as an Open edX plugin for the LMS and Studio."""

from django.apps import AppConfig

from xapi_plugin.core.constants import PROJECT_CMS, PROJECT_LMS

# edx-django-utils reads these dicts; the string values stand for edx-platform's
# ProjectType and SettingsType constants, which live in edx-platform itself.
_SETTINGS = {
    "common": {"relative_path": "settings.common"},
    "production": {"relative_path": "settings.production"},
    "test": {"relative_path": "settings.test"},
}

# Every receiver the plugin has, connected by the platform's connect_plugin_receivers();
# nothing is connected at import time.
LMS_RECEIVERS: list[dict] = [
    {
        "receiver_func_name": "tracking_event_emitted_receiver",
        "signal_path": "openedx_events.analytics.signals.TRACKING_EVENT_EMITTED",
    },
    # User retirement (privacy/retirement.py): edx-platform's signals through the adapter.
    {
        "receiver_func_name": "user_retire_lms_critical_receiver",
        "signal_path": "xapi_plugin.platform.signals.USER_RETIRE_LMS_CRITICAL",
    },
    {
        "receiver_func_name": "user_retire_lms_misc_receiver",
        "signal_path": "xapi_plugin.platform.signals.USER_RETIRE_LMS_MISC",
    },
    # Course statements (course/events.py): openedx-events learning signals.
    *[
        {"receiver_func_name": receiver, "signal_path": f"openedx_events.learning.signals.{signal}"}
        for receiver, signal in (
            ("course_enrollment_created_receiver", "COURSE_ENROLLMENT_CREATED"),
            ("course_enrollment_changed_receiver", "COURSE_ENROLLMENT_CHANGED"),
            ("course_unenrollment_completed_receiver", "COURSE_UNENROLLMENT_COMPLETED"),
            ("persistent_grade_summary_changed_receiver", "PERSISTENT_GRADE_SUMMARY_CHANGED"),
            ("course_passing_status_updated_receiver", "COURSE_PASSING_STATUS_UPDATED"),
            ("ccx_course_passing_status_updated_receiver", "CCX_COURSE_PASSING_STATUS_UPDATED"),
            ("certificate_created_receiver", "CERTIFICATE_CREATED"),
            ("certificate_changed_receiver", "CERTIFICATE_CHANGED"),
        )
    ],
    # Progress (course/progress.py): saves of edx-completion's BlockCompletion (post_save when the
    # app is installed, see the adapter); the receiver ignores other models.
    {
        "receiver_func_name": "block_completion_saved",
        "signal_path": "xapi_plugin.platform.signals.BLOCK_COMPLETION_SAVED",
    },
    # Learning paths (paths/receivers.py): saves of learning_paths models (post_save/post_delete
    # when the app is installed, see the adapter) and the course family's own signals.
    {"receiver_func_name": "learning_path_saved", "signal_path": "xapi_plugin.platform.signals.LEARNING_PATH_SAVED"},
    {
        "receiver_func_name": "learning_path_deleted",
        "signal_path": "xapi_plugin.platform.signals.LEARNING_PATH_DELETED",
    },
    {"receiver_func_name": "course_progress_changed", "signal_path": "xapi_plugin.course.COURSE_PROGRESS_CHANGED"},
    {"receiver_func_name": "course_grade_changed", "signal_path": "xapi_plugin.course.COURSE_GRADE_CHANGED"},
]
CMS_RECEIVERS: list[dict] = [
    # Course staff's Advanced Settings "xapi" entry, applied on every publish (studio/advanced_settings.py).
    {
        "receiver_func_name": "apply_studio_settings_on_publish",
        "signal_path": "xapi_plugin.platform.signals.COURSE_PUBLISHED",
    },
]


class XapiPluginConfig(AppConfig):
    """xAPI statements for Open edX, delivered to each course's LRS."""

    name = "xapi_plugin"
    verbose_name = "xAPI"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
        "settings_config": {
            PROJECT_LMS: _SETTINGS,
            PROJECT_CMS: _SETTINGS,
        },
        # The course staff page (studio/views.py) under /xapi/ in Studio; also mounted in the LMS.
        "url_config": {
            PROJECT_CMS: {"namespace": "xapi_plugin", "regex": r"^xapi/", "relative_path": "studio.urls"},
            PROJECT_LMS: {"namespace": "xapi_plugin", "regex": r"^xapi/", "relative_path": "studio.urls"},
        },
        "signals_config": {
            PROJECT_LMS: {"relative_path": "intake.receivers", "receivers": LMS_RECEIVERS},
            PROJECT_CMS: {"relative_path": "intake.receivers", "receivers": CMS_RECEIVERS},
        },
    }

    def ready(self) -> None:
        # Imported only now: these modules load models.
        from xapi_plugin.checks import register_checks  # noqa: PLC0415
        from xapi_plugin.intake import register_checks as register_prerequisite_checks  # noqa: PLC0415
        from xapi_plugin.routing import connect_invalidation  # noqa: PLC0415
        from xapi_plugin.studio import connect_cache_invalidation  # noqa: PLC0415

        connect_cache_invalidation()
        connect_invalidation()
        register_checks()  # secrets and salt (hardening)
        register_prerequisite_checks()  # platform switches the plugin depends on
