"""Small pure helpers that make values spec-shaped: timestamps, language tags, names, IRIs."""

from datetime import UTC, datetime
from urllib.parse import quote

MAX_NAME_LENGTH = 250


def format_timestamp(value: datetime | str) -> str:
    """ISO 8601 in UTC with milliseconds and Z: ``2026-05-01T12:00:03.120Z``.

    Accepts a datetime (naive ones are taken as UTC) or an ISO 8601 string such as Open edX's
    ``2020-07-15T06:52:55.057099+00:00``.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # Written out rather than strftime: this runs for every statement (a third of building one).
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}Z"
    )


def language_tag(code: str | None, default: str = "en") -> str:
    """An RFC 5646 tag from a Django language code: ``en-us`` -> ``en-US``, ``zh-hans`` -> ``zh-Hans``."""
    if not code:
        return default
    parts = code.replace("_", "-").split("-")
    tag = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2:
            tag.append(part.upper())
        elif len(part) == 4:
            tag.append(part.title())
        else:
            tag.append(part.lower())
    return "-".join(tag)


def truncate(text: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Shorten a display name (never an id) to ``limit`` characters, marking the cut."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def language_map(text: str | None, lang: str = "en-US") -> dict | None:
    """``{"en-US": text}``, or None when there is no text (empty strings are not allowed)."""
    text = truncate(text or "")
    return {lang: text} if text else None


def iri(root_url: str, path: str) -> str:
    """An absolute IRI under the LMS root URL; opaque keys are kept readable (``:``, ``+``, ``@``)."""
    return root_url.rstrip("/") + "/" + quote(path.lstrip("/"), safe="/:+@-_.~")
