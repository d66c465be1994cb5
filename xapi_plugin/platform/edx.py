"""The adapter inside a real LMS or Studio: edx-platform's APIs, each imported lazily."""

import logging
import math
import uuid

from xapi_plugin.platform.contract import (
    EXTERNAL_ID_TYPE,
    CourseOutline,
    OutlineSection,
    OutlineVideo,
    PlatformUser,
    Prerequisites,
)

log = logging.getLogger(__name__)

PLUGIN_TRACKING_BACKEND = "xapi_plugin.intake.tracking.XapiTrackingBackend"
EVENT_BUS_ROUTING_BACKEND = "eventtracking.backends.event_bus.EventBusRoutingBackend"


def _engines(backends) -> set[str]:
    """Every ENGINE in an EVENT_TRACKING_BACKENDS dict, nested routing backends included."""
    found = set()
    for config in (backends or {}).values():
        if not isinstance(config, dict):
            continue
        if config.get("ENGINE"):
            found.add(config["ENGINE"])
        found |= _engines((config.get("OPTIONS") or {}).get("backends"))
    return found


def settings_prerequisites(completion_tracking: bool | None, lms_asides: bool | None) -> Prerequisites:
    """The settings part of :class:`Prerequisites` (Django settings, the same in every backend)."""
    from django.conf import settings  # noqa: PLC0415

    engines = _engines(getattr(settings, "EVENT_TRACKING_BACKENDS", None))
    logs = getattr(settings, "EVENT_BUS_TRACKING_LOGS", None) or ()
    return Prerequisites(
        completion_tracking=completion_tracking,
        lms_asides=lms_asides,
        plugin_tracking_backend=PLUGIN_TRACKING_BACKEND in engines,
        event_bus_routing_backend=EVENT_BUS_ROUTING_BACKEND in engines,
        send_tracking_event_emitted_signal=bool(getattr(settings, "SEND_TRACKING_EVENT_EMITTED_SIGNAL", False)),
        event_bus_tracking_logs=frozenset(str(name) for name in logs),
    )


def completion_tracking_enabled() -> bool | None:
    """edx-completion's switch, as ``submit_completion`` reads it; None without the app or a database."""
    from django.apps import apps  # noqa: PLC0415

    if not apps.is_installed("completion"):
        return None
    try:
        from completion.waffle import ENABLE_COMPLETION_TRACKING_SWITCH  # noqa: PLC0415  (edx-completion)

        return bool(ENABLE_COMPLETION_TRACKING_SWITCH.is_enabled())
    except Exception:  # noqa: BLE001 - checks also run before migrations: unknown, not an error
        log.debug("xapi: could not read the completion tracking switch", exc_info=True)
        return None


def edxval_duration(edx_video_id: str) -> float | None:
    """The duration edx-val stores for a video id (seconds), or None when edx-val lacks it or says 0.

    As ``VideoBlock.get_html`` reads it: ``edxval.api.get_video_info(id)["duration"]``, with
    ``ValVideoNotFoundError`` / ``ValInternalError`` meaning "unknown". None without edx-val.
    """
    edx_video_id = (edx_video_id or "").strip()
    if not edx_video_id:
        return None
    try:
        from edxval import api as edxval_api  # noqa: PLC0415  (edx-val, installed with edx-platform)
        from edxval.exceptions import ValError  # noqa: PLC0415
    except ImportError:
        return None
    try:
        duration = edxval_api.get_video_info(edx_video_id).get("duration")
    except ValError:
        return None
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        return None
    # edx-val creates rows with duration 0 until the encode pipeline reports the real length.
    return duration if math.isfinite(duration) and duration > 0 else None


class EdxPlatformBackend:
    """The adapter inside a real LMS or Studio: calls edx-platform's APIs, imported lazily."""

    def get_user(self, user_id: int) -> PlatformUser | None:
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        user = get_user_model().objects.filter(pk=user_id).only("id", "username", "email", "is_active").first()
        if user is None:
            return None
        return PlatformUser(id=user.id, username=user.username, email=user.email or "", is_active=user.is_active)

    def _course(self, course_key: str, depth: int):
        from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415
        from xmodule.modulestore.django import modulestore  # noqa: PLC0415  (edx-platform)

        return modulestore().get_course(CourseKey.from_string(course_key), depth=depth)

    def get_course_version(self, course_key: str) -> str | None:
        course = self._course(course_key, depth=0)
        if course is None:
            return None
        return str(getattr(course, "course_version", None) or getattr(course, "subtree_edited_on", ""))

    def get_course_outline(self, course_key: str) -> CourseOutline | None:
        # Whole tree (depth None): course -> chapters -> sequentials -> verticals (units) -> leaves.
        # Built once per course version (see get_course_outline below).
        course = self._course(course_key, depth=None)
        if course is None:
            return None
        sections = []
        unit_blocks = {}
        videos = []
        for chapter in course.get_children():
            verticals = [vertical for sequential in chapter.get_children() for vertical in sequential.get_children()]
            for vertical in verticals:
                unit_blocks[str(vertical.location)] = tuple(self._completable_leaves(vertical))
                videos.extend(
                    OutlineVideo(str(block.location), block.display_name or "", str(vertical.location))
                    for block in self._descendants(vertical)
                    if block.location.block_type == "video"
                )
            units = tuple(str(vertical.location) for vertical in verticals)
            sections.append(OutlineSection(str(chapter.location), chapter.display_name or "", units))
        return CourseOutline(
            course_key=course_key,
            display_name=course.display_name or "",
            version=str(getattr(course, "course_version", None) or getattr(course, "subtree_edited_on", "")),
            language=getattr(course, "language", None) or "en",
            sections=tuple(sections),
            unit_blocks=unit_blocks,
            videos=tuple(videos),
        )

    def _descendants(self, block):
        for child in block.get_children():
            yield child
            yield from self._descendants(child)

    def _completable_leaves(self, block):
        """Usage keys of the blocks under ``block`` whose completion counts, as edx-completion aggregates."""
        from xblock.completable import XBlockCompletionMode  # noqa: PLC0415

        for child in block.get_children():
            mode = XBlockCompletionMode.get_mode(child)
            if mode == XBlockCompletionMode.COMPLETABLE:
                yield str(child.location)
            elif mode == XBlockCompletionMode.AGGREGATOR:
                yield from self._completable_leaves(child)

    def get_completed_blocks(self, user_id: int, course_key: str) -> set[str]:
        try:
            from completion.models import BlockCompletion  # noqa: PLC0415  (edx-completion, in edx-platform)
        except ImportError:
            return set()
        from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415

        rows = BlockCompletion.objects.filter(
            user_id=user_id, context_key=CourseKey.from_string(course_key), completion__gte=1.0
        ).values_list("block_key", flat=True)
        return {str(key) for key in rows}

    def get_visible_blocks(self, user_id: int, course_key: str) -> frozenset[str] | None:
        # The learner's own outline: the course blocks API with its standard transformers (library
        # content, start dates, content gating, user partitions, visibility). The collected block
        # structure is cached per course by the platform; only the per-learner transform runs here.
        from django.contrib.auth import get_user_model  # noqa: PLC0415
        from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415

        try:
            from lms.djangoapps.course_blocks.api import get_course_blocks  # noqa: PLC0415  (edx-platform LMS)
            from xmodule.modulestore.django import modulestore  # noqa: PLC0415
        except ImportError:
            return None  # Studio: every unit counts
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            return None
        root = modulestore().make_course_usage_key(CourseKey.from_string(course_key))
        blocks = get_course_blocks(user, root)
        return frozenset(str(key) for key in blocks.topological_traversal())

    def get_video_duration(self, video_key: str) -> float | None:
        from opaque_keys import InvalidKeyError  # noqa: PLC0415
        from opaque_keys.edx.keys import UsageKey  # noqa: PLC0415

        try:
            usage_key = UsageKey.from_string(video_key)
        except InvalidKeyError:
            return None
        if usage_key.block_type != "video":
            return None
        from xmodule.modulestore.django import modulestore  # noqa: PLC0415  (edx-platform)
        from xmodule.modulestore.exceptions import ItemNotFoundError  # noqa: PLC0415

        try:
            block = modulestore().get_item(usage_key, depth=0)
        except ItemNotFoundError:
            return None
        return edxval_duration(getattr(block, "edx_video_id", None) or "")

    def is_user_retired(self, user_id: int) -> bool:
        from django.conf import settings  # noqa: PLC0415
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        try:
            from openedx.core.djangoapps.user_api.models import UserRetirementStatus  # noqa: PLC0415  (edx-platform)
        except ImportError:
            UserRetirementStatus = None  # noqa: N806
        if UserRetirementStatus is not None and UserRetirementStatus.objects.filter(user_id=user_id).exists():
            return True
        prefix = getattr(settings, "RETIRED_USERNAME_PREFIX", "retired__user_")
        return get_user_model().objects.filter(pk=user_id, username__startswith=prefix).exists()

    def get_original_email(self, user_id: int) -> str | None:
        try:
            from openedx.core.djangoapps.user_api.models import UserRetirementStatus  # noqa: PLC0415  (edx-platform)
        except ImportError:
            return None
        row = UserRetirementStatus.objects.filter(user_id=user_id).values_list("original_email", flat=True).first()
        return row or None

    def get_prerequisites(self) -> Prerequisites:
        return settings_prerequisites(completion_tracking_enabled(), self._lms_video_asides_enabled())

    def _lms_video_asides_enabled(self) -> bool | None:
        try:
            from lms.djangoapps.lms_xblock.models import XBlockAsidesConfig  # noqa: PLC0415  (edx-platform LMS)
        except ImportError:
            return None  # Studio, or no platform
        try:
            config = XBlockAsidesConfig.current()
            return bool(config.enabled) and "video" not in (config.disabled_blocks or "").split()
        except Exception:  # noqa: BLE001 - checks also run before migrations
            log.debug("xapi: could not read XBlockAsidesConfig", exc_info=True)
            return None

    def user_can_edit_course(self, user, course_key: str) -> bool:
        from common.djangoapps.student.auth import has_studio_write_access  # noqa: PLC0415  (edx-platform)
        from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415

        if not user or not user.is_authenticated:
            return False
        return bool(has_studio_write_access(user, CourseKey.from_string(course_key)))

    def get_other_course_settings(self, course_key: str) -> dict:
        course = self._course(course_key, depth=0)
        return dict(getattr(course, "other_course_settings", None) or {}) if course else {}

    def get_external_user_id(self, user_id: int, create: bool = True) -> str | None:
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        # edx-platform: openedx/core/djangoapps/external_user_ids/models.py
        from openedx.core.djangoapps.external_user_ids.models import ExternalId  # noqa: PLC0415

        if not create:
            row = ExternalId.objects.filter(user_id=user_id, external_id_type__name=EXTERNAL_ID_TYPE).first()
            return str(row.external_user_id) if row else None
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            return None
        # get_or_create of the (user, type) row; (None, False) when the platform has no "xapi" type.
        external_id, _created = ExternalId.add_new_user_id(user, EXTERNAL_ID_TYPE)
        return str(external_id.external_user_id) if external_id is not None else None

    def get_user_id_for_external_id(self, external_id: str) -> int | None:
        from openedx.core.djangoapps.external_user_ids.models import ExternalId  # noqa: PLC0415  (edx-platform)

        try:
            value = uuid.UUID(str(external_id))
        except ValueError:
            return None
        row = ExternalId.objects.filter(external_user_id=value, external_id_type__name=EXTERNAL_ID_TYPE).first()
        return row.user_id if row else None
