"""Prerequisites an operator cannot guess: a system check and ``xapi_status`` say what is off and how to fix it."""

import json
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.test.utils import override_settings

from xapi_plugin import platform
from xapi_plugin.intake import find_problems
from xapi_plugin.intake.tracking import TRACKING_ROUTES
from xapi_plugin.testing import standin_platform

EVENT_BUS = {"bus": {"ENGINE": "eventtracking.backends.event_bus.EventBusRoutingBackend", "OPTIONS": {}}}


def ids() -> list[str]:
    return [problem.id for problem in find_problems()]


@pytest.fixture
def all_on(db):
    standin_platform.enable_completion_tracking()
    standin_platform.configure_lms_asides(enabled=True)


def test_everything_on_reports_nothing(all_on):
    assert ids() == []
    assert not [m for m in checks.run_checks() if m.id and m.id.startswith("xapi_plugin.")]


def test_completion_switch_off_is_a_system_check_warning(db):
    standin_platform.configure_lms_asides(enabled=True)
    (message,) = [m for m in checks.run_checks() if m.id == "xapi_plugin.W001"]
    assert message.level == checks.WARNING
    assert "progress statements need completion tracking" in message.msg
    assert "completion.enable_completion_tracking is off" in message.msg
    assert "waffle_switch completion.enable_completion_tracking on" in message.hint


def test_the_switch_is_read_through_the_real_waffle_switch(db):
    assert platform.get_prerequisites().completion_tracking is False
    standin_platform.enable_completion_tracking()
    assert platform.get_prerequisites().completion_tracking is True


@pytest.mark.parametrize("disabled_blocks", ["about course_info static_tab video", None])
def test_asides_off_or_video_disabled(all_on, disabled_blocks):
    if disabled_blocks is None:
        standin_platform.configure_lms_asides(enabled=False)
    else:
        standin_platform.configure_lms_asides(enabled=True, disabled_blocks=disabled_blocks)
    problems = find_problems()
    assert [p.id for p in problems] == ["xapi_plugin.W006"]
    assert "XBlockAsidesConfig" in problems[0].message and "player's tracking events" in problems[0].message
    assert "Enabled ticked" in problems[0].hint


def test_event_bus_settings_are_not_asked_for_while_the_plugin_backend_is_there(all_on):
    # The plugin's settings added its backend; SEND_TRACKING_EVENT_EMITTED_SIGNAL is off: no warning.
    assert platform.get_prerequisites().plugin_tracking_backend is True
    assert platform.get_prerequisites().send_tracking_event_emitted_signal is False
    assert ids() == []


def test_without_the_plugin_backend_every_event_bus_setting_is_checked(all_on):
    with override_settings(EVENT_TRACKING_BACKENDS={}):
        assert ids() == ["xapi_plugin.W003", "xapi_plugin.W004", "xapi_plugin.W005"]
    names = sorted(TRACKING_ROUTES)[:-1]
    with override_settings(
        EVENT_TRACKING_BACKENDS=EVENT_BUS, SEND_TRACKING_EVENT_EMITTED_SIGNAL=True, EVENT_BUS_TRACKING_LOGS=set(names)
    ):
        (problem,) = find_problems()
        assert problem.id == "xapi_plugin.W005"
        assert sorted(TRACKING_ROUTES)[-1] in problem.message and "merge" in problem.hint
    with override_settings(
        EVENT_TRACKING_BACKENDS=EVENT_BUS,
        SEND_TRACKING_EVENT_EMITTED_SIGNAL=True,
        EVENT_BUS_TRACKING_LOGS=set(TRACKING_ROUTES) | {"problem_check"},
    ):
        assert ids() == []


def test_a_routing_backend_nesting_the_plugin_backend_counts(all_on):
    nested = {
        "router": {
            "ENGINE": "eventtracking.backends.routing.RoutingBackend",
            "OPTIONS": {"backends": {"x": {"ENGINE": "xapi_plugin.intake.tracking.XapiTrackingBackend"}}},
        }
    }
    with override_settings(EVENT_TRACKING_BACKENDS=nested):
        assert ids() == []


def test_xapi_status_lists_what_is_off(db):
    out = StringIO()
    call_command("xapi_status", stdout=out)
    text = out.getvalue()
    assert "prerequisite off: progress statements need completion tracking" in text
    assert "  fix: Turn it on" in text
    out = StringIO()
    call_command("xapi_status", "--json", stdout=out)
    assert [p["id"] for p in json.loads(out.getvalue())["prerequisites"]] == ["xapi_plugin.W001"]
    standin_platform.enable_completion_tracking()
    out = StringIO()
    call_command("xapi_status", stdout=out)
    assert "prerequisites: all on" in out.getvalue()
