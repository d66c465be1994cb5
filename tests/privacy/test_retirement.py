"""Retiring a learner through the platform's retirement signals leaves nothing of theirs in the plugin."""

import json
import uuid
from unittest import mock

import pytest
from django.apps import apps
from django.db import DatabaseError, OperationalError
from django.test.utils import override_settings

from tests.conftest import COURSE_KEY
from tests.privacy.conftest import ACCOUNT_COURSE_KEY, STATES
from xapi_plugin import platform
from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import OutboxState
from xapi_plugin.models import LearnerCourseAgent, OutboxStatement, VideoViewingState
from xapi_plugin.privacy import retirement
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
def test_rows_a_worker_claimed_before_retirement_are_not_recreated_when_it_records_the_outcome(
    privacy_courses, make_learner
):
    from xapi_plugin.delivery.claims import claim_batch  # noqa: PLC0415
    from xapi_plugin.delivery.outcomes import BatchResult, record_result  # noqa: PLC0415

    connection = privacy_courses()
    alice = make_learner("alice", connection, states=(OutboxState.PENDING,))
    bob = make_learner("bob", connection, states=(OutboxState.PENDING,))
    claimed = claim_batch(connection.pk, 10)
    assert len(claimed) == 4  # two rows each, one per course

    retirement.retire_learner(alice.user.pk)
    # The POST succeeded for the whole batch; the worker records it after the retirement.
    counts = record_result(connection.pk, BatchResult(delivered=claimed, lrs_answered=True))

    assert counts["delivered"] == 2
    assert not OutboxStatement.objects.filter(user_id=alice.user.pk).exists()
    assert set(OutboxStatement.objects.values_list("user_id", "state").distinct()) == {
        (bob.user.pk, OutboxState.DELIVERED)
    }


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


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_after_retirement_delivery_sends_the_others_and_nothing_of_the_retired_learner(
    local_lrs, privacy_courses, make_learner
):
    from xapi_plugin.delivery.runner import deliver_due  # noqa: PLC0415

    salt = f"salt-{uuid.uuid4()}"  # account names unique to this test in the session's shared LRS
    with override_settings(XAPI_ACTOR_ID_SALT=salt):
        connection = privacy_courses(endpoint=local_lrs.endpoint)
        alice = make_learner(f"alice-{uuid.uuid4().hex[:8]}", connection)
        bob = make_learner(f"bob-{uuid.uuid4().hex[:8]}", connection)
        bob_pending = set(
            map(
                str,
                OutboxStatement.objects.filter(user_id=bob.user.pk, state=OutboxState.PENDING).values_list(
                    "statement_id", flat=True
                ),
            )
        )

        platform.USER_RETIRE_LMS_CRITICAL.send(sender=AccountRetirementView, user=alice.user)
        report = deliver_due(connection.pk)

        assert report.delivered == len(bob_pending) == 2  # one pending statement per course
        in_lrs = local_lrs.all_statements()
        ids_in_lrs = {statement["id"] for statement in in_lrs}
        assert bob_pending <= ids_in_lrs
        assert not alice.all_statement_ids & ids_in_lrs
        alice_names = {f"mailto:{alice.user.email}", opaque_account_name(alice.user.pk, salt)}
        for statement in in_lrs:
            actor = statement["actor"]
            assert actor.get("mbox") not in alice_names
            assert actor.get("account", {}).get("name") not in alice_names
        _assert_nothing_names(alice)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signal_name", ["USER_RETIRE_LMS_CRITICAL", "USER_RETIRE_LMS_MISC"])
def test_retirement_finds_the_original_email_the_platform_already_replaced(signal_name, privacy_courses, make_learner):
    """At signal time ``user.email`` is the retired placeholder; ``UserRetirementStatus.original_email`` is not."""
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    connection = privacy_courses()
    alice = make_learner("alice", connection, states=(OutboxState.PENDING,))
    bob = make_learner("bob", connection, states=(OutboxState.PENDING,))
    original = alice.user.email
    # Rows queued without a user id, and no fixed agent left to name the address: only the email can find them.
    OutboxStatement.objects.update(user_id=None)
    LearnerCourseAgent.objects.filter(user_id=alice.user.pk).delete()
    assert OutboxStatement.objects.filter(payload__contains=json.dumps(f"mailto:{original}")).exists()

    status = standin_platform.request_retirement(alice.user.pk)  # the learner deleted their account
    alice.user.refresh_from_db()
    assert alice.user.email == status.retired_email != original
    assert alice.user.username == "alice"  # renamed only at the end of the last step
    assert platform.get_original_email(alice.user.pk) == original

    getattr(platform, signal_name).send(sender=AccountRetirementView, user=alice.user)

    assert not OutboxStatement.objects.filter(payload__contains=json.dumps(f"mailto:{original}")).exists()
    remaining = {str(s) for s in OutboxStatement.objects.values_list("statement_id", flat=True)}
    assert remaining == bob.all_statement_ids


@pytest.mark.django_db
def test_a_platform_that_cannot_say_the_original_email_fails_the_step(django_user_model, monkeypatch):
    user = django_user_model.objects.create_user("carol", "carol@example.com", "pw")

    def broken(user_id):
        raise DatabaseError("user_api unavailable")

    monkeypatch.setattr(platform, "get_original_email", broken)
    with pytest.raises(retirement.RetirementFailed, match="original email"):
        platform.USER_RETIRE_LMS_CRITICAL.send(sender=AccountRetirementView, user=user)
