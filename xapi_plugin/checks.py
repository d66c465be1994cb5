"""Django system checks run at start-up (``manage.py`` commands, ``runserver``, ``check --deploy``).

* ``xapi_plugin.E001``: ``XAPI_ACTOR_ID_SALT`` is empty in production (opaque account ids could
  be mapped back to user ids by trying them all).
* ``xapi_plugin.W002``: a stored LRS secret that no key in ``XAPI_ENCRYPTION_KEYS`` decrypts
  (a key dropped too early). A warning, not an error: an error would also stop the commands an
  operator runs to fix it. Delivery holds that connection's rows with ``AUTH_ERROR`` meanwhile.
* ``xapi_plugin.E002``: ``XAPI_VIDEO_INTAKE`` or ``XAPI_EVENT_INTAKE`` is neither ``"worker"`` nor
  ``"inline"`` (a typo would silently mean worker mode on a host that may run no worker).
"""

from django.conf import settings
from django.core import checks

from xapi_plugin.connections import SecretDecryptionError, decrypt_secret
from xapi_plugin.core.conf import get_setting

# Set by settings/production.py: the deployment runs the production settings profile.
PROFILE_SETTING = "_XAPI_PLUGIN_PROFILE"


def check_actor_id_salt(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """An empty actor id salt is an error in production."""
    if getattr(settings, PROFILE_SETTING, "") != "production" or get_setting("XAPI_ACTOR_ID_SALT"):
        return []
    return [
        checks.Error(
            "XAPI_ACTOR_ID_SALT is empty: the opaque account ids in xAPI statements can be mapped back to "
            "LMS user ids by anyone who reads them.",
            hint="Set XAPI_ACTOR_ID_SALT to a long random string (e.g. `openssl rand -hex 32`) in AUTH_TOKENS "
            "(lms.yml / cms.yml secrets), once: changing it later changes every learner's account id.",
            id="xapi_plugin.E001",
        )
    ]


def undecryptable_connections() -> list[str]:
    """Names of the LRS connections whose stored key or secret no configured key decrypts."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    broken = []
    for name, key, secret in LRSConnection.objects.values_list("name", "key_encrypted", "secret_encrypted"):
        try:
            decrypt_secret(key)
            decrypt_secret(secret)
        except SecretDecryptionError:
            broken.append(name)
    return broken


def check_stored_secrets(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Try to decrypt every stored LRS secret."""
    try:
        broken = undecryptable_connections()
    except Exception:  # noqa: BLE001 - no database yet (before migrate, or a build step): nothing to check
        return []
    if not broken:
        return []
    return [
        checks.Warning(
            f"The stored credentials of LRS connection(s) {', '.join(repr(name) for name in broken)} cannot be "
            "decrypted with any key in XAPI_ENCRYPTION_KEYS; their statements are held, not sent.",
            hint="Put the key they were stored with back in XAPI_ENCRYPTION_KEYS (AUTH_TOKENS), after the newest "
            "one, then run `./manage.py lms xapi_rotate_keys`; or enter the key and secret again in Django admin.",
            id="xapi_plugin.W002",
        )
    ]


INTAKE_MODES = ("worker", "inline")


def check_intake_modes(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Each intake mode setting is one of :data:`INTAKE_MODES`."""
    return [
        checks.Error(
            f"{name} is {get_setting(name)!r}, which is not an intake mode.",
            hint=f'Set {name} to "worker" (a Celery worker reports the events; the default) or "inline" '
            "(the learner's request reports them: for hosts without a worker).",
            id="xapi_plugin.E002",
        )
        for name in ("XAPI_VIDEO_INTAKE", "XAPI_EVENT_INTAKE")
        if get_setting(name) not in INTAKE_MODES
    ]


def register_checks() -> None:
    """Register the plugin's checks (called once the app registry is ready)."""
    checks.register(check_actor_id_salt, checks.Tags.security)
    checks.register(check_intake_modes)
    checks.register(check_stored_secrets, checks.Tags.security)
