"""The stand-in host's own app: connects plugin receivers when Django is ready, as the platform does."""

from django.apps import AppConfig
from django.conf import settings


class HostConfig(AppConfig):
    name = "tests.host"
    label = "host"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from edx_django_utils.plugins import connect_plugin_receivers  # noqa: PLC0415

        connect_plugin_receivers(settings.HOST_PROJECT_TYPE)
