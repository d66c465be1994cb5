"""The Django app, declared as an Open edX plugin for the LMS and Studio."""

from django.apps import AppConfig

from xapi_plugin.constants import PROJECT_CMS, PROJECT_LMS

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
    # User retirement (xapi_plugin/retirement.py): edx-platform's signals through the adapter.
    {
        "receiver_func_name": "user_retire_lms_critical_receiver",
        "signal_path": "xapi_plugin.platform.USER_RETIRE_LMS_CRITICAL",
    },
    {
        "receiver_func_name": "user_retire_lms_misc_receiver",
        "signal_path": "xapi_plugin.platform.USER_RETIRE_LMS_MISC",
    },
]
CMS_RECEIVERS: list[dict] = []


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
        "signals_config": {
            PROJECT_LMS: {"relative_path": "receivers", "receivers": LMS_RECEIVERS},
            PROJECT_CMS: {"relative_path": "receivers", "receivers": CMS_RECEIVERS},
        },
    }
