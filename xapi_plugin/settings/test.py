"""Settings for hosts running tests: the defaults, nothing that reaches outside the machine."""

from xapi_plugin.settings import common


def plugin_settings(settings) -> None:
    """Apply the common defaults; tests override single values with ``override_settings``."""
    common.plugin_settings(settings)
