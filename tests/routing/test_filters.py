"""The openedx-filters step ``org.openedx.learning.xapi.statement.queued.v1``: an operator's plugin
changes or drops statements before they are queued (our own families and other plugins' alike)."""

import json
import logging
from datetime import UTC, datetime

import pytest
from openedx_events.learning import signals
from openedx_filters import PipelineStep

from tests.course import support
from xapi_plugin.api import send_statement
from xapi_plugin.core.constants import ConnectionCoverage
from xapi_plugin.models import CourseSettings, OutboxStatement
from xapi_plugin.routing import StatementQueued
from xapi_plugin.testing import standin_platform

COURSE = "course-v1:OrgA+Filters+2026"
TAG = "https://operator.example.com/xapi/extensions/tenant"
VERB = {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "attempted"}}
ACTIVITY = {"objectType": "Activity", "id": "https://scorm.example.com/package/7"}
AGENT = {"objectType": "Agent", "account": {"homePage": "https://scorm.example.com", "name": "anon-1"}}
SEEN: list[dict] = []


class TagTenant(PipelineStep):
    """Adds the operator's tenant to every statement's context."""

    def run_filter(self, statement, course_key, user_id, source):
        SEEN.append({"course_key": course_key, "user_id": user_id, "source": source})
        context = dict(statement.get("context", {}))
        context["extensions"] = {**context.get("extensions", {}), TAG: self.extra_config.get("tenant", "?")}
        return {"statement": {**statement, "context": context}}


class DropCmi5(PipelineStep):
    """Drops whatever the cmi5 plugin sends."""

    def run_filter(self, statement, course_key, user_id, source):
        return {"statement": None} if source == "cmi5" else {}


class BreakVerb(PipelineStep):
    def run_filter(self, statement, course_key, user_id, source):
        return {"statement": {**statement, "verb": {"id": "no iri"}}}


def _configure(settings, *steps, **extra):
    settings.OPEN_EDX_FILTERS_CONFIG = {
        StatementQueued.filter_type: {
            "pipeline": [f"{__name__}.{step.__name__}" for step in steps],
            "fail_silently": False,
            **extra,
        }
    }


@pytest.fixture
def course(db, make_connection):
    SEEN.clear()
    standin_platform.make_course(COURSE, "Filters", sections=1, units=1)
    own = make_connection(name="Own")
    make_connection(name="Site", coverage=ConnectionCoverage.SITE)
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=own)
    return own


def _payloads(**filters):
    return [json.loads(row.payload) for row in OutboxStatement.objects.filter(**filters).order_by("pk")]


def test_filter_changes_our_statements_and_other_plugins(settings, course):
    _configure(settings, TagTenant, DropCmi5, tenant="north")
    user = support.make_user()
    signals.COURSE_ENROLLMENT_CREATED.send_event(
        send_robust=False, time=datetime(2026, 3, 2, tzinfo=UTC), enrollment=support.enrollment(user, COURSE)
    )
    send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="scorm")
    payloads = _payloads()
    assert len(payloads) == 4  # two statements, two connections each
    assert all(p["context"]["extensions"][TAG] == "north" for p in payloads)
    # Run once per statement, before the copies per connection.
    assert [s["source"] for s in SEEN] == ["course", "scorm"]
    assert SEEN[0] == {"course_key": COURSE, "user_id": user.pk, "source": "course"}


def test_filter_drops_statements(settings, course):
    _configure(settings, DropCmi5)
    send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="cmi5")
    assert not OutboxStatement.objects.exists()
    send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="scorm")
    assert OutboxStatement.objects.count() == 2


def test_a_filter_that_breaks_a_statement_drops_it_and_says_so(settings, course, caplog):
    _configure(settings, BreakVerb)
    with caplog.at_level(logging.ERROR, logger="xapi_plugin.routing.filters"):
        send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="scorm")
    assert not OutboxStatement.objects.exists()
    assert "made statement" in caplog.text and "verb.id" in caplog.text


def test_without_configuration_nothing_changes(settings, course):
    settings.OPEN_EDX_FILTERS_CONFIG = {}
    send_statement(COURSE, {"actor": AGENT, "verb": VERB, "object": ACTIVITY}, source="scorm")
    assert all("context" not in p for p in _payloads())
    assert not SEEN
