"""Production settings: operator overrides from the deployment's YAML, as platform plugins read them."""

from xapi_plugin.core.constants import SETTING_DEFAULTS
from xapi_plugin.settings.common import add_tracking_backend

# Read from AUTH_TOKENS (secrets) before ENV_TOKENS, where older deployments keep them.
_SECRET_SETTINGS = {"XAPI_ENCRYPTION_KEYS", "XAPI_ACTOR_ID_SALT"}
# Read by xapi_plugin.checks: the salt must be set where this profile runs.
PROFILE_SETTING = "_XAPI_PLUGIN_PROFILE"


def plugin_settings(settings) -> None:
    """Apply ``XAPI_*`` overrides from ``ENV_TOKENS`` / ``AUTH_TOKENS`` when the host has them.

    Recent releases load the YAML straight into the settings module, so a value already set there
    wins when neither token dict names it.
    """
    env_tokens = getattr(settings, "ENV_TOKENS", None) or {}
    auth_tokens = getattr(settings, "AUTH_TOKENS", None) or {}
    for name in SETTING_DEFAULTS:
        if name in _SECRET_SETTINGS and name in auth_tokens:
            setattr(settings, name, auth_tokens[name])
        elif name in env_tokens:
            setattr(settings, name, env_tokens[name])
    setattr(settings, PROFILE_SETTING, "production")
    # Deployments that rebuild EVENT_TRACKING_BACKENDS from YAML after common settings.
    add_tracking_backend(settings)
