"""The one adapter between the plugin and edx-platform.

Everything the plugin needs from the LMS or Studio goes through the functions at the bottom of
this module; nothing else imports edx-platform. The implementation is chosen by the setting
``XAPI_PLATFORM_BACKEND`` (a dotted path to a class implementing :class:`PlatformBackend`):

* ``xapi_plugin.platform.EdxPlatformBackend`` (default) calls edx-platform's own APIs, imported
  lazily so that this module imports anywhere;
* ``xapi_plugin.testing.standin_platform.StandInPlatformBackend`` serves the test host and the
  demo from in-memory registries and Django's user table.

Contract (every backend):

``get_user(user_id) -> PlatformUser | None``
    The learner's id, username, email (may be empty or invalid), and whether the account is
    active. None for an unknown id.
``get_course_outline(course_key) -> CourseOutline | None``
    The course's display name, language, a version string that changes on every publish, and
    its sections (chapters) in order, each with its units (verticals) in order. None when the
    course does not exist. Callers cache by version (see :func:`get_course_outline`).
    ``unit_blocks`` maps a unit to the usage keys of the completable blocks inside it (the
    leaves whose completion the platform records; aggregators are walked through, excluded
    blocks such as discussions left out). A unit with no entry stands for itself; a unit listed
    with no blocks is complete, as the platform's own outline treats it.
``get_completed_blocks(user_id, course_key) -> set[str]``
    Usage keys of the blocks the learner has completed in the course (completion 1.0 in
    edx-completion's ``BlockCompletion``). With ``unit_blocks`` this says which units are
    complete (``xapi_plugin.progress``); one indexed query, cheap enough for a request.
``is_user_retired(user_id) -> bool``
    True once the platform has started retiring the account (its retirement status exists, or
    its username carries the retired prefix). Asked before a learner gets a new agent, so that
    a late event (a regrade, say) sends nothing for a learner whose data was deleted.
``user_can_edit_course(user, course_key) -> bool``
    True when ``user`` (a Django user) has Studio write access to the course.
``get_other_course_settings(course_key) -> dict``
    The course's Advanced Settings "Other Course Settings" dict (empty when unset). It is
    visible to all course staff and exported with the course: never a place for secrets.

Signals (module attributes, not backend methods, so ``apps.py`` can name them by dotted path):

``USER_RETIRE_LMS_CRITICAL`` and ``USER_RETIRE_LMS_MISC``
    The LMS user-retirement pipeline's signals
    (``openedx.core.djangoapps.user_api.accounts.signals``), sent with ``user=<User>`` (the
    critical step may add ``retired_username`` and ``retired_email``) by the ``retire`` and
    ``retire_misc`` account API views. Outside edx-platform they are plugin-local
    ``django.dispatch.Signal()`` stand-ins that the test host and the demo send themselves.

``COURSE_PUBLISHED``
    Studio's "course published" signal, ``xmodule.modulestore.django.SignalHandler.course_published``,
    sent with ``course_key=<CourseKey>`` after every publish of a course or library (saving
    Advanced Settings publishes the course block, so it fires then too). Resolved lazily on first
    access (the modulestore must not be imported while apps load); outside edx-platform it is a
    plugin-local ``Signal()`` that the stand-in host sends (``standin_platform.publish_course``).
    openedx-events' ``COURSE_CATALOG_INFO_CHANGED`` is derived from it but skips some publishes,
    and ``XBLOCK_PUBLISHED`` is per block: neither fits course-wide settings.

``BLOCK_COMPLETION_SAVED``
    Django's ``post_save`` when edx-completion (app label ``completion``) is installed: its
    receiver (``xapi_plugin.progress.block_completion_saved``) keeps only saves of
    ``completion.BlockCompletion``. Without the app it is a plugin-local ``Signal()`` that the
    stand-in host sends with a ``BlockCompletion``-shaped sender and instance
    (``standin_platform.save_block_completion``). Resolved lazily, when receivers are connected.
"""

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from django.dispatch import Signal
from django.utils.module_loading import import_string

from xapi_plugin.conf import get_setting

try:  # edx-platform's retirement signals when running inside it; stand-ins anywhere else
    from openedx.core.djangoapps.user_api.accounts.signals import (
        USER_RETIRE_LMS_CRITICAL,
        USER_RETIRE_LMS_MISC,
    )
except ImportError:
    USER_RETIRE_LMS_CRITICAL = Signal()
    USER_RETIRE_LMS_MISC = Signal()


@dataclass(frozen=True)
class PlatformUser:
    """A platform account, reduced to what statements need."""

    id: int
    username: str
    email: str
    is_active: bool = True


@dataclass(frozen=True)
class OutlineSection:
    """A section (chapter) of a course and the usage keys of its units, in course order."""

    usage_key: str
    display_name: str
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class CourseOutline:
    """What the plugin needs of a course's structure to count progress."""

    course_key: str
    display_name: str
    version: str
    language: str = "en"
    sections: tuple[OutlineSection, ...] = field(default_factory=tuple)
    # Unit usage key -> usage keys of the completable blocks in it (see the contract above).
    unit_blocks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def unit_count(self) -> int:
        return sum(len(section.units) for section in self.sections)

    def section_of(self, unit_key: str) -> OutlineSection | None:
        """The section holding the unit, or None when the unit is not in the outline."""
        for section in self.sections:
            if unit_key in section.units:
                return section
        return None


class PlatformBackend(Protocol):
    """What an adapter implementation provides; see the module docstring for each contract."""

    def get_user(self, user_id: int) -> PlatformUser | None: ...

    def get_course_outline(self, course_key: str) -> CourseOutline | None: ...

    def get_course_version(self, course_key: str) -> str | None: ...

    def user_can_edit_course(self, user, course_key: str) -> bool: ...

    def get_other_course_settings(self, course_key: str) -> dict: ...

    def get_completed_blocks(self, user_id: int, course_key: str) -> set[str]: ...

    def is_user_retired(self, user_id: int) -> bool: ...


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
        for chapter in course.get_children():
            verticals = [vertical for sequential in chapter.get_children() for vertical in sequential.get_children()]
            for vertical in verticals:
                unit_blocks[str(vertical.location)] = tuple(self._completable_leaves(vertical))
            units = tuple(str(vertical.location) for vertical in verticals)
            sections.append(OutlineSection(str(chapter.location), chapter.display_name or "", units))
        return CourseOutline(
            course_key=course_key,
            display_name=course.display_name or "",
            version=str(getattr(course, "course_version", None) or getattr(course, "subtree_edited_on", "")),
            language=getattr(course, "language", None) or "en",
            sections=tuple(sections),
            unit_blocks=unit_blocks,
        )

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

    def user_can_edit_course(self, user, course_key: str) -> bool:
        from common.djangoapps.student.auth import has_studio_write_access  # noqa: PLC0415  (edx-platform)
        from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415

        if not user or not user.is_authenticated:
            return False
        return bool(has_studio_write_access(user, CourseKey.from_string(course_key)))

    def get_other_course_settings(self, course_key: str) -> dict:
        course = self._course(course_key, depth=0)
        return dict(getattr(course, "other_course_settings", None) or {}) if course else {}


@lru_cache(maxsize=4)
def _backend_for(path: str) -> PlatformBackend:
    return import_string(path)()


def get_backend() -> PlatformBackend:
    """The configured adapter implementation (one instance per process and path)."""
    return _backend_for(get_setting("XAPI_PLATFORM_BACKEND"))


def get_user(user_id: int) -> PlatformUser | None:
    """The learner with this id, or None."""
    return get_backend().get_user(user_id)


# Course key -> (monotonic time the version was last checked, outline). Asking for the version is a
# modulestore read in the LMS, so it is asked at most once a minute per course and process: a
# publish reaches statements within a minute.
OUTLINE_VERSION_CHECK_SECONDS = 60.0
_outline_cache: dict[str, tuple[float, CourseOutline]] = {}


def get_course_outline(course_key) -> CourseOutline | None:
    """The course outline, cached per course version (a publish makes a new version)."""
    course_key = str(course_key)
    now = time.monotonic()
    cached = _outline_cache.get(course_key)
    if cached is not None and now - cached[0] < OUTLINE_VERSION_CHECK_SECONDS:
        return cached[1]
    backend = get_backend()
    version = backend.get_course_version(course_key)
    if version is None:
        _outline_cache.pop(course_key, None)
        return None
    if cached is not None and cached[1].version == version:
        _outline_cache[course_key] = (now, cached[1])
        return cached[1]
    outline = backend.get_course_outline(course_key)
    if outline is not None:
        _outline_cache[course_key] = (now, outline)
    return outline


def clear_outline_cache(course_key=None) -> None:
    """Forget the cached outline of one course (all when None): after a publish the host knows of."""
    if course_key is None:
        _outline_cache.clear()
    else:
        _outline_cache.pop(str(course_key), None)


def user_can_edit_course(user, course_key) -> bool:
    """True when the Django ``user`` may change the course in Studio."""
    return get_backend().user_can_edit_course(user, str(course_key))


def get_other_course_settings(course_key) -> dict:
    """The course's "Other Course Settings" dict from Studio's Advanced Settings."""
    return get_backend().get_other_course_settings(str(course_key))


def is_user_retired(user_id: int) -> bool:
    """True when the platform is retiring, or has retired, this account."""
    return get_backend().is_user_retired(user_id)


def get_completed_blocks(user_id: int, course_key) -> set[str]:
    """Usage keys of the blocks the learner has completed in the course."""
    return get_backend().get_completed_blocks(user_id, str(course_key))


_COURSE_PUBLISHED_STANDIN = Signal()


def _resolve_course_published() -> Signal:
    try:
        from xmodule.modulestore.django import SignalHandler  # noqa: PLC0415  (edx-platform)
    except ImportError:
        return _COURSE_PUBLISHED_STANDIN
    return SignalHandler.course_published


_BLOCK_COMPLETION_SAVED_STANDIN = Signal()


def _resolve_block_completion_saved() -> Signal:
    from django.apps import apps  # noqa: PLC0415

    if apps.is_installed("completion"):
        from django.db.models.signals import post_save  # noqa: PLC0415

        return post_save
    return _BLOCK_COMPLETION_SAVED_STANDIN


def __getattr__(name: str):
    # Module attribute resolved on first access (PEP 562), so import_string("...COURSE_PUBLISHED") works.
    if name == "BLOCK_COMPLETION_SAVED":
        signal = _resolve_block_completion_saved()
        globals()["BLOCK_COMPLETION_SAVED"] = signal
        return signal
    if name == "COURSE_PUBLISHED":
        signal = _resolve_course_published()
        globals()["COURSE_PUBLISHED"] = signal
        return signal
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
