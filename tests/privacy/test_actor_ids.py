"""Account mode sends an opaque id; ``xapi_actor_lookup`` maps it back for whoever the operator allows."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from tests.privacy.conftest import ACCOUNT_COURSE_KEY, learner_statements
from xapi_plugin.core.conf import lms_root_url
from xapi_plugin.models import LearnerCourseAgent
from xapi_plugin.statements.actor import opaque_account_name

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
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": lms_root_url(), "name": opaque_account_name(user.pk, SALT)},
    }


@pytest.mark.django_db
@override_settings(XAPI_ACTOR_ID_SALT=SALT)
def test_account_name_of_a_user_and_back(django_user_model):
    users = [django_user_model.objects.create_user(f"learner{n}", f"l{n}@example.com", "pw") for n in range(5)]
    target = users[3]
    expected = opaque_account_name(target.pk, SALT)

    by_id, warning = _lookup("--user-id", str(target.pk))
    by_name, _ = _lookup("--username", "learner3")
    assert by_id == by_name == f"user id {target.pk}: account name {expected} on homePage {lms_root_url()}"
    assert warning == ""

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
