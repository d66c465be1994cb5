"""Retiring a learner through the platform's retirement signals leaves nothing of theirs in the plugin."""

import json
from unittest import mock

import pytest
from django.apps import apps
from django.db import DatabaseError, OperationalError

from tests.conftest import COURSE_KEY
from tests.privacy.conftest import ACCOUNT_COURSE_KEY, STATES
from xapi_plugin import platform, retirement
from xapi_plugin.conf import get_setting
from xapi_plugin.constants import OutboxState
from xapi_plugin.models import LearnerCourseAgent, OutboxStatement, VideoViewingState
from xapi_plugin.statements.actor import opaque_account_name


class AccountRetirementView:
    """Stands for the LMS view that sends the signals (only its class is passed, as ``sender``)."""


def _plugin_rows() -> list[tuple[str, dict]]:
    """Every row of every table of the plugin, as (model name, values)."""
    return [
        (model.__name__, row)
        for model in apps.get_app_config("xapi_plugin").get_models()
        for row in model.objects.values()
    ]


def _assert_nothing_names(learner) -> None:
    user = learner.user
    needles = {user.email, user.username, opaque_account_name(user.pk, get_setting("XAPI_ACTOR_ID_SALT"))}
    for model_name, row in _plugin_rows():
        assert row.get("user_id") != user.pk, f"{model_name} row {row['id']} still has the retired user id"
        text = json.dumps(row, default=str)
        for needle in needles:
            assert needle not in text, f"{model_name} row {row['id']} still names the retired learner"


def _snapshot(learner) -> dict:
    """What the plugin holds about a learner, to compare before and after someone else's retirement."""
    user_id = learner.user.pk
    return {
        "outbox": sorted(
            OutboxStatement.objects.filter(user_id=user_id).values_list("statement_id", "state", "payload")
        ),
        "viewing": sorted(VideoViewingState.objects.filter(user_id=user_id).values_list("video_key", "segments")),
        "agents": sorted(LearnerCourseAgent.objects.filter(user_id=user_id).values_list("course_key", "agent_json")),
    }


def test_receivers_are_connected_by_the_plugin_framework():
    for signal, receiver in (
        (platform.USER_RETIRE_LMS_CRITICAL, retirement.user_retire_lms_critical_receiver),
        (platform.USER_RETIRE_LMS_MISC, retirement.user_retire_lms_misc_receiver),
    ):
        # Without a user the receivers do nothing, but send() still lists every connected one.
        called = [called_receiver for called_receiver, _ in signal.send(sender=AccountRetirementView)]
        assert receiver in called


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signal_name", ["USER_RETIRE_LMS_CRITICAL", "USER_RETIRE_LMS_MISC"])
def test_retirement_signal_deletes_everything_of_the_learner_and_nothing_else(
    signal_name, privacy_courses, make_learner
):
    connection = privacy_courses()
    alice = make_learner("alice", connection)
    bob = make_learner("bob", connection)
    # The learner really had statements in every state, viewing state and fixed agents in both modes.
    assert set(OutboxStatement.objects.filter(user_id=alice.user.pk).values_list("state", flat=True)) == set(STATES)
    assert VideoViewingState.objects.filter(user_id=alice.user.pk).count() == 2
    agents = LearnerCourseAgent.objects.filter(user_id=alice.user.pk).values_list("agent_json", flat=True)
    assert {"mbox", "account"} == {key for agent in agents for key in json.loads(agent) if key != "objectType"}
    bob_before = _snapshot(bob)

    responses = getattr(platform, signal_name).send(sender=AccountRetirementView, user=alice.user)

    assert [error for _, error in responses if error is not None] == []
    _assert_nothing_names(alice)
    assert _snapshot(bob) == bob_before
    assert not OutboxStatement.objects.filter(statement_id__in=alice.all_statement_ids).exists()

    # Run twice (the pipeline re-runs steps, and both steps reach the plugin): nothing left, no error.
    second_run = retirement.retire_learner(alice.user.pk, [alice.user.email])
    assert {"outboxstatement", "videoviewingstate", "learnercourseagent"} <= set(second_run)
    assert set(second_run.values()) == {0}
    platform.USER_RETIRE_LMS_CRITICAL.send(sender=AccountRetirementView, user=alice.user)
    platform.USER_RETIRE_LMS_MISC.send(sender=AccountRetirementView, user=alice.user)
    _assert_nothing_names(alice)
    assert _snapshot(bob) == bob_before


@pytest.mark.django_db
def test_rows_without_user_id_are_found_by_the_identifiers_in_their_payload(privacy_courses, make_learner):
    connection = privacy_courses()
    alice = make_learner("alice", connection, states=(OutboxState.PENDING,))
    bob = make_learner("bob", connection, states=(OutboxState.PENDING,))
    # Rows queued without a user id: one per learner and course (email agent, then account agent).
    OutboxStatement.objects.update(user_id=None)

    counts = retirement.retire_learner(alice.user.pk, [alice.user.email])

    assert counts["outboxstatement"] == 2
    remaining = set(map(str, OutboxStatement.objects.values_list("statement_id", flat=True)))
    assert remaining == bob.all_statement_ids
    _assert_nothing_names(alice)


@pytest.mark.django_db
def test_an_address_that_only_begins_like_the_learners_is_not_matched(privacy_courses, make_learner):
    connection = privacy_courses()
    retiring = make_learner("al_co", connection, states=(OutboxState.PENDING,), email="al@example.co")
    kept = make_learner("al_com", connection, states=(OutboxState.PENDING,), email="al@example.com")
    OutboxStatement.objects.update(user_id=None)
    # "mailto:al@example.co" is a prefix of "mailto:al@example.com": only whole JSON strings match.
    retirement.retire_learner(retiring.user.pk, [retiring.user.email])
    remaining = {str(s) for s in OutboxStatement.objects.values_list("statement_id", flat=True)}
    assert remaining == kept.all_statement_ids


@pytest.mark.django_db(transaction=True)
def test_a_claimed_row_deleted_by_retirement_is_not_recreated_by_the_worker(privacy_courses, make_learner):
    connection = privacy_courses()
    alice = make_learner("alice", connection, states=(OutboxState.PENDING,))
    claimed = list(OutboxStatement.objects.filter(user_id=alice.user.pk))
    retirement.retire_learner(alice.user.pk)
    # A worker recording its outcome by primary key after the POST finds nothing to update.
    for row in claimed:
        assert OutboxStatement.objects.filter(pk=row.pk).update(state=OutboxState.DELIVERED) == 0
        row.state = OutboxState.DELIVERED
        with pytest.raises(DatabaseError):
            row.save(update_fields=["state"])
    assert not OutboxStatement.objects.filter(user_id=alice.user.pk).exists()


@pytest.mark.django_db
def test_a_failure_fails_the_step_so_the_pipeline_retries_it(django_user_model):
    user = django_user_model.objects.create_user("carol", "carol@example.com", "pw")
    with mock.patch.object(retirement, "retire_learner", side_effect=DatabaseError("disk full")):
        with pytest.raises(retirement.RetirementFailed, match="user id"):
            platform.USER_RETIRE_LMS_CRITICAL.send(sender=AccountRetirementView, user=user)


@pytest.mark.django_db(transaction=True)
def test_lock_timeouts_are_retried_a_bounded_number_of_times(django_user_model, monkeypatch):
    monkeypatch.setattr(retirement, "_RETRY_PAUSE", 0)
    user = django_user_model.objects.create_user("dave", "dave@example.com", "pw")
    real = retirement.retire_learner
    flaky = mock.Mock(side_effect=[OperationalError("lock wait timeout"), real(user.pk)])
    with mock.patch.object(retirement, "retire_learner", flaky):
        platform.USER_RETIRE_LMS_MISC.send(sender=AccountRetirementView, user=user)
    assert flaky.call_count == 2

    always = mock.Mock(side_effect=OperationalError("deadlock"))
    with mock.patch.object(retirement, "retire_learner", always):
        with pytest.raises(retirement.RetirementFailed):
            platform.USER_RETIRE_LMS_MISC.send(sender=AccountRetirementView, user=user)
    assert always.call_count == retirement._ATTEMPTS


def test_a_signal_without_a_user_deletes_nothing_and_does_not_raise():
    with mock.patch.object(retirement, "retire_learner") as retire:
        platform.USER_RETIRE_LMS_CRITICAL.send(sender=AccountRetirementView)
    retire.assert_not_called()


def test_course_keys_used_by_the_fixtures_differ():
    assert COURSE_KEY != ACCOUNT_COURSE_KEY
