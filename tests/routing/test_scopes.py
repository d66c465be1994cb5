"""Scoped connections: course staff of organisation A cannot see, choose or learn of B's connection;
narrowing a scope stops the courses left outside and tells the operator which they are."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from xapi_plugin.core.constants import ConnectionCoverage
from xapi_plugin.models import CourseSettings, LRSConnection
from xapi_plugin.routing import course_org, may_use, usable_connection_names
from xapi_plugin.testing import standin_platform

A_COURSE = "course-v1:OrgA+Bio101+2026"
A_OTHER = "course-v1:OrgA+Chem+2026"
B_COURSE = "course-v1:OrgB+Law+2026"


def page(course_key):
    return reverse("xapi_plugin:course_settings", args=[course_key])


@pytest.fixture
def scoped(make_connection):
    """One connection per organisation, one for a single course, one open to all."""
    return {
        "a": make_connection(name="OrgA LRS", available_to_all=False, scope_organisations="OrgA"),
        "b": make_connection(name="OrgB secret LRS", available_to_all=False, scope_organisations="OrgB\n"),
        "one": make_connection(name="Chem only LRS", available_to_all=False, scope_courses=A_OTHER),
        "all": make_connection(name="Shared LRS", available_to_all=True),
    }


@pytest.fixture
def a_staff(db):
    user = get_user_model().objects.create_user("a_author", "a@example.com")
    standin_platform.make_course(A_COURSE, display_name="Biology")
    standin_platform.add_course_staff(A_COURSE, user.pk)
    return user


def test_course_org_of_every_key_shape():
    assert course_org(A_COURSE) == "OrgA"
    assert course_org("ccx-v1:OrgA+Bio101+2026+ccx@3") == "OrgA"
    assert course_org("OrgA/Bio101/2026") == "OrgA"


def test_only_connections_in_scope_are_usable(scoped):
    assert usable_connection_names(A_COURSE) == ["OrgA LRS", "Shared LRS"]
    assert usable_connection_names(A_OTHER) == ["Chem only LRS", "OrgA LRS", "Shared LRS"]
    assert usable_connection_names(B_COURSE) == ["OrgB secret LRS", "Shared LRS"]
    # A CCX of a course listed by key may use it as its master course does.
    assert may_use(scoped["one"], "ccx-v1:OrgA+Chem+2026+ccx@1")
    unscoped = LRSConnection(name="Nobody's")
    assert not may_use(unscoped, A_COURSE)


def test_staff_of_a_cannot_see_b_connection_on_the_page(client, a_staff, scoped):
    client.force_login(a_staff)
    html = client.get(page(A_COURSE)).content.decode()
    assert "OrgA LRS" in html and "Shared LRS" in html
    assert "OrgB secret LRS" not in html and "Chem only LRS" not in html


def _refusal(client, course_key, name) -> str:
    form = {"enabled": "on", "lrs": name, "actor_mode": "email", "video_end_percent": "100",
            "video_end_seconds": "0", "beacon_interval": "quarters"}  # fmt: skip
    response = client.post(page(course_key), form)
    assert response.status_code == 400
    return " ".join(response.context["form"].errors["lrs"])


def test_staff_of_a_cannot_choose_or_learn_of_b_connection(client, a_staff, scoped):
    client.force_login(a_staff)
    existing = _refusal(client, A_COURSE, "OrgB secret LRS")
    missing = _refusal(client, A_COURSE, "No such LRS")
    # Same words whether the name exists elsewhere or not; only usable names are listed.
    assert existing.replace("OrgB secret LRS", "X") == missing.replace("No such LRS", "X")
    assert '"OrgA LRS"' in existing and '"Shared LRS"' in existing
    assert "Chem only LRS" not in existing
    assert not CourseSettings.objects.filter(course_key=A_COURSE).exists()


def test_advanced_settings_refuse_b_connection_without_listing_others(a_staff, scoped):
    from xapi_plugin.studio import sync_course_settings  # noqa: PLC0415

    standin_platform.set_other_course_settings(A_COURSE, {"xapi": {"enabled": True, "lrs": "OrgB secret LRS"}})
    result = sync_course_settings(A_COURSE)
    assert result.outcome == "refused"
    assert "available to this course" in result.message
    assert result.message.count("OrgB secret LRS") == 1  # only the name typed, echoed back
    assert "Chem only LRS" not in result.message
    row = CourseSettings.objects.get(course_key=A_COURSE)
    assert row.connection_id is None and not row.enabled

    standin_platform.set_other_course_settings(A_COURSE, {"xapi": {"enabled": True, "lrs": "OrgA LRS"}})
    assert sync_course_settings(A_COURSE).outcome == "applied"
    assert CourseSettings.objects.get(course_key=A_COURSE).connection == scoped["a"]


def test_admin_refuses_a_course_outside_the_scope(admin_client, scoped):
    response = admin_client.post(
        reverse("admin:xapi_plugin_coursesettings_add"),
        {"course_key": B_COURSE, "enabled": "on", "connection": scoped["a"].pk, "actor_mode": "email",
         "video_end_percent": 100, "video_end_seconds": 0, "beacon_interval": "quarters",
         "send_course_statements": "on", "send_video_statements": "on"},  # fmt: skip
    )
    assert response.status_code == 200
    assert "not open to this course" in response.content.decode()
    assert not CourseSettings.objects.filter(course_key=B_COURSE).exists()


def _admin_form(connection, **changes) -> dict:
    data = {
        "name": connection.name, "endpoint": connection.endpoint, "auth_type": connection.auth_type,
        "contact_email": connection.contact_email, "enabled": "on", "token_url": "", "scope": "",
        "scope_organisations": connection.scope_organisations, "scope_courses": connection.scope_courses,
        "coverage": connection.coverage, "actor_mode": connection.actor_mode,
        "send_course_statements": "on", "send_video_statements": "on", "send_other_statements": "on",
    }  # fmt: skip
    if connection.available_to_all:
        data["available_to_all"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_narrowing_a_scope_tells_the_operator_and_the_courses_that_lost_it(
    admin_client, scoped, make_course_settings
):
    from xapi_plugin.core.constants import StatementFamily  # noqa: PLC0415
    from xapi_plugin.routing import destinations, routing_settings  # noqa: PLC0415
    from xapi_plugin.studio import get_course_settings  # noqa: PLC0415

    shared = scoped["all"]
    make_course_settings(course_key=A_COURSE, connection=shared)
    make_course_settings(course_key=B_COURSE, connection=shared)
    url = reverse("admin:xapi_plugin_lrsconnection_change", args=[shared.pk])
    detail = admin_client.get(url).content.decode()
    assert A_COURSE in detail and B_COURSE in detail  # the courses using it
    listing = admin_client.get(reverse("admin:xapi_plugin_lrsconnection_changelist")).content.decode()
    assert "any course may choose it" in listing and "organisations: OrgA" in listing

    response = admin_client.post(
        url, _admin_form(shared, available_to_all=None, scope_organisations="OrgA"), follow=True
    )
    assert response.status_code == 200
    shown = " ".join(str(message) for message in response.context["messages"])
    assert "1 course(s)" in shown and B_COURSE in shown and A_COURSE not in shown
    lost = CourseSettings.objects.get(course_key=B_COURSE)
    assert "no longer available to this course" in lost.studio_error
    assert CourseSettings.objects.get(course_key=A_COURSE).studio_error == ""
    # B's statements stop going there at once; A's still do.
    for key, expected in ((A_COURSE, [shared.pk]), (B_COURSE, [])):
        settings = routing_settings(key, get_course_settings(key))
        assert [d.connection_id for d in destinations(key, StatementFamily.COURSE, settings)] == expected


def test_organisation_wide_connection_needs_its_organisations(admin_client, scoped):
    connection = scoped["all"]
    url = reverse("admin:xapi_plugin_lrsconnection_change", args=[connection.pk])
    response = admin_client.post(
        url, _admin_form(connection, coverage=ConnectionCoverage.ORGANISATIONS, scope_organisations="")
    )
    assert response.status_code == 200
    assert "needs its organisations" in response.content.decode()
