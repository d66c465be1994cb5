"""Rules for endpoints that course teams enter in Studio (issue #19): public https hosts only.

Stricter than the operator's rules (``endpoints.py``): the LMS must not become a way into the
operator's own network, so the host must resolve only to public addresses (no loopback, private,
link-local, shared, reserved, multicast or cloud metadata address); ``https`` only; no user name
or password in the URL; no query or fragment. ``XAPI_COURSE_TEAM_ALLOW_LOOPBACK`` lets tests use
an LRS on 127.0.0.1 (then plain http on loopback too). Checked when the connection is saved and
again before every request (a name can be pointed elsewhere later).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from xapi_plugin.core.conf import get_setting

# Cloud metadata services (AWS, GCP, Azure, Oracle, Alibaba, AWS IPv6); most are link-local anyway.
_METADATA_ADDRESSES = {"169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"}
_METADATA_NAMES = {"metadata", "metadata.google.internal", "metadata.azure.com", "instance-data"}


def _refused_address(address: str, allow_loopback: bool) -> str | None:
    """Why ``address`` may not be an LRS course teams enter, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if str(ip) in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address (this server itself)"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return "a private network address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "a reserved address"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


def validate_public_endpoint(value: str, *, what: str = "The LRS endpoint") -> None:
    """Refuse, in plain words, a URL a course team may not send learner data to."""
    allow_loopback = bool(get_setting("XAPI_COURSE_TEAM_ALLOW_LOOPBACK"))
    try:
        parts = urlsplit(value or "")
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"{what} is not a valid URL: check the host and port.", code="invalid_endpoint") from exc
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(
            f"{what} must be an absolute https:// URL, for example https://lrs.example.com/xapi",
            code="invalid_endpoint",
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            f"{what} must not contain a user name or password: enter the credentials in their own fields.",
            code="endpoint_userinfo",
        )
    if parts.query or parts.fragment:
        raise ValidationError(f"{what} must not contain a query (?...) or fragment (#...).", code="invalid_endpoint")
    insecure = ValidationError(
        f"{what} must use https:// (plain http would send learner data and credentials unencrypted).",
        code="insecure_endpoint",
    )
    if parts.scheme != "https" and not allow_loopback:
        raise insecure
    if host.lower().rstrip(".") in _METADATA_NAMES:
        raise ValidationError(f"{what} points at a cloud metadata service, which is not allowed.", code="private")
    addresses = resolve_host(host, port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise ValidationError(f"{what}: the host {host} could not be found; check its spelling.", code="unresolved")
    reasons = [reason for address in addresses if (reason := _refused_address(address, allow_loopback))]
    if reasons:
        raise ValidationError(
            f"{what}: {host} resolves to {reasons[0]}. Only LRSs on the public internet can be added here; "
            "ask your operators for an LRS inside their network.",
            code="private",
        )
    loopback_only = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
    if parts.scheme != "https" and not loopback_only:
        raise insecure
