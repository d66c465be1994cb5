"""Deterministic identifiers: the same source always gives the same UUID, different sources never share one."""

import hashlib
import uuid

# Fixed namespace of this plugin; changing it would change every id ever sent.
NAMESPACE = uuid.UUID("6a1f5e0c-8d2b-4c47-9a51-3f0e2b7d9c10")


def _digest(parts) -> bytes:
    # The unit separator cannot occur in the ids, keys and timestamps that make up the parts,
    # so ("a", "bc") and ("ab", "c") never collide.
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(NAMESPACE.bytes + text.encode("utf-8")).digest()


def _hyphenated(digest: bytes, version: str) -> str:
    """The first 16 bytes of ``digest`` as a UUID string with ``version`` and the RFC 4122 variant set.

    What ``str(uuid.UUID(bytes=...))`` gives after setting those bits, without building the UUID
    (this runs for every statement).
    """
    text = digest[:16].hex()
    variant = "89ab"[int(text[16], 16) & 0x3]
    return f"{text[:8]}-{text[8:12]}-{version}{text[13:16]}-{variant}{text[17:20]}-{text[20:32]}"


def deterministic_uuid(*parts) -> str:
    """A name-based UUID (version 5 layout, SHA-256 digest) of ``parts``, hyphenated."""
    return _hyphenated(_digest(parts), "5")


def deterministic_uuid4_shaped(*parts) -> str:
    """Like :func:`deterministic_uuid`, with version 4 bits: the Video Profile's session id must look like v4."""
    return _hyphenated(_digest(parts), "4")


def statement_id(*parts) -> str:
    """The statement id for a source event, e.g. (openedx-events metadata id, verb) or
    (tracking event name, user id, object, timestamp, verb)."""
    return deterministic_uuid("statement", *parts)
