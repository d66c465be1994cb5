"""What the plugin needs from edx-platform: the data it receives and the backend protocol.

The implementation is chosen by the setting ``XAPI_PLATFORM_BACKEND`` (a dotted path to a class
implementing :class:`PlatformBackend`):

* ``xapi_plugin.platform.EdxPlatformBackend`` (default, in ``edx.py``) calls edx-platform's own APIs,
  imported lazily so that this package imports anywhere;
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
    ``videos`` lists the course's video blocks (usage key, display name, unit) in course order.
    ``unit_blocks`` maps a unit to the usage keys of the completable blocks inside it (the
    leaves whose completion the platform records; aggregators are walked through, excluded
    blocks such as discussions left out). A unit with no entry stands for itself; a unit listed
    with no blocks is complete, as the platform's own outline treats it.
``get_completed_blocks(user_id, course_key) -> set[str]``
    Usage keys of the blocks the learner has completed in the course (completion 1.0 in
    edx-completion's ``BlockCompletion``). With ``unit_blocks`` this says which units are
    complete (``xapi_plugin.course.progress``); one indexed query, cheap enough for a request.
``get_visible_blocks(user_id, course_key) -> frozenset[str] | None``
    Usage keys of every unit and block of the course one learner can see, as the learner's own
    outline shows it (edx-platform: ``get_course_blocks(user, course root)`` with the standard
    transformers: library content selection, start dates, content gating, user partitions
    (cohorts, enrollment tracks, split_test groups), staff-only visibility). Progress counts only
    these. None when the platform cannot tell (then every unit counts). Callers cache it per course
    version and learner (:func:`xapi_plugin.platform.get_visible_blocks`).
``is_user_retired(user_id) -> bool``
    True once the platform has started retiring the account (its retirement status exists, or
    its username carries the retired prefix). Asked before a learner gets a new agent, so that
    a late event (a regrade, say) sends nothing for a learner whose data was deleted.
``get_original_email(user_id) -> str | None``
    The learner's email before retirement began (edx-platform's
    ``UserRetirementStatus.original_email``), or None when the account is not being retired. When
    the retirement signals fire, ``user.email`` is already the retired placeholder, so this is the
    only place the address statements were sent with can be found.
``get_prerequisites() -> Prerequisites``
    The platform switches and settings statements depend on, as they stand now (see
    :class:`Prerequisites`; ``xapi_plugin.intake.prerequisites`` turns them into system-check
    warnings and ``xapi_status`` lines). Never raises: what cannot be read is None.
``user_can_edit_course(user, course_key) -> bool``
    True when ``user`` (a Django user) has Studio write access to the course.
``get_external_user_id(user_id, create=True) -> str | None``
    The learner's platform ExternalId of type ``xapi`` (``EXTERNAL_ID_TYPE``) as UUID text
    (lowercase, hyphenated): the id event-routing-backends sends as the account name and the one
    Open edX Aspects maps to a learner. Created on first use when ``create``; None when the user
    does not exist, when ``create`` is false and the learner has none, or when the platform lacks
    the ``xapi`` type (its row comes from a platform data migration). Never changes once made and
    is not deleted by the platform's retirement (the user row is kept, so its CASCADE never fires).
``get_user_id_for_external_id(external_id) -> int | None``
    The user whose ``xapi`` ExternalId this is (``xapi_actor_lookup``), or None.
``get_video_duration(video_key) -> float | None``
    The length in seconds the server knows for a video block: in edx-platform the block's
    ``edx_video_id`` looked up in edx-val (``edxval.api.get_video_info(id)["duration"]``, the
    value ``VideoBlock.get_html`` hands the player as ``metadata.duration``). None when the
    server does not know it: no such video block, no ``edx_video_id`` (YouTube or plain HTML5
    sources only), no edx-val row, or a duration of 0 (edx-val's value before encoding finishes).
    The video intake trusts it over any length a learner's browser reports; callers cache it per
    video (:func:`xapi_plugin.platform.get_video_duration`).
``get_other_course_settings(course_key) -> dict``
    The course's Advanced Settings "Other Course Settings" dict (empty when unset). It is
    visible to all course staff and exported with the course: never a place for secrets.

The signals the plugin listens to are in ``signals.py``; ``docs/platform-contract.md`` traces each
touchpoint to the real platform source.
"""

from dataclasses import dataclass, field
from typing import Protocol

#: The ExternalIdType name whose UUIDs are learners' xAPI account names (edx-platform's ExternalIdType.XAPI).
EXTERNAL_ID_TYPE = "xapi"


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
class OutlineVideo:
    """A video block of a course: where course staff find it, for per-video xAPI settings."""

    usage_key: str
    display_name: str
    unit_key: str


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
    # Every video block, in course order (the course's xAPI page in Studio lists them).
    videos: tuple[OutlineVideo, ...] = ()

    @property
    def unit_count(self) -> int:
        return sum(len(section.units) for section in self.sections)

    def section_of(self, unit_key: str) -> OutlineSection | None:
        """The section holding the unit, or None when the unit is not in the outline."""
        for section in self.sections:
            if unit_key in section.units:
                return section
        return None


@dataclass(frozen=True)
class Prerequisites:
    """Platform switches and settings the plugin's statements depend on; None where not readable here.

    ``completion_tracking``: edx-completion's waffle switch ``completion.enable_completion_tracking``
    (None: the app is not installed, or the database is not ready). ``lms_asides``: the LMS's
    ``XBlockAsidesConfig`` is enabled and does not list ``video`` in ``disabled_blocks`` (None: not
    an LMS). The rest are Django settings: the plugin's eventtracking backend is in
    ``EVENT_TRACKING_BACKENDS``, an ``EventBusRoutingBackend`` is, ``SEND_TRACKING_EVENT_EMITTED_SIGNAL``,
    and the names in ``EVENT_BUS_TRACKING_LOGS``.
    """

    completion_tracking: bool | None
    lms_asides: bool | None
    plugin_tracking_backend: bool
    event_bus_routing_backend: bool
    send_tracking_event_emitted_signal: bool
    event_bus_tracking_logs: frozenset[str] = frozenset()


class PlatformBackend(Protocol):
    """What an adapter implementation provides; see the module docstring for each contract."""

    def get_user(self, user_id: int) -> PlatformUser | None: ...

    def get_course_outline(self, course_key: str) -> CourseOutline | None: ...

    def get_course_version(self, course_key: str) -> str | None: ...

    def user_can_edit_course(self, user, course_key: str) -> bool: ...

    def get_other_course_settings(self, course_key: str) -> dict: ...

    def get_completed_blocks(self, user_id: int, course_key: str) -> set[str]: ...

    def is_user_retired(self, user_id: int) -> bool: ...

    def get_external_user_id(self, user_id: int, create: bool = True) -> str | None: ...

    def get_user_id_for_external_id(self, external_id: str) -> int | None: ...

    def get_visible_blocks(self, user_id: int, course_key: str) -> frozenset[str] | None: ...

    def get_original_email(self, user_id: int) -> str | None: ...

    def get_prerequisites(self) -> Prerequisites: ...

    def get_video_duration(self, video_key: str) -> float | None: ...
