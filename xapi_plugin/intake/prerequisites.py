"""Platform prerequisites an operator cannot guess: each one that is off, what it silences, how to fix it.

Read through the platform adapter (``platform.get_prerequisites``); reported by a Django system
check (registered in ``XapiPluginConfig.ready``, so ``manage.py check`` and every management
command show it) and by ``xapi_status``.

* edx-completion's switch ``completion.enable_completion_tracking``: off, the platform records no
  completion at all, so no progressed/completed statement can go out.
* ``XBlockAsidesConfig`` (LMS): off, the video aside never renders, so no live playback reports;
  the player's own tracking events still produce video statements.
* The tracking-event intake: the plugin's eventtracking backend in ``EVENT_TRACKING_BACKENDS``
  (added by the plugin's settings), or, for an operator who removed it to receive events over the
  event bus, ``TRACKING_EVENT_EMITTED``: an ``EventBusRoutingBackend``,
  ``SEND_TRACKING_EVENT_EMITTED_SIGNAL = True`` and the plugin's event names in
  ``EVENT_BUS_TRACKING_LOGS``. The event-bus settings are checked only when the plugin's backend
  is not configured: then they are the only way video and progress events arrive.
"""

from dataclasses import dataclass

from django.core import checks

from xapi_plugin import platform
from xapi_plugin.intake.tracking import TRACKING_ROUTES

COMPLETION_SWITCH = "completion.enable_completion_tracking"


@dataclass(frozen=True)
class Problem:
    """One prerequisite that is off: a stable id, what it silences, and how to fix it."""

    id: str
    message: str
    hint: str


def find_problems(prerequisites: platform.Prerequisites | None = None) -> list[Problem]:
    """Every prerequisite that is off, in the order an operator should fix them."""
    found = prerequisites or platform.get_prerequisites()
    problems = []
    if found.completion_tracking is False:
        problems.append(
            Problem(
                "xapi_plugin.W001",
                f"progress statements need completion tracking: the waffle switch {COMPLETION_SWITCH} is off, so "
                "the platform records no block completion and no course or section progressed/completed is sent.",
                f"Turn it on: Django admin > Waffle > Switches > add '{COMPLETION_SWITCH}' with Active ticked "
                f"(or ./manage.py lms waffle_switch {COMPLETION_SWITCH} on --create).",
            )
        )
    if found.lms_asides is False:
        problems.append(
            Problem(
                "xapi_plugin.W006",
                "live video reports need XBlock asides: XBlockAsidesConfig is off (or lists 'video' in "
                "disabled_blocks), so the xAPI video aside never renders; video statements come only from the "
                "player's tracking events.",
                "LMS Django admin > Lms_Xblock > XBlock asides configs > add a row with Enabled ticked "
                "(keep 'video' out of Disabled blocks).",
            )
        )
    if not found.plugin_tracking_backend:
        problems.extend(_event_bus_problems(found))
    return problems


def _event_bus_problems(found: platform.Prerequisites) -> list[Problem]:
    """Without the plugin's own backend, TRACKING_EVENT_EMITTED is the only way tracking events arrive."""
    silenced = "video and progress statements are silenced"
    problems = []
    if not found.event_bus_routing_backend:
        problems.append(
            Problem(
                "xapi_plugin.W003",
                f"no tracking events reach the plugin: its eventtracking backend is not in EVENT_TRACKING_BACKENDS "
                f"and no EventBusRoutingBackend is either, so {silenced}.",
                "Keep the plugin's backend (EVENT_TRACKING_BACKENDS['xapi_plugin'] = {'ENGINE': "
                "'xapi_plugin.intake.tracking.XapiTrackingBackend'}), or add an "
                "'eventtracking.backends.event_bus.EventBusRoutingBackend' entry.",
            )
        )
    if not found.send_tracking_event_emitted_signal:
        problems.append(
            Problem(
                "xapi_plugin.W004",
                f"TRACKING_EVENT_EMITTED is never sent: SEND_TRACKING_EVENT_EMITTED_SIGNAL is off and the plugin's "
                f"eventtracking backend is not configured, so {silenced}.",
                "Set SEND_TRACKING_EVENT_EMITTED_SIGNAL = True, or keep the plugin's backend in "
                "EVENT_TRACKING_BACKENDS.",
            )
        )
    missing = sorted(set(TRACKING_ROUTES) - found.event_bus_tracking_logs)
    if missing:
        problems.append(
            Problem(
                "xapi_plugin.W005",
                f"{len(missing)} of the plugin's events are not in EVENT_BUS_TRACKING_LOGS, so they never reach it "
                f"through TRACKING_EVENT_EMITTED: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}.",
                "Add the names to EVENT_BUS_TRACKING_LOGS (merge with what event-routing-backends sets; do not "
                "replace it): xapi_plugin.intake.tracking.TRACKING_ROUTES lists them all.",
            )
        )
    return problems


def check_prerequisites(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Django system check: one warning per prerequisite that is off."""
    return [checks.Warning(problem.message, hint=problem.hint, id=problem.id) for problem in find_problems()]


def register_checks() -> None:
    """Register :func:`check_prerequisites` (from ``XapiPluginConfig.ready``)."""
    checks.register(check_prerequisites, "xapi_plugin")
