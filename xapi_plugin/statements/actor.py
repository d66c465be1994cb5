"""The xAPI agent for a learner, from the course's actor mode. Pure: no database, no settings."""

import hashlib
import hmac

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from xapi_plugin.core.constants import ActorMode


def opaque_account_name(user_id: int, salt: str) -> str:
    """A stable id for a user that carries no personal data: HMAC-SHA256(salt, user id), 32 hex chars.

    Without the salt nobody can tell which user it is; with it, an operator can map it back by
    recomputing it for each user id (see the ``xapi_actor_lookup`` command).
    """
    return hmac.new(salt.encode(), f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def needs_account(email: str | None, actor_mode: str) -> bool:
    """True when :func:`build_agent` will send an account (so its name must be looked up first)."""
    return not (actor_mode == ActorMode.EMAIL and is_valid_email(email))


def is_valid_email(email: str | None) -> bool:
    """True for an address an LRS will accept in ``mbox``."""
    if not email or len(email) > 254:
        return False
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def build_agent(
    user_id: int,
    email: str | None,
    actor_mode: str,
    home_page: str,
    salt: str,
    display_name: str = "",
    account_name: str | None = None,
) -> dict:
    """The agent: ``mbox`` in email mode when the address is valid, else an account on ``home_page``.

    The account's name is ``account_name`` when given (the learner's platform ExternalId of type
    ``xapi``, as event-routing-backends sends it), else the salted HMAC of the user id (platforms
    without that ExternalId type). Exactly one identifier, never a placeholder address.
    ``display_name`` is only sent with ``mbox`` (where personal data is already agreed to);
    account mode stays anonymous.
    """
    if actor_mode == ActorMode.EMAIL and is_valid_email(email):
        agent = {"objectType": "Agent", "mbox": f"mailto:{email.strip()}"}
        if display_name:
            agent["name"] = display_name[:250]
        return agent
    return {
        "objectType": "Agent",
        "account": {"homePage": home_page, "name": account_name or opaque_account_name(user_id, salt)},
    }
