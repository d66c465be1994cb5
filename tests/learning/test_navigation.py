"""Navigation statements from the LMS's navigation events, in the shapes the platform sends them.

Sequence events are what the learning MFE posts to ``/event`` (``Sequence.jsx``; platform-facts
§3.2/§3.4): ``data.id`` is the unit being left, the course comes from the page URL. Link and
outline events are the legacy LMS pages' (``current_url``/``target_url``/``target_name``).
"""

import json

import pytest

from tests.course.support import assert_independently_valid, outbox
from xapi_plugin.core import metrics
from xapi_plugin.intake import XapiTrackingBackend, tracking_event_emitted_receiver
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.testing import standin_platform

COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"
ROOT = "http://lms.stand-in.test"
SEQUENCE = "block-v1:edX+DemoX+Demo_Course+type@sequential+block@s1"
UNIT = "block-v1:edX+DemoX+Demo_Course+type@vertical+block@u2"
MFE_PAGE = f"https://apps.example.com/learning/course/{COURSE_KEY}/{SEQUENCE}/{UNIT}"


def mfe_event(name: str, user_id: int, second: int = 0, *, with_course: bool = False, **data) -> dict:
    """A raw event as a top-level eventtracking backend gets it from the MFE (through ``user_track``)."""
    context = {"user_id": user_id, "username": "ada", "event_source": "browser", "page": MFE_PAGE, "path": "/event"}
    if with_course:
        context.update(course_id=COURSE_KEY, org_id="edX")
    payload = {"current_tab": 2, "id": UNIT, "tab_count": 5, "widget_placement": "top", **data}
    return {"name": name, "timestamp": f"2026-03-02T10:00:{second:02d}+00:00", "data": payload, "context": context}


@pytest.fixture
def learner(django_user_model, make_course_settings):
    standin_platform.make_course(COURSE_KEY, "Demo course")
    make_course_settings()
    return django_user_model.objects.create_user("ada", "ada@example.com", "pw")


@pytest.mark.django_db
@pytest.mark.integration
def test_sequence_moves_are_navigated_from_the_unit_left(learner, local_lrs):
    send = XapiTrackingBackend().send
    send(mfe_event("edx.ui.lms.sequence.next_selected", learner.pk, 1))
    send(mfe_event("edx.ui.lms.sequence.previous_selected", learner.pk, 2, with_course=True))
    send(mfe_event("edx.ui.lms.sequence.tab_selected", learner.pk, 3, target_tab=4, widget_placement="left"))
    statements = outbox()
    assert [s["verb"]["id"] for s in statements] == [v.VERB_NAVIGATED] * 3
    for statement in statements:
        assert statement["object"]["id"] == f"{ROOT}/xblock/{UNIT}"
        assert statement["object"]["definition"]["type"] == v.ACTIVITY_RESOURCE
        assert statement["object"]["definition"]["extensions"] == {v.EXT_TOTAL_ITEMS: 5}
        parent = statement["context"]["contextActivities"]["parent"][0]
        assert (parent["id"], parent["definition"]["type"]) == (f"{ROOT}/course/{COURSE_KEY}", v.ACTIVITY_COURSE)
        assert statement["context"]["extensions"][v.EXT_STARTING_POSITION] == 2
        assert statement["actor"] == {"objectType": "Agent", "mbox": "mailto:ada@example.com"}
    assert [s["context"]["extensions"][v.EXT_ENDING_POINT] for s in statements] == ["next unit", "previous unit", "4"]
    assert len({s["id"] for s in statements}) == 3
    assert_independently_valid(statements, local_lrs)


@pytest.mark.django_db
@pytest.mark.integration
def test_links_and_outline_entries_are_navigated_to_their_target(learner, local_lrs):
    page = f"http://lms.stand-in.test/courses/{COURSE_KEY}/courseware/intro/"
    target = f"http://lms.stand-in.test/courses/{COURSE_KEY}/jump_to/{UNIT}"
    legacy = {"user_id": learner.pk, "event_source": "browser", "page": page}
    XapiTrackingBackend().send(
        {
            "name": "edx.ui.lms.link_clicked",
            "timestamp": "2026-03-02T10:01:00+00:00",
            "data": {"current_url": page, "target_url": target},
            "context": legacy,
        }
    )
    XapiTrackingBackend().send(
        {
            "name": "edx.ui.lms.outline.selected",
            "timestamp": "2026-03-02T10:02:00+00:00",
            "data": {
                "current_url": page,
                "target_url": target,
                "target_name": "Unit 2",
                "widget_placement": "accordion",
            },
            "context": legacy,
        }
    )
    link, outline = outbox()
    assert (link["object"]["id"], link["object"]["definition"]["type"]) == (target, v.ACTIVITY_LINK)
    assert outline["object"]["definition"] == {"type": v.ACTIVITY_MODULE, "name": {"en-US": "Unit 2"}}
    # Aspects forces the starting position of links and modules to 0: none is sent.
    assert v.EXT_STARTING_POSITION not in link["context"].get("extensions", {})
    assert link["context"]["contextActivities"]["parent"][0]["id"] == f"{ROOT}/course/{COURSE_KEY}"
    assert_independently_valid([link, outline], local_lrs)


@pytest.mark.django_db
def test_the_event_bus_path_gives_the_same_statement(learner):
    """``TRACKING_EVENT_EMITTED`` carries data and context as JSON strings."""

    class TrackingLog:
        name = "edx.ui.lms.sequence.next_selected"
        timestamp = "2026-03-02T10:00:05+00:00"
        data = json.dumps(mfe_event(name, learner.pk)["data"])
        context = json.dumps(mfe_event(name, learner.pk)["context"])

    tracking_event_emitted_receiver(tracking_log=TrackingLog())
    (statement,) = outbox()
    assert statement["object"]["id"] == f"{ROOT}/xblock/{UNIT}"


@pytest.mark.django_db
def test_the_course_setting_turns_the_family_off(django_user_model, make_course_settings):
    standin_platform.make_course(COURSE_KEY, "Demo course")
    make_course_settings(send_navigation_statements=False)
    user = django_user_model.objects.create_user("bo", "bo@example.com", "pw")
    XapiTrackingBackend().send(mfe_event("edx.ui.lms.sequence.next_selected", user.pk))
    assert outbox() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"id": "not-a-usage-key"},
        {"current_tab": 0},
        {"current_tab": "two"},
        {"current_tab": True},
    ],
)
def test_malformed_navigation_is_skipped_and_counted(learner, data):
    before = metrics.read_counters()[metrics.SKIPPED_EVENTS]
    XapiTrackingBackend().send(mfe_event("edx.ui.lms.sequence.next_selected", learner.pk, **data))
    assert outbox() == []
    assert metrics.read_counters()[metrics.SKIPPED_EVENTS] == before + 1


@pytest.mark.django_db
def test_anonymous_visitors_and_external_links_without_a_course_send_nothing(learner):
    XapiTrackingBackend().send(dict(mfe_event("edx.ui.lms.sequence.next_selected", learner.pk), context={}))
    before = metrics.read_counters()[metrics.SKIPPED_EVENTS]
    XapiTrackingBackend().send(
        {
            "name": "edx.ui.lms.link_clicked",
            "timestamp": "2026-03-02T10:01:00+00:00",
            "data": {"current_url": "https://example.org/", "target_url": "https://example.org/b"},
            "context": {"user_id": learner.pk, "event_source": "browser"},
        }
    )
    assert outbox() == []
    assert metrics.read_counters()[metrics.SKIPPED_EVENTS] == before + 1
