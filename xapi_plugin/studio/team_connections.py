"""Course teams' own LRS connections, added, tested, changed and removed on the course's Studio page.

Only where operators allow it (``XAPI_COURSE_TEAM_CONNECTIONS``, optionally only for the
organisations in ``XAPI_COURSE_TEAM_CONNECTION_ORGS``). A team's connection is scoped to its
course (or, with ``XAPI_COURSE_TEAM_CONNECTION_ORG_SCOPE``, to the course's organisation), so no
other course sees it; its endpoint must pass the public-endpoint rules (https, public addresses,
no userinfo); its secrets are write-only and encrypted like every connection's; its alerts go to
the contact email the team gives. Operators see it in admin with the course and user that added it.
"""

import re
from urllib.parse import urlsplit

from django import forms
from django.db import transaction

from xapi_plugin import platform
from xapi_plugin.connections import validate_public_endpoint
from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import AuthType, OutboxState
from xapi_plugin.routing import course_org

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEEP = "Leave blank to keep the stored value. Never shown again."


def team_connections_allowed(course_key: str) -> bool:
    """True when operators let this course's team add its own LRS connections."""
    if not get_setting("XAPI_COURSE_TEAM_CONNECTIONS"):
        return False
    organisations = get_setting("XAPI_COURSE_TEAM_CONNECTION_ORGS") or []
    return not organisations or course_org(course_key) in organisations


def _scope_label(course_key: str) -> str:
    return course_org(course_key) if get_setting("XAPI_COURSE_TEAM_CONNECTION_ORG_SCOPE") else course_key


def stored_name(given: str, course_key: str) -> str:
    """The connection's name on the site: the team's name plus its scope, so it cannot collide
    with (and so reveal) another organisation's connection."""
    return f"{given} ({_scope_label(course_key)})"


def given_name(connection, course_key: str) -> str:
    """The name as the team typed it (the stored name without its scope)."""
    suffix = f" ({_scope_label(course_key)})"
    return connection.name.removesuffix(suffix)


def team_connections(course_key: str):
    """The connections this course's team added (the ones it may change and remove)."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    return LRSConnection.objects.filter(course_team_course=course_key).order_by("name")


def _password(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        label=label,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class TeamConnectionForm(forms.Form):
    """Name, endpoint, authentication and contact of a team's LRS; secrets write-only."""

    name = forms.CharField(max_length=60, label="Name", help_text="How this LRS is listed for your course.")
    endpoint = forms.CharField(
        max_length=400, label="xAPI endpoint", help_text="https://... ; statements are posted to <endpoint>/statements."
    )
    auth_type = forms.ChoiceField(choices=AuthType.CHOICES, label="Authentication")
    key = _password("Key / client id", "HTTP Basic key, or OAuth 2 client id. " + _KEEP)
    secret = _password("Secret / token", "HTTP Basic secret, bearer token, or OAuth 2 client secret. " + _KEEP)
    token_url = forms.CharField(
        required=False, max_length=400, label="Token URL", help_text="OAuth 2 client credentials only."
    )
    scope = forms.CharField(required=False, max_length=255, label="OAuth 2 scope", help_text="If your LRS needs one.")
    contact_email = forms.EmailField(label="Contact email", help_text="Told by email when this LRS fails and recovers.")

    def __init__(self, *args, course_key: str, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": given_name(instance, course_key),
                "endpoint": instance.endpoint,
                "auth_type": instance.auth_type,
                "token_url": instance.token_url,
                "scope": instance.scope,
                "contact_email": instance.contact_email,
            }
        super().__init__(*args, **kwargs)
        self.course_key = course_key
        self.instance = instance

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if _CONTROL.search(name) or not name:
            raise forms.ValidationError("Use letters, digits, spaces and punctuation only.")
        return name

    def clean_endpoint(self):
        endpoint = self.cleaned_data["endpoint"].strip().rstrip("/")
        validate_public_endpoint(endpoint)
        return endpoint

    def clean_token_url(self):
        token_url = self.cleaned_data["token_url"].strip()
        if token_url:
            validate_public_endpoint(token_url, what="The token URL")
        return token_url

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        auth_type = cleaned.get("auth_type")
        secret_given = bool(cleaned.get("secret"))
        has_key = bool(cleaned.get("key")) or bool(instance and instance.key_encrypted)
        has_secret = secret_given or bool(instance and instance.secret_encrypted)
        if instance is not None and not secret_given:
            # The stored secret is never sent to a host the team has not given it to.
            for field, old in (("endpoint", instance.endpoint), ("token_url", instance.token_url)):
                new = cleaned.get(field)
                if new and urlsplit(new).hostname != urlsplit(old or "").hostname:
                    self.add_error("secret", f"The {field.replace('_', ' ')}'s host changed: enter the secret again.")
                    break
        if auth_type in (AuthType.BASIC, AuthType.OAUTH_CLIENT_CREDENTIALS) and not has_key:
            self.add_error("key", "Enter the key (or OAuth 2 client id) your LRS issued.")
        if not has_secret:
            self.add_error("secret", "Enter the secret (or token) your LRS issued.")
        if auth_type == AuthType.OAUTH_CLIENT_CREDENTIALS and not cleaned.get("token_url"):
            self.add_error("token_url", "OAuth 2 client credentials need the token URL.")
        name = cleaned.get("name")
        if name:
            from xapi_plugin.models import LRSConnection  # noqa: PLC0415

            taken = LRSConnection.objects.filter(name=stored_name(name, self.course_key))
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                self.add_error("name", "Your course already has an LRS of that name: choose another.")
        return cleaned

    def save(self, user_id: int | None):
        from xapi_plugin.models import LRSConnection  # noqa: PLC0415

        connection = self.instance or LRSConnection(
            course_team_course=self.course_key, created_by_user_id=user_id, available_to_all=False
        )
        data = self.cleaned_data
        connection.name = stored_name(data["name"], self.course_key)
        connection.endpoint = data["endpoint"]
        connection.auth_type = data["auth_type"]
        connection.token_url = data["token_url"] if data["auth_type"] == AuthType.OAUTH_CLIENT_CREDENTIALS else ""
        connection.scope = data["scope"]
        connection.contact_email = data["contact_email"]
        if get_setting("XAPI_COURSE_TEAM_CONNECTION_ORG_SCOPE"):
            connection.scope_organisations, connection.scope_courses = course_org(self.course_key), ""
        else:
            connection.scope_organisations, connection.scope_courses = "", self.course_key
        if data.get("key"):
            connection.key = data["key"]
        if data.get("secret"):
            connection.secret = data["secret"]
        connection.save()
        return connection


def test_in_plain_words(connection) -> tuple[bool, str]:
    """Admin's check, said in plain words: never a secret, never what the LRS answered."""
    from xapi_plugin.delivery import LRSClient  # noqa: PLC0415

    checks = LRSClient(connection).check()
    results = {name: ok for name, ok, _detail in checks}
    if results.get("reachable") and results.get("credentials"):
        return True, "Works: the LRS answered and accepted the credentials."
    if not results.get("reachable"):
        refused = checks[0][2] if checks else ""
        if refused.startswith(("The LRS endpoint", "The token URL")):
            return False, refused  # our own rule, in our words
        return False, (
            "Could not reach an xAPI LRS at that endpoint: check the address (no answer, refused, or no xAPI "
            "'about' resource there)."
        )
    return False, (
        "The LRS answered but did not accept the credentials (or the endpoint is not its xAPI address): "
        "check the key and secret."
    )


def removal_refusal(connection, user) -> str:
    """Why the connection cannot be removed now ("" when it can): the courses using it (only those
    the user may edit are named), or statements still waiting for it."""
    from xapi_plugin.models import CourseSettings, OutboxStatement  # noqa: PLC0415

    using = list(CourseSettings.objects.filter(connection=connection).values_list("course_key", flat=True))
    if using:
        named = sorted(key for key in using if platform.user_can_edit_course(user, key))
        others = len(using) - len(named)
        listed = ", ".join(named) + (f" and {others} other course(s)" if others else "")
        return f"This LRS is in use by {listed}: choose another LRS for those courses first."
    waiting = OutboxStatement.objects.filter(
        connection=connection, state__in=[OutboxState.PENDING, OutboxState.HELD]
    ).count()
    if waiting:
        return f"{waiting} statement(s) still wait to be delivered to this LRS: remove it once they are delivered."
    return ""


def remove(connection) -> None:
    """Delete the connection and its finished outbox rows (delivered, rejected, expired)."""
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    with transaction.atomic():
        OutboxStatement.objects.filter(connection=connection).delete()
        connection.delete()
