"""Validation of values operators and course staff enter; messages say how to fix the value."""

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from xapi_plugin.conf import get_setting

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback_host(host: str) -> bool:
    """True for localhost and any address in 127.0.0.0/8 or ::1."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint(value: str) -> None:
    """An LRS endpoint: an absolute http(s) URL; plain http only on loopback unless allowed."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "Enter the LRS endpoint as an absolute URL starting with https://, "
            "for example https://lrs.example.com/xapi",
            code="invalid_endpoint",
        )
    if parts.query or parts.fragment:
        raise ValidationError(
            "The LRS endpoint must not contain a query (?...) or fragment (#...): "
            "give the base URL that /statements is appended to.",
            code="invalid_endpoint",
        )
    if (
        parts.scheme == "http"
        and not is_loopback_host(parts.hostname)
        and not get_setting("XAPI_ALLOW_INSECURE_ENDPOINTS")
    ):
        raise ValidationError(
            "Plain http:// would send learner data and LRS credentials unencrypted. Use https://, "
            "or set XAPI_ALLOW_INSECURE_ENDPOINTS = True if this LRS is on a trusted network.",
            code="insecure_endpoint",
        )


def validate_course_key(value: str) -> None:
    """A course key the platform understands, such as course-v1:Org+Course+Run."""
    try:
        CourseKey.from_string(value)
    except InvalidKeyError as exc:
        raise ValidationError(
            f"'{value}' is not a course id. Use the id shown in the course URL, "
            "such as course-v1:edX+DemoX+Demo_Course.",
            code="invalid_course_key",
        ) from exc


def validate_video_end_percent(value: int) -> None:
    """Percentage of a video that counts as watched: 1 to 100."""
    if value is None or not 1 <= value <= 100:
        raise ValidationError(
            f"Video end percent must be a whole number from 1 to 100 (got {value}); "
            "100 means the whole video must be watched.",
            code="out_of_range",
        )


def validate_video_end_seconds(value: int) -> None:
    """Seconds before the end that count as the end: 0 or more."""
    if value is None or value < 0:
        raise ValidationError(
            f"Video end seconds must be 0 or more (got {value}); 0 turns this rule off.",
            code="out_of_range",
        )
