"""The public API for other plugins: a statement sent through it arrives at the course's LRSs; an
invalid one raises before anything is queued."""

import json
import uuid

import pytest
from django.db import transaction

from tests.course import support
from xapi_plugin import platform
from xapi_plugin.api import InvalidStatement, send_statement, send_statements
from xapi_plugin.core.constants import ActorMode, OutboxState
from xapi_plugin.delivery import deliver_due
from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement
from xapi_plugin.testing.validation import assert_valid_xapi

COURSE = "course-v1:OrgA+Scorm+2026"
VERB = {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "attempted"}}
ACTIVITY = {"objectType": "Activity", "id": "https://scorm.example.com/package/7",
            "definition": {"name": {"en-US": "Package 7"}}}  # fmt: skip
AGENT = {"objectType": "Agent", "account": {"homePage": "https://scorm.example.com", "name": "anon-1"}}


def _course(endpoint, auth) -> LRSConnection:
    connection = LRSConnection(
        name="Course LRS", endpoint=endpoint, contact_email="o@example.com", scope_courses=COURSE
    )
    connection.key, connection.secret = auth
    connection.save()
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=connection, actor_mode=ActorMode.ACCOUNT)
    return connection


@pytest.fixture
def course(db, settings):
    """The course and its connection (to nowhere: these tests only read the outbox)."""
    settings.XAPI_ACTOR_ID_SALT = "api-salt"
    return _course("http://127.0.0.1:9/xAPI", ("k", "s"))


@pytest.fixture
def course_with_lrs(db, settings, course_lrs):
    settings.XAPI_ACTOR_ID_SALT = "api-salt"
    return _course(course_lrs.endpoint, course_lrs.auth)


@pytest.mark.integration
def test_another_plugins_statement_arrives(course_with_lrs, course_lrs):
    course = course_with_lrs
    user = support.make_user()
    first = send_statement(
        COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY, "result": {"score": {"scaled": 0.8}}},
        user_id=user.pk, source="scorm", source_event_id="attempt-42",
    )  # fmt: skip
    again = send_statement(
        COURSE, {"verb": VERB, "object": ACTIVITY, "result": {"score": {"scaled": 0.8}}},
        user_id=user.pk, source="scorm", source_event_id="attempt-42",
    )  # fmt: skip
    other = send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="cmi5")
    assert first == again != other  # deterministic from the source event; random otherwise
    assert str(uuid.UUID(other)) == other

    rows = OutboxStatement.objects.order_by("pk")
    assert [(str(r.statement_id), r.source, r.verb) for r in rows] == [(first, "scorm", "attempted"),
                                                                      (other, "cmi5", "attempted")]  # fmt: skip
    sent = json.loads(rows[0].payload)
    # The course's actor mode replaced the plugin's actor; a timestamp was added.
    assert sent["actor"]["account"]["name"] == platform.get_external_user_id(user.pk)  # the platform's xAPI id
    assert sent["timestamp"].endswith("Z")
    assert_valid_xapi(sent)
    assert json.loads(rows[1].payload)["actor"] == AGENT  # no user id: the plugin's own actor

    assert deliver_due(course.pk).delivered == 2
    assert sorted(course_lrs.statement_ids()) == sorted([first, other])


@pytest.mark.parametrize(
    "statement, words",
    [
        ({"verb": VERB, "object": ACTIVITY}, "actor is required"),
        ({"actor": AGENT, "object": ACTIVITY}, "verb is required"),
        ({"actor": AGENT, "verb": VERB}, "object is required"),
        ({"actor": AGENT, "verb": {"id": "attempted"}, "object": ACTIVITY}, "verb.id must be an absolute IRI"),
        (
            {"actor": {"mbox": "mailto:a@b.co", "account": AGENT["account"]}, "verb": VERB, "object": ACTIVITY},
            "exactly one of",
        ),
        ({"actor": {"mbox": "a@b.co"}, "verb": VERB, "object": ACTIVITY}, "mailto:"),
        ({"id": "not-a-uuid", "actor": AGENT, "verb": VERB, "object": ACTIVITY}, "id must be a UUID"),
        ({"actor": AGENT, "verb": VERB, "object": ACTIVITY, "result": {"score": {"scaled": 1.5}}}, "from -1 to 1"),
        ({"actor": AGENT, "verb": VERB, "object": ACTIVITY, "timestamp": "yesterday"}, "ISO 8601"),
        ({"actor": AGENT, "verb": VERB, "object": ACTIVITY, "context": {"registration": "x"}}, "registration"),
        ({"actor": AGENT, "verb": VERB, "object": ACTIVITY, "stored": "2026-01-01T00:00:00Z"}, "set by the LRS"),
        ({"actor": AGENT, "verb": VERB, "object": ACTIVITY, "colour": "red"}, "not an xAPI statement property"),
        ({"actor": AGENT, "verb": {"id": VERB["id"], "display": {"english": 1}}, "object": ACTIVITY}, "language"),
        ({"actor": AGENT, "verb": VERB, "object": {"id": "https://x.example", "objectType": "Song"}}, "Song"),
        ({"actor": AGENT, "verb": VERB, "object": ACTIVITY, "result": {"duration": "5 minutes"}}, "duration"),
        ("not a dict", "JSON object"),
        ({"actor": AGENT, "verb": VERB, "object": ACTIVITY, "extra": object()}, "plain JSON"),
    ],
)
def test_invalid_statement_raises_and_queues_nothing(course, statement, words):
    with pytest.raises(InvalidStatement) as raised:
        send_statement(COURSE, statement, source="scorm")
    assert words in str(raised.value)
    assert raised.value.problems
    assert not OutboxStatement.objects.exists()


def test_bad_calls_raise(course):
    statement = {"actor": AGENT, "verb": VERB, "object": ACTIVITY}
    for kwargs, words in (
        ({"source": "course"}, "reserved"),
        ({"source": "My Plugin!"}, "lower case"),
    ):
        with pytest.raises(InvalidStatement, match=words):
            send_statement(COURSE, statement, **kwargs)
    with pytest.raises(InvalidStatement, match="not a course key"):
        send_statement("not a course", statement, source="scorm")


def test_batch_is_all_or_nothing_and_in_the_callers_transaction(course):
    good = {"actor": AGENT, "verb": VERB, "object": ACTIVITY}
    with pytest.raises(InvalidStatement) as raised:
        send_statements(COURSE, [good, {**good, "verb": {"id": "nope"}}], source="scorm")
    assert raised.value.index == 1 and str(raised.value).startswith("statement 1:")
    assert not OutboxStatement.objects.exists()

    ids = send_statements(COURSE, [good, good], source="scorm", source_event_ids=["a", "b"])
    assert len(set(ids)) == 2 and OutboxStatement.objects.count() == 2

    with pytest.raises(RuntimeError), transaction.atomic():
        send_statement(COURSE, good, source="scorm", source_event_id="c")
        raise RuntimeError("the caller's transaction fails")
    assert OutboxStatement.objects.count() == 2  # rolled back with it
    assert set(OutboxStatement.objects.values_list("state", flat=True)) == {OutboxState.PENDING}


def test_retired_learner_gets_nothing(course):
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    user = support.make_user()
    standin_platform.retire_user(user.pk)
    assert send_statement(COURSE, {"verb": VERB, "object": ACTIVITY}, user_id=user.pk, source="scorm") == ""
    assert not OutboxStatement.objects.exists()
