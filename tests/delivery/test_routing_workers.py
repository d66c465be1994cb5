"""Routing through real Celery workers (MariaDB, Redis): a statement queued to the course's own LRS and
an operator's site-wide one; the site LRS is down for a while and never delays the course's.
"""

from collections import Counter

import pytest

from tests.course import support
from tests.delivery.realhost import wait_for
from tests.routing.test_fanout import OWN_COURSE, SALT, _connection
from xapi_plugin.core.constants import ActorMode, ConnectionCoverage, ConnectionStatus, OutboxState
from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement
from xapi_plugin.testing.local_lrs import LocalLRS

pytestmark = pytest.mark.integration


def _delivered(connection) -> int:
    return OutboxStatement.objects.filter(connection=connection, state=OutboxState.DELIVERED).count()


def test_a_failing_lrs_never_delays_the_other(real_host, settings, proxy, fresh_lrs):
    site_proxy, site_lrs = proxy, fresh_lrs
    course_lrs = LocalLRS().start()
    try:
        _run(real_host, settings, course_lrs, site_lrs, site_proxy)
    finally:
        course_lrs.stop()


def _run(real_host, settings, course_lrs, site_lrs, site_proxy):
    from xapi_plugin.api import send_statements  # noqa: PLC0415

    settings.XAPI_ACTOR_ID_SALT = SALT
    own = _connection("Biology LRS", course_lrs, course_lrs.key, course_lrs.secret, scope_courses=OWN_COURSE)
    site = _connection(
        "Aspects LRS", site_proxy, "k", "s", coverage=ConnectionCoverage.SITE, actor_mode=ActorMode.ACCOUNT
    )
    CourseSettings.objects.create(course_key=OWN_COURSE, enabled=True, connection=own, actor_mode=ActorMode.EMAIL)
    user = support.make_user(email="learner@example.com")
    real_host.start_worker("w1", beat=True)
    site_proxy.go_down()

    statement = {"verb": {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "attempted"}},
                 "object": {"id": "https://scorm.example.com/package/7", "objectType": "Activity"}}  # fmt: skip
    ids = []
    for batch in range(6):
        ids += send_statements(
            OWN_COURSE, [statement] * 20, user_id=user.pk, source="scorm",
            source_event_ids=[f"{batch}-{n}" for n in range(20)],
        )  # fmt: skip
    assert len(set(ids)) == 120
    wait_for(lambda: _delivered(own) == 120, 30, "the course's LRS to get everything while the other is down")
    wait_for(lambda: LRSConnection.objects.get(pk=site.pk).status == ConnectionStatus.CANT_CONNECT, 20, "CANT_CONNECT")
    assert _delivered(site) == 0
    assert Counter(course_lrs.statement_ids()) == Counter({i: 1 for i in ids})

    site_proxy.come_up()
    wait_for(lambda: _delivered(site) == 120, 30, "the operator's LRS to catch up")
    assert Counter(site_lrs.statement_ids()) == Counter({i: 1 for i in ids})
    assert Counter(course_lrs.statement_ids()) == Counter({i: 1 for i in ids})
    assert all("account" in s["actor"] for s in site_lrs.all_statements())
    assert all(s["actor"].get("mbox") == "mailto:learner@example.com" for s in course_lrs.all_statements())
