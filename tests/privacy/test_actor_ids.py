"""Account mode sends the learner's platform ExternalId (type ``xapi``); ``xapi_actor_lookup`` maps it back."""

import json
import sys
import types
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from tests.privacy.conftest import ACCOUNT_COURSE_KEY, learner_statements
from xapi_plugin import platform
from xapi_plugin.core.conf import lms_root_url
from xapi_plugin.models import LearnerCourseAgent
from xapi_plugin.platform import EdxPlatformBackend
from xapi_plugin.statements.actor import opaque_account_name
from xapi_plugin.testing import standin_platform

SALT = "a-long-random-secret-salt"


def _lookup(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("xapi_actor_lookup", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


@pytest.mark.django_db
@override_settings(XAPI_ACTOR_ID_SALT=SALT)
def test_account_mode_agent_carries_no_personal_data(privacy_courses, django_user_model):
    privacy_courses()
    user = django_user_model.objects.create_user("zoe.martin", "zoe.martin@example.com", "pw", first_name="Zoé")
    statement = learner_statements(user, ACCOUNT_COURSE_KEY, 1)[0]
    text = json.dumps(statement, ensure_ascii=False)
    for personal in ("zoe.martin", "example.com", "Zoé", f'"{user.pk}"'):
        assert personal not in text
    external_id = platform.get_external_user_id(user.pk, create=False)
    assert statement["actor"] == {"objectType": "Agent", "account": {"homePage": lms_root_url(), "name": external_id}}
    # The ExternalId UUID text, lowercase and hyphenated, as Aspects joins it with the platform's table.
    assert str(uuid.UUID(external_id)) == external_id


@pytest.mark.django_db
@override_settings(XAPI_ACTOR_ID_SALT=SALT)
def test_without_the_platform_type_the_account_name_is_the_salted_one(privacy_courses, django_user_model, monkeypatch):
    privacy_courses()
    monkeypatch.setattr(standin_platform.StandInPlatformBackend, "get_external_user_id", lambda *a, **k: None)
    user = django_user_model.objects.create_user("old.platform", "o@example.com", "pw")
    statement = learner_statements(user, ACCOUNT_COURSE_KEY, 1)[0]
    assert statement["actor"]["account"]["name"] == opaque_account_name(user.pk, SALT)


@pytest.mark.django_db
@override_settings(XAPI_ACTOR_ID_SALT=SALT)
def test_external_id_of_a_user_and_back(privacy_courses, django_user_model):
    privacy_courses()
    users = [django_user_model.objects.create_user(f"learner{n}", f"l{n}@example.com", "pw") for n in range(5)]
    target = users[3]
    learner_statements(target, ACCOUNT_COURSE_KEY, 1)
    expected = platform.get_external_user_id(target.pk, create=False)
    by_id, _ = _lookup("--user-id", str(target.pk))
    assert by_id == f"user id {target.pk}: account name {expected} on homePage {lms_root_url()}"
    # Found through the platform's ExternalIds even without a stored agent.
    LearnerCourseAgent.objects.all().delete()
    found, _ = _lookup(expected.upper())
    assert found == f"account name {expected}: user id {target.pk} (username learner3)"
    with pytest.raises(CommandError, match="No user has the account name"):
        _lookup(str(uuid.uuid4()))


@pytest.mark.django_db
@override_settings(XAPI_ACTOR_ID_SALT=SALT)
def test_salted_account_name_of_a_user_and_back(django_user_model):
    users = [django_user_model.objects.create_user(f"learner{n}", f"l{n}@example.com", "pw") for n in range(5)]
    target = users[3]
    # A user without an ExternalId (none is created by a lookup): the salted name.
    expected = opaque_account_name(target.pk, SALT)

    by_id, warning = _lookup("--user-id", str(target.pk))
    by_name, _ = _lookup("--username", "learner3")
    assert by_id == by_name == f"user id {target.pk}: account name {expected} on homePage {lms_root_url()}"
    assert warning == ""
    assert platform.get_external_user_id(target.pk, create=False) is None

    # No stored agent for this user: found by recomputing over the user table.
    assert not LearnerCourseAgent.objects.exists()
    found, _ = _lookup(expected.upper())
    assert found == f"account name {expected}: user id {target.pk} (username learner3)"


@pytest.mark.django_db
def test_a_name_sent_with_an_earlier_salt_is_found_through_the_stored_agent(django_user_model):
    user = django_user_model.objects.create_user("old", "old@example.com", "pw")
    old_name = opaque_account_name(user.pk, "the-old-salt")
    agent = {"objectType": "Agent", "account": {"homePage": "http://lms", "name": old_name}}
    LearnerCourseAgent.objects.create(user_id=user.pk, course_key=ACCOUNT_COURSE_KEY, agent_json=json.dumps(agent))
    with override_settings(XAPI_ACTOR_ID_SALT="the-new-salt"):
        found, _ = _lookup(old_name)
    assert found == f"account name {old_name}: user id {user.pk} (username old)"


@pytest.mark.django_db
@override_settings(XAPI_ACTOR_ID_SALT=SALT)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["0" * 32], "No user has the account name"),
        (["alice@example.com"], "is not an account name"),
        ([], "Give exactly one of"),
        (["--user-id", "1", "--username", "x"], "Give exactly one of"),
        (["--user-id", "424242"], "No user with id 424242"),
    ],
)
def test_bad_lookups_say_what_is_wrong(args, message):
    with pytest.raises(CommandError, match=message):
        _lookup(*args)


@pytest.mark.django_db
@override_settings(XAPI_ACTOR_ID_SALT="")
def test_an_empty_salt_is_warned_about(django_user_model):
    user = django_user_model.objects.create_user("nosalt", "n@example.com", "pw")
    _, warning = _lookup("--user-id", str(user.pk))
    assert "XAPI_ACTOR_ID_SALT is empty" in warning


class _FakeExternalIdRows:
    """edx-platform's ExternalId manager, reduced to what EdxPlatformBackend calls (unit test only)."""

    def __init__(self):
        self.rows = []

    def filter(self, user_id=None, external_id_type__name=None, external_user_id=None):
        hits = [
            row
            for row in self.rows
            if (user_id is None or row.user_id == user_id)
            and (external_id_type__name is None or row.type_name == external_id_type__name)
            and (external_user_id is None or row.external_user_id == external_user_id)
        ]
        return types.SimpleNamespace(first=lambda: hits[0] if hits else None)


@pytest.mark.django_db
def test_edx_backend_reads_and_creates_the_xapi_external_id(django_user_model, monkeypatch):
    rows = _FakeExternalIdRows()
    known_types = {"xapi"}

    class ExternalId:
        objects = rows

        @classmethod
        def add_new_user_id(cls, user, type_name):
            # As the platform: (None, False) without the type row, else get_or_create per user and type.
            if type_name not in known_types:
                return None, False
            row = rows.filter(user_id=user.pk, external_id_type__name=type_name).first()
            if row is not None:
                return row, False
            row = types.SimpleNamespace(user_id=user.pk, type_name=type_name, external_user_id=uuid.uuid4())
            rows.rows.append(row)
            return row, True

    module = types.ModuleType("openedx.core.djangoapps.external_user_ids.models")
    module.ExternalId = ExternalId
    monkeypatch.setitem(sys.modules, "openedx.core.djangoapps.external_user_ids.models", module)
    user = django_user_model.objects.create_user("edx", "e@example.com", "pw")
    backend = EdxPlatformBackend()
    assert backend.get_external_user_id(user.pk, create=False) is None
    made = backend.get_external_user_id(user.pk)
    assert made == str(uuid.UUID(made)) and backend.get_external_user_id(user.pk) == made
    assert backend.get_external_user_id(user.pk, create=False) == made
    assert backend.get_user_id_for_external_id(made.upper()) == user.pk
    assert backend.get_user_id_for_external_id("not-a-uuid") is None
    assert backend.get_external_user_id(987654) is None
    known_types.clear()
    other = django_user_model.objects.create_user("edx2", "e2@example.com", "pw")
    assert backend.get_external_user_id(other.pk) is None


@pytest.mark.django_db
def test_retirement_knows_the_external_id_without_creating_one(privacy_courses, django_user_model):
    from xapi_plugin.privacy.retirement import learner_identifiers  # noqa: PLC0415

    privacy_courses()
    user = django_user_model.objects.create_user("ret", "ret@example.com", "pw")
    other = django_user_model.objects.create_user("none", "none@example.com", "pw")
    learner_statements(user, ACCOUNT_COURSE_KEY, 1)
    LearnerCourseAgent.objects.all().delete()  # only the platform still knows the id
    assert platform.get_external_user_id(user.pk, create=False) in learner_identifiers(user.pk)
    learner_identifiers(other.pk)
    assert platform.get_external_user_id(other.pk, create=False) is None
