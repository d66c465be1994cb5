"""Map an opaque xAPI account name to the LMS user it stands for, or a user to their account name.

For LRS administrators the operator allows to re-identify learners. Two kinds of account name:

* the learner's platform ExternalId of type ``xapi`` (a UUID, what the plugin sends now and what
  event-routing-backends sends): mapped back through the platform's ExternalId table;
* 32 hex characters, an HMAC of the user id keyed with XAPI_ACTOR_ID_SALT (agents stored before
  the plugin used ExternalIds, and platforms without the ``xapi`` type): mapped back with the salt.
"""

import json
import re

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from xapi_plugin import platform
from xapi_plugin.core.conf import get_setting, lms_root_url
from xapi_plugin.statements import opaque_account_name

ACCOUNT_NAME = re.compile(r"^[0-9a-f]{32}$")
EXTERNAL_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def find_user_id(account_name: str, salt: str, chunk_size: int = 10_000) -> int | None:
    """The id of the user whose account name this is (an ExternalId UUID, or an HMAC under ``salt``), or None.

    Agents the plugin stored are checked first (fast, and they still hold names sent with an
    earlier salt); then the platform's ExternalIds (UUIDs) or every user id in the user table
    (HMACs, about a second per million).
    """
    from xapi_plugin.models import LearnerCourseAgent  # noqa: PLC0415

    quoted = json.dumps(account_name)
    stored = LearnerCourseAgent.objects.filter(agent_json__contains=quoted).values_list("user_id", flat=True)
    for user_id in stored.distinct():
        return user_id
    if EXTERNAL_ID.match(account_name):
        return platform.get_user_id_for_external_id(account_name)
    for user_id in get_user_model().objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size):
        if opaque_account_name(user_id, salt) == account_name:
            return user_id
    return None


class Command(BaseCommand):
    help = (
        "Print the LMS user behind an xAPI account name (actor mode 'account', and the email fallback), or the "
        "account name of a user (--user-id / --username). Only for people the operator allows to re-identify learners."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "account_name", nargs="?", help="The agent's account.name: a UUID (ExternalId) or 32 hex characters."
        )
        parser.add_argument("--user-id", type=int, help="Print this user's account name instead.")
        parser.add_argument("--username", help="Print this user's account name instead.")

    def handle(self, *args, account_name=None, user_id=None, username=None, **options):
        if sum(value is not None for value in (account_name, user_id, username)) != 1:
            raise CommandError("Give exactly one of: an account name, --user-id, --username.")
        salt = get_setting("XAPI_ACTOR_ID_SALT")
        if not salt:
            self.stderr.write(
                "Warning: XAPI_ACTOR_ID_SALT is empty, so anyone who knows a user id can compute the salted "
                "account names (agents made before ExternalIds were used, platforms without the xapi type). "
                "Set it to a long random secret."
            )
        if account_name is not None:
            self._print_user(account_name.strip().lower(), salt)
        else:
            self._print_account_name(user_id, username, salt)

    def _print_user(self, account_name: str, salt: str) -> None:
        if not ACCOUNT_NAME.match(account_name) and not EXTERNAL_ID.match(account_name):
            raise CommandError(
                f"{account_name!r} is not an account name of this plugin (a UUID, or 32 hex characters)."
            )
        user_id = find_user_id(account_name, salt)
        if user_id is None:
            raise CommandError(
                f"No user has the account name {account_name}: it was made on another LMS, with another "
                "XAPI_ACTOR_ID_SALT, or for a user who no longer exists."
            )
        user = get_user_model().objects.filter(pk=user_id).only("username").first()
        name = f"username {user.username}" if user else "no such user any more"
        self.stdout.write(f"account name {account_name}: user id {user_id} ({name})")

    def _print_account_name(self, user_id: int | None, username: str | None, salt: str) -> None:
        users = get_user_model().objects
        user = users.filter(pk=user_id).first() if user_id is not None else users.filter(username=username).first()
        if user is None:
            wanted = f"id {user_id}" if user_id is not None else f"username {username}"
            raise CommandError(f"No user with {wanted}.")
        # Read only: looking a learner up never gives them an ExternalId.
        name = platform.get_external_user_id(user.pk, create=False) or opaque_account_name(user.pk, salt)
        self.stdout.write(f"user id {user.pk}: account name {name} on homePage {lms_root_url()}")
