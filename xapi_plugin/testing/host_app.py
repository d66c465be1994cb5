"""The app a stand-in host adds for itself: it connects plugin receivers once Django is ready.

edx-platform does the same from its own app configs; ``settings.HOST_PROJECT_TYPE`` says whether
the host plays the LMS (``lms.djangoapp``) or Studio (``cms.djangoapp``).
"""

from django.apps import AppConfig
from django.conf import settings


class StandInHostConfig(AppConfig):
    """Subclass with the host's own ``name`` and ``label``."""

    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from edx_django_utils.plugins import connect_plugin_receivers  # noqa: PLC0415

        connect_plugin_receivers(settings.HOST_PROJECT_TYPE)
