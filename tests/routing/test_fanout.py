"""One statement, one outbox row per connection: the course's own LRS and an operator's site-wide one,
each with its own actor mode, each receiving every statement exactly once, one of them down for a while.

Real pieces: openedx-events signals through the plugin's receivers, two Learning Locker LRS
processes, a proxy that stops listening, the delivery runner.
"""

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from openedx_events.learning import signals

from tests.course import support
from xapi_plugin import platform
from xapi_plugin.api import send_statement
from xapi_plugin.core.constants import ActorMode, ConnectionCoverage, ConnectionStatus, OutboxState
from xapi_plugin.delivery import deliver_due
from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement
from xapi_plugin.testing import standin_platform

pytestmark = pytest.mark.integration

OWN_COURSE = "course-v1:OrgA+Bio+2026"  # chose its own LRS, email actors
BARE_COURSE = "course-v1:OrgB+Law+2026"  # no xAPI settings at all
SALT = "routing-test-salt"


def _connection(name, lrs_or_proxy, key, secret, **fields) -> LRSConnection:
    connection = LRSConnection(name=name, endpoint=lrs_or_proxy.endpoint, contact_email="ops@example.com", **fields)
    connection.key, connection.secret = key, secret
    connection.full_clean()
    connection.save()
    return connection


def _enrol(user, course_key):
    signals.COURSE_ENROLLMENT_CREATED.send_event(
        send_robust=False, time=datetime(2026, 3, 2, 10, 0, tzinfo=UTC), enrollment=support.enrollment(user, course_key)
    )


def _ids(lrs) -> Counter:
    return Counter(lrs.statement_ids())


def _deliver(connection):
    # Let a backing-off connection try now (what the backoff does after its delay).
    LRSConnection.objects.filter(pk=connection.pk).update(retry_at=timezone.now())
    return deliver_due(connection.pk)


@pytest.fixture
def routed(db, settings, course_lrs, site_lrs, site_proxy):
    settings.XAPI_ACTOR_ID_SALT = SALT
    for key, name in ((OWN_COURSE, "Biology"), (BARE_COURSE, "Law")):
        standin_platform.make_course(key, name, sections=1, units=1)
    own = _connection("Biology LRS", course_lrs, course_lrs.key, course_lrs.secret, scope_courses=OWN_COURSE)
    site = _connection(
        "Aspects LRS", site_proxy, "k", "s", coverage=ConnectionCoverage.SITE, actor_mode=ActorMode.ACCOUNT
    )
    CourseSettings.objects.create(course_key=OWN_COURSE, enabled=True, connection=own, actor_mode=ActorMode.EMAIL)
    return own, site


def test_site_wide_and_own_lrs_each_get_every_statement_once_with_their_actor_mode(
    routed, course_lrs, site_lrs, site_proxy
):
    own, site = routed
    user = support.make_user(email="learner@example.com")
    site_proxy.go_down()  # the operator's LRS is away for a while

    _enrol(user, OWN_COURSE)
    _enrol(user, BARE_COURSE)
    _enrol(user, OWN_COURSE)  # the platform repeats itself: nothing new
    api_id = send_statement(
        OWN_COURSE,
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "attempted"}},
         "object": {"id": "https://scorm.example.com/package/7", "objectType": "Activity"}},
        user_id=user.pk, source="scorm", source_event_id="attempt-1",
    )  # fmt: skip

    rows = OutboxStatement.objects.order_by("pk")
    by_connection = Counter(rows.values_list("connection__name", flat=True))
    assert by_connection == {"Biology LRS": 2, "Aspects LRS": 3}, by_connection
    own_ids = set(rows.filter(connection=own).values_list("statement_id", flat=True))
    site_ids = set(rows.filter(connection=site).values_list("statement_id", flat=True))
    assert own_ids < site_ids  # the same statements (same ids), plus the bare course's
    assert set(rows.values_list("source", flat=True)) == {"course", "scorm"}
    for row in rows.filter(connection=own):  # each row has its own bytes
        twin = rows.get(connection=site, statement_id=row.statement_id)
        assert json.loads(row.payload)["actor"] == {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
        # The site-wide LRS wants account ids: the platform's xAPI ExternalId, as the learner's own identity uses.
        assert json.loads(twin.payload)["actor"]["account"]["name"] == platform.get_external_user_id(user.pk)
        assert "learner@example.com" not in twin.payload
        assert {**json.loads(row.payload), "actor": None} == {**json.loads(twin.payload), "actor": None}

    # The course's LRS gets its statements while the other one is down.
    assert deliver_due(own.pk).delivered == 2
    failed = _deliver(site)
    assert failed.delivered == 0
    assert LRSConnection.objects.get(pk=site.pk).status == ConnectionStatus.CANT_CONNECT
    assert LRSConnection.objects.get(pk=own.pk).status == ConnectionStatus.OK
    assert _ids(course_lrs) == Counter({str(i): 1 for i in own_ids})
    assert api_id in {str(i) for i in own_ids}

    site_proxy.come_up()
    assert _deliver(site).delivered == 3
    assert _deliver(site).delivered == 0  # nothing twice
    assert _ids(site_lrs) == Counter({str(i): 1 for i in site_ids})
    assert _ids(course_lrs) == Counter({str(i): 1 for i in own_ids})
    assert not OutboxStatement.objects.exclude(state=OutboxState.DELIVERED).exists()
    stored = {s["id"]: s for s in site_lrs.all_statements()}
    assert all("account" in s["actor"] for s in stored.values())
    assert all("mbox" in s["actor"] for s in course_lrs.all_statements())


def test_families_and_organisation_coverage(db, settings, make_connection):
    from xapi_plugin.core.constants import StatementFamily  # noqa: PLC0415
    from xapi_plugin.routing import destinations, routing_settings  # noqa: PLC0415
    from xapi_plugin.studio import get_course_settings  # noqa: PLC0415

    own = make_connection(name="Own", available_to_all=False, scope_organisations="OrgA")
    org = make_connection(
        name="OrgA analytics", available_to_all=False, scope_organisations="OrgA",
        coverage=ConnectionCoverage.ORGANISATIONS, send_video_statements=False,
    )  # fmt: skip
    site = make_connection(name="Site", coverage=ConnectionCoverage.SITE, send_course_statements=False)
    CourseSettings.objects.create(course_key=OWN_COURSE, enabled=True, connection=own, send_video_statements=False)

    def names(course_key, family):
        settings_ = routing_settings(course_key, get_course_settings(course_key))
        return [d.name for d in destinations(course_key, family, settings_)]

    assert names(OWN_COURSE, StatementFamily.COURSE) == ["Own", "OrgA analytics"]
    assert names(OWN_COURSE, StatementFamily.VIDEO) == ["Site"]
    assert names(OWN_COURSE, StatementFamily.OTHER) == ["Own", "OrgA analytics", "Site"]
    assert names(BARE_COURSE, StatementFamily.COURSE) == []
    assert names(BARE_COURSE, StatementFamily.VIDEO) == ["Site"]
    # The course chose the organisation's connection itself: still one row per statement.
    CourseSettings.objects.filter(course_key=OWN_COURSE).update(connection=org)
    from xapi_plugin.studio import invalidate_course_settings  # noqa: PLC0415

    invalidate_course_settings(OWN_COURSE)
    assert names(OWN_COURSE, StatementFamily.COURSE) == ["OrgA analytics"]
    # Switched off by the operator: scope changes are seen at once.
    LRSConnection.objects.filter(pk=site.pk).update(coverage=ConnectionCoverage.CHOSEN)
    site.refresh_from_db()
    site.save()  # the save signal reloads every process's scopes
    assert names(BARE_COURSE, StatementFamily.VIDEO) == []

