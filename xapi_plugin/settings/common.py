"""Defaults for every ``XAPI_*`` setting, applied to the host's settings module."""

from xapi_plugin.core.constants import SETTING_DEFAULTS


def plugin_settings(settings) -> None:
    """Give every plugin setting its default unless the host already set it."""
    for name, default in SETTING_DEFAULTS.items():
        if not hasattr(settings, name):
            # Copy lists so hosts never share (and mutate) our defaults.
            setattr(settings, name, list(default) if isinstance(default, list) else default)
    add_tracking_backend(settings)


def add_tracking_backend(settings) -> None:
    """Add the plugin's eventtracking backend next to the platform's own (tracking logs, Segment)."""
    backends = getattr(settings, "EVENT_TRACKING_BACKENDS", None)
    if backends is None:
        backends = settings.EVENT_TRACKING_BACKENDS = {}
    backends.setdefault("xapi_plugin", {"ENGINE": "xapi_plugin.intake.tracking.XapiTrackingBackend", "OPTIONS": {}})
