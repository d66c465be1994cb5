"""LRS connections' rules: secrets encrypted at rest, and what an endpoint may be.

The ``LRSConnection`` model itself is in ``xapi_plugin.models``; this package holds what it relies
on and imports no model, so ``models.py`` can use it while Django loads apps.

Public API: ``encrypt_secret``, ``decrypt_secret``, ``reencrypt_secret``, ``SecretDecryptionError``
(``crypto.py``, Fernet with ``XAPI_ENCRYPTION_KEYS``), ``validate_endpoint`` and
``is_loopback_host``, ``url_origin`` (``endpoints.py``), ``validate_public_endpoint`` (``public_endpoints.py``: the
stricter rules for endpoints course teams enter in Studio).
"""

from xapi_plugin.connections.crypto import (
    SecretDecryptionError,
    decrypt_secret,
    encrypt_secret,
    reencrypt_secret,
)
from xapi_plugin.connections.endpoints import is_loopback_host, url_origin, validate_endpoint
from xapi_plugin.connections.public_endpoints import validate_public_endpoint

__all__ = [
    "SecretDecryptionError",
    "decrypt_secret",
    "encrypt_secret",
    "is_loopback_host",
    "reencrypt_secret",
    "url_origin",
    "validate_endpoint",
    "validate_public_endpoint",
]
