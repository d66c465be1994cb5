"""The one adapter between the plugin and edx-platform; nothing else in the plugin imports the platform.

Import from here: the accessors (``get_user``, ``get_course_outline``, ``get_completed_blocks``,
``is_user_retired``, ``get_original_email``, ``user_can_edit_course``, ``get_other_course_settings``,
``get_external_user_id``, ``get_user_id_for_external_id``, ``get_prerequisites``, ``get_visible_blocks``,
``get_video_duration``; ``edxval_duration`` reads edx-val for a backend),
the data classes (``PlatformUser``, ``CourseOutline``, ``OutlineSection``, ``OutlineVideo``,
``Prerequisites``), ``EXTERNAL_ID_TYPE``, the learning-paths accessors and the platform signals
(``USER_RETIRE_LMS_CRITICAL``, ``USER_RETIRE_LMS_MISC``, ``COURSE_PUBLISHED``,
``BLOCK_COMPLETION_SAVED``, ``LEARNING_PATH_SAVED``, ``LEARNING_PATH_DELETED``), and the Learning
Paths reads (``learning_paths.py``: ``learning_paths_installed``, ``get_learning_path``,
``learner_paths_with_course``, ``is_course_in_any_path``, ``is_learner_enrolled_in_path``,
``active_learners_of_path``, ``path_enrollment_change``, ``path_step_path_key``, ``LearningPathInfo``,
``PathStep``, ``PathEnrollmentChange``). ``contract.py`` says what each backend must return, ``edx.py`` is the
backend for a real LMS and Studio, ``signals.py`` resolves the signals.
"""

import hashlib
import logging
import time
from functools import lru_cache

from django.utils.module_loading import import_string

from xapi_plugin.core.conf import get_setting
from xapi_plugin.platform import signals as _signals
from xapi_plugin.platform.contract import (
    EXTERNAL_ID_TYPE,
    CourseOutline,
    OutlineSection,
    OutlineVideo,
    PlatformBackend,
    PlatformUser,
    Prerequisites,
)
from xapi_plugin.platform.edx import (
    EdxPlatformBackend,
    completion_tracking_enabled,
    edxval_duration,
    settings_prerequisites,
)
from xapi_plugin.platform.learning_paths import (
    LearningPathInfo,
    PathEnrollmentChange,
    PathStep,
    active_learners_of_path,
    get_learning_path,
    is_course_in_any_path,
    is_learner_enrolled_in_path,
    learner_paths_with_course,
    learning_paths_installed,
)
from xapi_plugin.platform.learning_paths import enrollment_change as path_enrollment_change
from xapi_plugin.platform.learning_paths import step_path_key as path_step_path_key
from xapi_plugin.platform.signals import USER_RETIRE_LMS_CRITICAL, USER_RETIRE_LMS_MISC

_log = logging.getLogger(__name__)

__all__ = [
    "BLOCK_COMPLETION_SAVED",
    "COURSE_PUBLISHED",
    "LEARNING_PATH_DELETED",
    "LEARNING_PATH_SAVED",
    "LearningPathInfo",
    "PathEnrollmentChange",
    "PathStep",
    "active_learners_of_path",
    "get_learning_path",
    "is_course_in_any_path",
    "is_learner_enrolled_in_path",
    "learner_paths_with_course",
    "learning_paths_installed",
    "path_enrollment_change",
    "path_step_path_key",
    "USER_RETIRE_LMS_CRITICAL",
    "USER_RETIRE_LMS_MISC",
    "EXTERNAL_ID_TYPE",
    "CourseOutline",
    "EdxPlatformBackend",
    "OutlineSection",
    "OutlineVideo",
    "PlatformBackend",
    "PlatformUser",
    "Prerequisites",
    "clear_outline_cache",
    "completion_tracking_enabled",
    "edxval_duration",
    "get_backend",
    "get_completed_blocks",
    "get_course_outline",
    "get_external_user_id",
    "get_user_id_for_external_id",
    "get_original_email",
    "get_prerequisites",
    "get_other_course_settings",
    "get_user",
    "get_video_duration",
    "get_visible_blocks",
    "is_user_retired",
    "settings_prerequisites",
    "user_can_edit_course",
]


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


def get_external_user_id(user_id: int, create: bool = True) -> str | None:
    """The learner's ``xapi`` ExternalId UUID text (created when missing and ``create``), or None."""
    return get_backend().get_external_user_id(user_id, create)


def get_user_id_for_external_id(external_id: str) -> int | None:
    """The user whose ``xapi`` ExternalId this is, or None."""
    return get_backend().get_user_id_for_external_id(str(external_id))


# A learner's visible blocks: one course-blocks transform per learner and course version, kept this
# long (a cohort or group change shows within it; a publish changes the version, so at once).
VISIBLE_BLOCKS_SECONDS = 600
_VISIBLE_MISSING = "none"


def get_visible_blocks(user_id: int, course_key, version: str = "") -> frozenset[str] | None:
    """The units and blocks one learner can see (None: all), cached per course version and learner.

    The learner is the group: ``library_content`` selections are per learner, so no coarser key
    (cohort, enrollment track) would be right for every course.
    """
    from django.core.cache import cache  # noqa: PLC0415

    course_key = str(course_key)
    # Hashed: a course key (up to 255 characters, any text from an event) is no memcached key.
    digest = hashlib.sha256(f"{course_key}\x1f{version}".encode()).hexdigest()[:32]
    key = f"xapi_plugin:visible:{digest}:{int(user_id)}"
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - without a cache, ask the platform each time
        cached = None
    if cached is not None:
        return None if cached == _VISIBLE_MISSING else frozenset(cached)
    visible = get_backend().get_visible_blocks(user_id, course_key)
    try:
        cache.set(key, _VISIBLE_MISSING if visible is None else sorted(visible), VISIBLE_BLOCKS_SECONDS)
    except Exception:  # noqa: BLE001
        pass
    return visible


# A video's server-side length: one modulestore and edx-val read per video this often per site
# (a re-encoded video's new length shows within it).
VIDEO_DURATION_SECONDS = 600
_DURATION_UNKNOWN = "none"


def _duration_cache_key(video_key: str) -> str:
    # Hashed: a usage key from an event can be any text, longer than memcached takes.
    return "xapi_plugin:video-duration:" + hashlib.sha256(str(video_key).encode()).hexdigest()[:32]


def get_video_duration(video_key) -> float | None:
    """The video's length in seconds as the server knows it (edx-val), or None; cached per video.

    A platform error counts as "unknown" (logged, not cached): the intake never raises, and the
    learner's browser length is then pinned as before.
    """
    from django.core.cache import cache  # noqa: PLC0415

    key = _duration_cache_key(video_key)
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - without a cache, ask the platform each time
        cached = None
    if cached is not None:
        return None if cached == _DURATION_UNKNOWN else float(cached)
    try:
        duration = get_backend().get_video_duration(str(video_key))
    except Exception:  # noqa: BLE001 - the fold must go on; the browser's length is pinned instead
        _log.warning("xapi: could not read the server's length of video %s", video_key, exc_info=True)
        return None
    try:
        cache.set(key, _DURATION_UNKNOWN if duration is None else float(duration), VIDEO_DURATION_SECONDS)
    except Exception:  # noqa: BLE001
        pass
    return duration


def get_original_email(user_id: int) -> str | None:
    """The learner's email before retirement replaced it (None when not being retired)."""
    return get_backend().get_original_email(user_id)


def get_prerequisites() -> Prerequisites:
    """The platform switches and settings statements depend on, as they stand now."""
    return get_backend().get_prerequisites()


def get_completed_blocks(user_id: int, course_key) -> set[str]:
    """Usage keys of the blocks the learner has completed in the course."""
    return get_backend().get_completed_blocks(user_id, str(course_key))


def __getattr__(name: str):
    # COURSE_PUBLISHED and BLOCK_COMPLETION_SAVED resolve on first access (see signals.py).
    if name in ("COURSE_PUBLISHED", "BLOCK_COMPLETION_SAVED", "LEARNING_PATH_SAVED", "LEARNING_PATH_DELETED"):
        return getattr(_signals, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
