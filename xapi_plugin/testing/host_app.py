"""The app a stand-in host adds for itself: it connects plugin receivers once Django is ready.

edx-platform does the same from its own app configs; ``settings.HOST_PROJECT_TYPE`` says whether
the host plays the LMS (``lms.djangoapp``) or Studio (``cms.djangoapp``).
"""

import logging
from importlib import import_module

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# Top-level packages of edx-platform itself: not installable, so not in a stand-in host.
PLATFORM_PACKAGES = ("lms", "cms", "common", "openedx", "xmodule")


def connect_plugin_receivers(project_type: str) -> list[str]:
    """What edx-django-utils' ``connect_plugin_receivers`` does, for every installed plugin app.

    Real platform apps installed in the stand-in (edx-completion) also declare receivers of
    edx-platform's own signals (the grades app's ``PROBLEM_WEIGHTED_SCORE_CHANGED``); those
    signals do not exist here, so such receivers are skipped. Returns the skipped signal paths.
    """
    skipped = []
    for app_config in apps.get_app_configs():
        signals_config = getattr(app_config, "plugin_app", {}).get("signals_config", {}).get(project_type)
        if not signals_config:
            continue
        module = import_module(f"{app_config.name}.{signals_config.get('relative_path', 'signals')}")
        for receiver in signals_config.get("receivers", []):
            signal_path = receiver["signal_path"]
            try:
                signal = import_string(signal_path)
            except ImportError:
                if signal_path.split(".", 1)[0] in PLATFORM_PACKAGES:
                    skipped.append(signal_path)
                    continue
                raise
            func = getattr(module, receiver["receiver_func_name"])
            sender = import_string(receiver["sender_path"]) if receiver.get("sender_path") else None
            uid = receiver.get("dispatch_uid") or f"{func.__module__}.{func.__name__}"
            signal.connect(func, sender=sender, dispatch_uid=uid)
    return skipped


class StandInHostConfig(AppConfig):
    """Subclass with the host's own ``name`` and ``label``."""

    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        skipped = connect_plugin_receivers(settings.HOST_PROJECT_TYPE)
        if skipped:
            log.debug("stand-in host: receivers of edx-platform signals skipped: %s", skipped)


def plugin_url_patterns(project_type: str) -> list:
    """What edx-django-utils' ``get_plugin_url_patterns`` returns, minus URLs that need edx-platform.

    edx-completion's REST API imports ``openedx.core.lib.api.authentication`` (edx-platform); the
    stand-in mounts every other plugin's URLs (the plugin's own always: an error there is raised).
    """
    from django.urls import include, re_path  # noqa: PLC0415

    patterns = []
    for app_config in apps.get_app_configs():
        url_config = getattr(app_config, "plugin_app", {}).get("url_config", {}).get(project_type)
        if not url_config:
            continue
        module_path = f"{app_config.name}.{url_config.get('relative_path', 'urls')}"
        try:
            import_module(module_path)
        except Exception:  # noqa: BLE001 - a platform app's views needing edx-platform: not served here
            if app_config.name == "xapi_plugin":
                raise
            log.debug("stand-in host: URLs of %s need edx-platform; not mounted", app_config.name)
            continue
        namespace = url_config.get("namespace", app_config.name)
        patterns.append(
            re_path(url_config.get("regex", r""), include((module_path, app_config.name), namespace=namespace))
        )
    return patterns
