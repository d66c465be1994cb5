"""Read plugin settings at run time, falling back to the documented defaults."""

from typing import Any

from django.conf import settings

from xapi_plugin.core.constants import SETTING_DEFAULTS


def get_setting(name: str) -> Any:
    """Return ``settings.<name>``, or its default from ``SETTING_DEFAULTS`` if the host lacks it."""
    return getattr(settings, name, SETTING_DEFAULTS[name])


def lms_root_url() -> str:
    """The absolute root URL that activity ids and account homePages are built on (no trailing /)."""
    root = get_setting("XAPI_LMS_ROOT_URL") or getattr(settings, "LMS_ROOT_URL", None)
    if not root:
        raise RuntimeError(
            "Set XAPI_LMS_ROOT_URL (or LMS_ROOT_URL) to the LMS's absolute URL, e.g. https://lms.example.com"
        )
    return root.rstrip("/")
