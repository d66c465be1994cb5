"""Encryption at rest for LRS secrets, with key rotation.

``XAPI_ENCRYPTION_KEYS`` lists keys newest first: the first encrypts, all of them decrypt. A key
is either a Fernet key (urlsafe base64 of 32 bytes) or any passphrase, from which a Fernet key is
derived. With no keys configured one key is derived from ``SECRET_KEY``; operators who rotate
``SECRET_KEY`` must then list the old one here first (see the README).
"""

import base64
import binascii
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from xapi_plugin.core.conf import get_setting


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _fernet_for(key: str) -> Fernet:
    try:
        raw = base64.urlsafe_b64decode(key.encode())
        if len(raw) == 32:
            return Fernet(key.encode())
    except (binascii.Error, ValueError):
        pass
    derived = hashlib.sha256(b"xapi_plugin.connections.crypto:" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def _multi_fernet() -> MultiFernet:
    keys = list(get_setting("XAPI_ENCRYPTION_KEYS") or [])
    if not keys:
        keys = [settings.SECRET_KEY]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt_secret(plaintext: str) -> str:
    """Encrypt ``plaintext`` with the newest key; the empty string stays empty."""
    if not plaintext:
        return ""
    return _multi_fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    """Decrypt a value from :func:`encrypt_secret`; raise SecretDecryptionError if no key fits."""
    if not ciphertext:
        return ""
    try:
        return _multi_fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "An LRS secret cannot be decrypted with any key in XAPI_ENCRYPTION_KEYS; "
            "add the key it was stored with back to the list."
        ) from exc


def reencrypt_secret(ciphertext: str) -> str:
    """Re-encrypt a stored value with the newest key (key rotation)."""
    if not ciphertext:
        return ""
    try:
        return _multi_fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError("cannot rotate a secret that no configured key decrypts") from exc
