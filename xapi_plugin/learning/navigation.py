"""Navigation statements from the LMS's navigation tracking events (browser events through ``/event``).

* ``edx.ui.lms.sequence.next_selected`` / ``previous_selected`` (data: ``id`` = the unit left,
  ``current_tab``, ``tab_count``): navigated on the unit, ending point ``next unit`` / ``previous unit``;
* ``edx.ui.lms.sequence.tab_selected`` (the same + ``target_tab``): ending point = the target position;
* ``edx.ui.lms.link_clicked`` (``current_url``, ``target_url``): navigated on the target URL (link);
* ``edx.ui.lms.outline.selected`` and the older ``edx.ui.lms.sequence.outline.selected``
  (``target_url``, ``target_name``): navigated on the target URL (module).

The learning MFE sends the sequence events with ``data.id`` = the unit the learner is on when
clicking (not the sequence, and not the target), and no course id in the data: the course is
``context.course_id`` when the LMS filled it in from the page URL, else the course of the unit's
usage key, else the course in the page URL. The object is that unit: it is a unit the learner
did visit, and it is what Aspects counts per subsection. Link and outline events come from the
legacy LMS pages only (the MFE sends neither).
"""

import logging
import re
from urllib.parse import urlsplit

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey, UsageKey

from xapi_plugin.core import metrics
from xapi_plugin.course import course_basis, enqueue
from xapi_plugin.intake import MalformedEvent, TrackingEvent
from xapi_plugin.statements import navigation as navigation_statements
from xapi_plugin.statements import statement_id
from xapi_plugin.statements.vocabulary import VERB_NAVIGATED
from xapi_plugin.studio import get_course_settings

log = logging.getLogger(__name__)

NEXT = "edx.ui.lms.sequence.next_selected"
PREVIOUS = "edx.ui.lms.sequence.previous_selected"
TAB = "edx.ui.lms.sequence.tab_selected"
LINK = "edx.ui.lms.link_clicked"
OUTLINE = "edx.ui.lms.outline.selected"
OLD_OUTLINE = "edx.ui.lms.sequence.outline.selected"
SEQUENCE_EVENTS = (NEXT, PREVIOUS, TAB)
NAVIGATION_EVENTS = (NEXT, PREVIOUS, TAB, LINK, OUTLINE, OLD_OUTLINE)

# A course key in a page URL: /course/<key>/... (MFE) or /courses/<key>/... (legacy LMS).
_COURSE_IN_URL = re.compile(r"/courses?/(course-v1:[^/?#]+|ccx-v1:[^/?#]+)")


def _position(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedEvent(f"{what} is not a number")
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise MalformedEvent(f"{what} is not a whole number") from exc
    if number < 1:
        raise MalformedEvent(f"{what} is below 1")
    return number


def course_from_url(url) -> str | None:
    """The course key in an LMS or learning MFE page URL, or None."""
    if not isinstance(url, str):
        return None
    match = _COURSE_IN_URL.search(urlsplit(url).path)
    if match is None:
        return None
    try:
        return str(CourseKey.from_string(match.group(1)))
    except InvalidKeyError:
        return None


def _course_key(event: TrackingEvent, unit_key: UsageKey | None, url=None) -> str | None:
    if event.course_key:
        return str(event.course_key)
    if unit_key is not None:
        return str(unit_key.course_key)
    return course_from_url(url) or course_from_url(event.context.get("page"))


def unit_move(event: TrackingEvent) -> tuple[navigation_statements.UnitMove, UsageKey]:
    """The move a sequence event reports; MalformedEvent when it cannot be read."""
    data = event.data
    try:
        unit_key = UsageKey.from_string(str(data.get("id") or ""))
    except InvalidKeyError as exc:
        raise MalformedEvent("data.id is not a usage key") from exc
    position = _position(data.get("current_tab"), "current_tab")
    count = data.get("tab_count")
    unit_count = _position(count, "tab_count") if count not in (None, "") else None
    if event.name == NEXT:
        ending = "next unit"
    elif event.name == PREVIOUS:
        ending = "previous unit"
    else:
        ending = str(_position(data.get("target_tab"), "target_tab"))
    return navigation_statements.UnitMove(str(unit_key), position, unit_count, ending), unit_key


def _link(event: TrackingEvent) -> navigation_statements.LinkFollowed:
    target = event.data.get("target_url")
    if not isinstance(target, str) or urlsplit(target).scheme not in ("http", "https"):
        raise MalformedEvent("target_url is not an absolute http(s) URL")
    name = event.data.get("target_name")
    return navigation_statements.LinkFollowed(
        target_url=target,
        target_name=name if isinstance(name, str) and name else None,
        from_outline=event.name in (OUTLINE, OLD_OUTLINE),
    )


def course_sends_navigation(course_key: str) -> bool:
    """Whether the course sends navigation statements (the intake stores no navigation event otherwise)."""
    settings = get_course_settings(course_key)
    return settings is not None and settings.sends_navigation_statements


def handle_navigation_event(event: TrackingEvent) -> int:
    """Tracking-route handler of the navigation events; returns how many statements were queued."""
    user_id = event.user_id
    if user_id is None:
        return 0  # anonymous visitors of public course pages: nobody to report
    if event.name in SEQUENCE_EVENTS:
        move, unit_key = unit_move(event)
        course_key = _course_key(event, unit_key)
    else:
        link = _link(event)
        course_key = _course_key(event, None, event.data.get("current_url"))
    if not course_key:
        raise MalformedEvent("no course: neither the context, the unit nor the page names one")
    settings = get_course_settings(course_key)
    if settings is None or not settings.sends_navigation_statements:
        metrics.increment(metrics.SKIPPED_EVENTS)
        return 0
    basis = course_basis(
        settings, user_id=user_id, course_key=course_key, timestamp=event.timestamp, source_event_id=event.fingerprint
    )
    sid = statement_id(event.fingerprint, VERB_NAVIGATED)
    if event.name in SEQUENCE_EVENTS:
        statement = navigation_statements.unit_navigated(basis, sid, move)
    else:
        statement = navigation_statements.link_navigated(basis, sid, link)
    return enqueue([statement], settings, course_key, user_id)
