"""Rules for LRS endpoints that operators enter; each refusal says how to fix the URL."""

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from xapi_plugin.core.conf import get_setting

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback_host(host: str) -> bool:
    """True for localhost and any address in 127.0.0.0/8 or ::1."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_origin(value: str) -> tuple[str, int | None]:
    """(lower-case host, port) of a URL: where its credentials would go; ("", None) when unreadable."""
    try:
        parts = urlsplit(value or "")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", None


def validate_endpoint(value: str) -> None:
    """An LRS endpoint: an absolute http(s) URL; plain http only on loopback unless allowed."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "Enter the LRS endpoint as an absolute URL starting with https://, "
            "for example https://lrs.example.com/xapi",
            code="invalid_endpoint",
        )
    if "@" in parts.netloc:
        # requests would send URL credentials instead of the stored ones, and URLs get printed.
        raise ValidationError(
            "The LRS endpoint must not contain a user name or password (user:password@): "
            "remove them from the URL and enter the key and secret in their own fields.",
            code="endpoint_userinfo",
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
