"""An XBlock aside for video blocks: per-video xAPI choices in Studio, live playback reports in the LMS.

* Per-video choices: course staff switch xAPI tracking off for one video or override its
  completion thresholds on the course's xAPI page in Studio (Studio never renders an aside's
  ``author_view`` for a video: ``VideoBlock`` has no ``has_author_view``). :meth:`save_overrides`
  keeps a choice in the aside's settings-scope fields (exported with the course) and copies it to
  the plugin's ``VideoTrackingOverride`` table, which the tracking-event path reads without an
  XBlock runtime.
* LMS (``student_view``): a small script reports the page's ``<video>`` element (load, play, pause,
  seek, ended, and the position at the course's beacon interval) to :meth:`beacon`, which checks
  each report (:mod:`xapi_plugin.aside.beacon_guard`) and feeds the same viewing state as the player's
  tracking events (``xapi_plugin.video.record_player_observation``).

Registered through the ``xblock_asides.v1`` entry point; operators enable asides in the LMS
admin (``XBlockAsidesConfig``) for them to render.
"""

import hashlib
import json
import logging
import math
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import resources

from django.core.cache import cache
from django.template import engines
from web_fragments.fragment import Fragment
from xblock.core import XBlockAside
from xblock.exceptions import JsonHandlerError
from xblock.fields import Boolean, Integer, Scope

from xapi_plugin.aside import beacon_guard
from xapi_plugin.aside.handlers import strict_json_handler
from xapi_plugin.core import metrics
from xapi_plugin.video import ASIDE_SOURCE_PREFIX, note_aside_reporting

log = logging.getLogger(__name__)

# Accepted page records and per-video budgets live this long without a report; a page forgotten
# by the guard must re-anchor with a play (the script does so when answered 409).
_GUARD_TTL = 2 * 3600
# A report is a handful of numbers: anything bigger is refused unread.
_MAX_REPORT_BYTES = 2048
# Every time in a report lies within 0..24 h; a video's length within 0.5 s..24 h.
_MAX_SECONDS = 24 * 3600.0
_MIN_LENGTH = 0.5


def _resource(path: str) -> str:
    return resources.files("xapi_plugin.aside").joinpath(path).read_text(encoding="utf-8")


def _render(template: str, **context) -> str:
    return engines["django"].from_string(_resource(f"templates/{template}")).render(context)


@XBlockAside.wants("user")
class VideoXapiAside(XBlockAside):
    """xAPI per video: a tracking switch and completion thresholds (Studio), live playback (LMS)."""

    tracking_enabled = Boolean(
        display_name="Track this video with xAPI",
        default=True,
        scope=Scope.settings,
        help="Off: no video statements are sent for this video.",
    )
    video_end_percent = Integer(
        display_name="Completed at (%)",
        default=None,
        scope=Scope.settings,
        help="Empty: the course's setting.",
    )
    video_end_seconds = Integer(
        display_name="...or within seconds of the end",
        default=None,
        scope=Scope.settings,
        help="Empty: the course's setting.",
    )

    @classmethod
    def should_apply_to_block(cls, block) -> bool:
        """Only video blocks."""
        return block.scope_ids.block_type == "video"

    # -- identities ------------------------------------------------------------------------------

    @property
    def video_key(self) -> str:
        """Usage key of the video block this aside decorates (the key tracking events use too)."""
        return str(self.runtime.id_reader.get_usage_id_from_aside(self.scope_ids.usage_id))

    @property
    def course_key(self) -> str:
        usage = self.runtime.id_reader.get_usage_id_from_aside(self.scope_ids.usage_id)
        key = getattr(usage, "course_key", None) or getattr(usage, "context_key", None)
        return str(key) if key is not None else ""

    def current_user_id(self) -> int | None:
        """The platform user id of whoever made this request: from the runtime, never from a payload."""
        service = self.runtime.service(self, "user")
        user_id = None
        if service is not None:
            user = service.get_current_user()
            opt_attrs = getattr(user, "opt_attrs", {}) or {}
            if opt_attrs.get("edx-platform.is_authenticated", True):
                user_id = opt_attrs.get("edx-platform.user_id")
        if user_id is None:
            user_id = getattr(self.runtime, "user_id", None)
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        return user_id if user_id > 0 else None

    # -- per-video choices ---------------------------------------------------------------------

    @strict_json_handler
    def save_overrides(self, data, suffix=""):
        """Save course staff's choice for this video (Studio write access required)."""
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        from xapi_plugin import platform  # noqa: PLC0415

        user_id = self.current_user_id()
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        if user is None or not platform.user_can_edit_course(user, self.course_key):
            raise JsonHandlerError(403, "Only course staff with Studio write access can change this.")
        values, problems = validate_overrides(data)
        if problems:
            raise JsonHandlerError(400, " ".join(problems))
        self.tracking_enabled = values["tracking_enabled"]
        self.video_end_percent = values["video_end_percent"]
        self.video_end_seconds = values["video_end_seconds"]
        store_override(self.course_key, self.video_key, values)
        return {"saved": True, **values}

    # -- LMS -------------------------------------------------------------------------------------

    @XBlockAside.aside_for("student_view")
    def student_view_aside(self, block, context=None) -> Fragment:
        """The live playback script, when the course and this video are tracked; nothing otherwise."""
        from xapi_plugin.core.constants import StatementFamily  # noqa: PLC0415
        from xapi_plugin.routing import course_receives, routing_settings  # noqa: PLC0415
        from xapi_plugin.studio import get_course_settings  # noqa: PLC0415

        course = routing_settings(self.course_key, get_course_settings(self.course_key))
        if not course_receives(self.course_key, StatementFamily.VIDEO, course) or not self.tracking_enabled:
            return Fragment("")
        html = _render(
            "student_view.html",
            handler_url=self.runtime.handler_url(self, "beacon"),
            beacon_interval=course.beacon_interval,
            video_key=self.video_key,
        )
        # Rendering proves nothing: the script may find no <video> (a poster or bumper first, an
        # iframe player such as YouTube). The aside speaks for the video only once its reports
        # arrive (``beacon`` notes each accepted one); until then the player's events are in charge.
        fragment = Fragment(html)
        fragment.add_javascript(_resource("static/js/video_aside_student.js"))
        fragment.initialize_js("XapiVideoAside")
        return fragment

    @strict_json_handler
    def beacon(self, data, suffix=""):
        """One playback report from the page's script; checked, then fed to the viewing state."""
        user_id = self.current_user_id()
        if user_id is None:
            raise JsonHandlerError(403, "Sign in to have your viewing recorded.")
        report, page_key = parse_report(data)
        video_key = self.video_key
        now = time.time()
        if not allow_report(user_id, now):
            metrics.increment(metrics.ASIDE_REPORTS_THROTTLED)
            raise JsonHandlerError(429, "Too many playback reports: at most 2 a second (bursts of 10).")
        previous = _stored_page(user_id, video_key, page_key)
        verdict = judge_report(user_id, video_key, page_key, report, now=now)
        if not verdict.accepted:
            log.info("xAPI video report refused (%s): %s", verdict.status, verdict.reason)
            raise JsonHandlerError(verdict.status, verdict.reason)
        note_aside_reporting(user_id, video_key)
        if beacon_guard.changes_nothing(report, previous):
            metrics.increment(metrics.ASIDE_REPORTS_UNCHANGED)
            return {"accepted": True, "queued": 0, "unchanged": True}
        queued = feed_viewing_state(user_id, self.course_key, video_key, page_key, report)
        return {"accepted": True, "queued": queued}


# -- helpers (module level, so the tests and the Studio page can use them) ---------------------------


def validate_overrides(data) -> tuple[dict, list[str]]:
    """Course staff's per-video values: ``tracking_enabled`` (bool), thresholds (int or empty)."""
    if not isinstance(data, dict):
        return {}, ["Send a JSON object."]
    problems = []
    values = {"tracking_enabled": data.get("tracking_enabled", True)}
    if not isinstance(values["tracking_enabled"], bool):
        problems.append('"tracking_enabled" must be true or false.')
    for key, low, high, words in (
        ("video_end_percent", 1, 100, "a whole number from 1 to 100"),
        ("video_end_seconds", 0, 86400, "a whole number of seconds from 0 to 86400"),
    ):
        value = data.get(key)
        if value in (None, ""):
            values[key] = None
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f'"{key}" must be {words}, or empty for the course\'s setting (got {value!r}).')
        values[key] = value
    unknown = sorted(set(data) - {"tracking_enabled", "video_end_percent", "video_end_seconds"})
    if unknown:
        problems.append(f"Unknown fields: {', '.join(unknown)}.")
    return values, problems


def store_override(course_key: str, video_key: str, values: dict) -> None:
    """Copy the aside's choice to the table the server-side tracking path reads (no row: the course's)."""
    from xapi_plugin.models import VideoTrackingOverride  # noqa: PLC0415
    from xapi_plugin.video import invalidate_video_override  # noqa: PLC0415

    if values["tracking_enabled"] and values["video_end_percent"] is None and values["video_end_seconds"] is None:
        VideoTrackingOverride.objects.filter(video_key=video_key).delete()
    else:
        VideoTrackingOverride.objects.update_or_create(
            video_key=video_key, defaults={"course_key": course_key, **values}
        )
    invalidate_video_override(video_key)


def parse_report(data) -> tuple[beacon_guard.Report, str]:
    """Type-check a report from the script; raise a 400 for anything malformed."""
    if not isinstance(data, dict) or len(json.dumps(data)) > _MAX_REPORT_BYTES:
        raise JsonHandlerError(400, "A report is a small JSON object.")
    page_key = data.get("page")
    if not isinstance(page_key, str) or not 8 <= len(page_key) <= 64 or not page_key.isalnum():
        raise JsonHandlerError(400, '"page" must be the page\'s random id (8-64 letters and digits).')
    seq = data.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise JsonHandlerError(400, '"seq" must be a whole number.')

    def number(name, required=False, low=0.0):
        value = data.get(name)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise JsonHandlerError(400, f'"{name}" must be a number of seconds.')
        try:
            value = float(value)  # an int like 10**400 has no float: OverflowError
        except OverflowError:
            value = math.inf
        if not math.isfinite(value) or not low <= value <= _MAX_SECONDS:
            raise JsonHandlerError(400, f'"{name}" must be a number of seconds from {low:g} to {_MAX_SECONDS:g}.')
        return round(value, 3)

    kind = data.get("kind")
    if kind not in beacon_guard.KINDS:
        raise JsonHandlerError(400, f'"kind" must be one of {", ".join(beacon_guard.KINDS)}.')
    report = beacon_guard.Report(
        kind=kind,
        seq=seq,
        position=number("position", required=True),
        duration=number("duration", low=_MIN_LENGTH),
        time_from=number("time_from", required=kind == "seek"),
        time_to=number("time_to", required=kind == "seek"),
    )
    return report, page_key


def _guard_keys(user_id: int, video_key: str, page_key: str) -> tuple[str, str]:
    digest = hashlib.sha256(f"{user_id}\x1f{video_key}".encode()).hexdigest()[:24]
    return f"xapi_aside:page:{digest}:{page_key}", f"xapi_aside:budget:{digest}"


def _stored_page(user_id: int, video_key: str, page_key: str) -> beacon_guard.PageRecord | None:
    stored = cache.get(_guard_keys(user_id, video_key, page_key)[0])
    return beacon_guard.PageRecord(**stored) if stored else None


def allow_report(user_id: int, now: float) -> bool:
    """Spend one report of the learner's allowance (all pages and videos); False when it is used up."""
    key = f"xapi_aside:allowance:{int(user_id)}"
    stored = cache.get(key)
    allowed, allowance = beacon_guard.take_report(beacon_guard.ReportAllowance(**stored) if stored else None, now)
    cache.set(key, asdict(allowance), _GUARD_TTL)
    return allowed


def judge_report(user_id: int, video_key: str, page_key: str, report, now: float) -> beacon_guard.Verdict:
    """Check a report against what this page and this learner reported before; store the outcome."""
    page_cache_key, budget_cache_key = _guard_keys(user_id, video_key, page_key)
    stored_page, stored_budget = cache.get(page_cache_key), cache.get(budget_cache_key)
    page = beacon_guard.PageRecord(**stored_page) if stored_page else None
    budget = beacon_guard.Budget(**stored_budget) if stored_budget else None
    verdict = beacon_guard.check_report(report, page, budget, now)
    if verdict.accepted:
        cache.set(page_cache_key, asdict(verdict.page), _GUARD_TTL)
        cache.set(budget_cache_key, asdict(verdict.budget), _GUARD_TTL)
    return verdict


def feed_viewing_state(user_id: int, course_key: str, video_key: str, page_key: str, report) -> int:
    """Give the report to the viewing state shared with the player's tracking events; statements queued."""
    from xapi_plugin.video import Observation, record_player_observation  # noqa: PLC0415

    source = hashlib.sha256(f"aside\x1f{user_id}\x1f{video_key}\x1f{page_key}\x1f{report.seq}".encode()).hexdigest()
    observation = Observation(
        user_id=user_id,
        course_key=course_key,
        video_key=video_key,
        kind=report.kind,
        # The server's clock, the one the guard reads (completion needs enough of it).
        timestamp=datetime.fromtimestamp(time.time(), UTC),
        page_key=f"aside-{page_key}",
        source_id=f"{ASIDE_SOURCE_PREFIX}{source[:32]}",
        position=report.time_to if report.kind == "seek" else report.position,
        time_from=report.time_from,
        time_to=report.time_to,
        duration=report.duration,
    )
    return record_player_observation(observation).queued
