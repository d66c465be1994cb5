"""The platform signals the plugin's receivers connect to, real inside edx-platform, stand-ins elsewhere.

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
    receiver (``xapi_plugin.course.progress.block_completion_saved``) keeps only saves of
    ``completion.BlockCompletion``. The stand-in LMS installs the real app (edx-completion), so its
    saves are real ``post_save`` signals too. Without the app it is a plugin-local ``Signal()``
    that nothing sends. Resolved lazily, when receivers are connected.

``LEARNING_PATH_SAVED`` and ``LEARNING_PATH_DELETED``
    Django's ``post_save`` and ``post_delete`` when the Learning Paths app (``learning-paths-plugin``,
    label ``learning_paths``) is installed: it sends no signals of its own, so enrolments
    (``LearningPathEnrollment``) and course lists (``LearningPathStep``) are followed through
    saves; the receivers (``xapi_plugin.paths``) keep only those models. Without the app they are
    plugin-local ``Signal()`` objects nobody sends. Resolved lazily, when receivers are connected.
"""

from django.dispatch import Signal

try:  # edx-platform's retirement signals when running inside it; stand-ins anywhere else
    from openedx.core.djangoapps.user_api.accounts.signals import (
        USER_RETIRE_LMS_CRITICAL,
        USER_RETIRE_LMS_MISC,
    )
except ImportError:
    USER_RETIRE_LMS_CRITICAL = Signal()
    USER_RETIRE_LMS_MISC = Signal()


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


_LEARNING_PATH_SAVED_STANDIN = Signal()
_LEARNING_PATH_DELETED_STANDIN = Signal()


def _resolve_learning_path_signal(name: str) -> Signal:
    from django.apps import apps  # noqa: PLC0415
    from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

    installed = apps.is_installed("learning_paths")
    if name == "LEARNING_PATH_SAVED":
        return post_save if installed else _LEARNING_PATH_SAVED_STANDIN
    return post_delete if installed else _LEARNING_PATH_DELETED_STANDIN


def __getattr__(name: str):
    if name in ("LEARNING_PATH_SAVED", "LEARNING_PATH_DELETED"):
        signal = _resolve_learning_path_signal(name)
        globals()[name] = signal
        return signal
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
