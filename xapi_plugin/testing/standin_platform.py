"""A stand-in for edx-platform behind the platform adapter, for the test host and the demo.

Users come from Django's user table and block completions from the real edx-completion app
(``completion.BlockCompletion``, installed in the stand-in LMS); course outlines, course staff,
"Other Course Settings" and retirement statuses come from in-memory registries that tests and
the demo fill. Video lengths come from the real edx-val (``edxval.models.Video`` rows, installed in
the stand-in) through each video block's ``edx_video_id`` (:func:`set_edx_video_id`).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from xapi_plugin.platform import (
    EXTERNAL_ID_TYPE,
    CourseOutline,
    EdxPlatformBackend,
    OutlineSection,
    OutlineVideo,
    PlatformUser,
    Prerequisites,
    completion_tracking_enabled,
    edxval_duration,
    settings_prerequisites,
)
from xapi_plugin.statements import deterministic_uuid4_shaped

_outlines: dict[str, CourseOutline] = {}
_course_staff: dict[str, set[int]] = {}
_other_course_settings: dict[str, dict] = {}
# Video usage key -> the block's ``edx_video_id`` field (set in Studio when the video is uploaded).
_edx_video_ids: dict[str, str] = {}
# (user id, type name) -> UUID text, as edx-platform's ExternalId rows (unique per user and type).
_external_ids: dict[tuple[int, str], str] = {}


def external_id_for(user_id: int, id_type: str = EXTERNAL_ID_TYPE) -> str:
    """The UUID the stand-in gives a user's ExternalId of a type.

    The platform draws a random uuid4 once and stores it; the stand-in derives a uuid4-shaped
    value from (user id, type) so that every process of a test or demo run (web, Celery workers)
    hands out the same one without a shared table.
    """
    return deterministic_uuid4_shaped("stand-in-external-id", id_type, user_id)


def register_course(
    course_key: str,
    display_name: str,
    sections: list[tuple[str, str, list[str]]],
    version: str = "1",
    language: str = "en",
    unit_blocks: dict[str, list[str]] | None = None,
    videos: list[tuple[str, str, str]] | None = None,
) -> CourseOutline:
    """Make a course known: ``sections`` is a list of (usage key, display name, unit keys).

    ``unit_blocks`` maps units to their completable blocks; a unit without an entry stands for itself.
    ``videos`` lists the course's video blocks as (usage key, display name, unit key).
    """
    outline = CourseOutline(
        course_key=course_key,
        display_name=display_name,
        version=version,
        language=language,
        sections=tuple(OutlineSection(key, name, tuple(units)) for key, name, units in sections),
        unit_blocks={unit: tuple(blocks) for unit, blocks in (unit_blocks or {}).items()},
        videos=tuple(OutlineVideo(*video) for video in videos or ()),
    )
    _outlines[course_key] = outline
    # Registering is the stand-in's publish: this process sees the new outline at once (the LMS
    # notices a new version within platform.OUTLINE_VERSION_CHECK_SECONDS).
    from xapi_plugin import platform  # noqa: PLC0415

    platform.clear_outline_cache(course_key)
    return outline


def make_course(
    course_key: str,
    display_name: str = "Demo course",
    sections: int = 2,
    units: int = 3,
    blocks_per_unit: int = 0,
    **kwargs,
):
    """Register a course with generated sections and units; returns its outline.

    With ``blocks_per_unit`` each unit holds that many problems (``...+type@problem+block@s0u1b2``),
    and a unit counts as complete only when all of them are.
    """
    key_body = course_key.split(":", 1)[1]
    layout = []
    unit_blocks = {}
    for s in range(sections):
        section_key = f"block-v1:{key_body}+type@chapter+block@section{s}"
        unit_keys = [f"block-v1:{key_body}+type@vertical+block@s{s}u{u}" for u in range(units)]
        layout.append((section_key, f"Section {s + 1}", unit_keys))
        if blocks_per_unit:
            for u, unit_key in enumerate(unit_keys):
                unit_blocks[unit_key] = [
                    f"block-v1:{key_body}+type@problem+block@s{s}u{u}b{b}" for b in range(blocks_per_unit)
                ]
    return register_course(course_key, display_name, layout, unit_blocks=unit_blocks, **kwargs)


COMPLETION_TRACKING_SWITCH = "completion.enable_completion_tracking"


def enable_completion_tracking(active: bool = True) -> None:
    """Turn edx-completion's waffle switch on (off by default, as in a fresh LMS)."""
    from edx_django_utils.cache import RequestCache  # noqa: PLC0415
    from waffle.models import Switch  # noqa: PLC0415  (django-waffle, as the LMS has it)

    switch, _ = Switch.objects.update_or_create(name=COMPLETION_TRACKING_SWITCH, defaults={"active": active})
    switch.flush()  # waffle flushes its cache on commit: inside a test's transaction, now
    # edx-toggles keeps a switch's value for the rest of the request: the next request sees the change.
    RequestCache.clear_all_namespaces()


def submit_completion(user_id: int, block_key: str, completion: float = 1.0):
    """What the LMS does when a block reports completion: the real ``BlockCompletion.objects.submit_completion``.

    It saves the row (Django's ``post_save``, i.e. the adapter's ``BLOCK_COMPLETION_SAVED``) when it
    is new or changed, and emits ``edx.completion.block_completion.changed`` every time (data with
    datetime ``modified``/``created``) through eventtracking. Raises RuntimeError while the switch
    is off, as edx-completion does. Returns ``(BlockCompletion, is_new)``.
    """
    from completion.models import BlockCompletion  # noqa: PLC0415  (edx-completion)
    from opaque_keys.edx.keys import UsageKey  # noqa: PLC0415

    user = get_user_model().objects.get(pk=user_id)
    return BlockCompletion.objects.submit_completion(user, UsageKey.from_string(block_key), completion)


def record_completion(user_id: int, course_key: str, block_key: str, completion: float = 1.0) -> None:
    """Put a row in edx-completion's ``BlockCompletion`` table without its signals or event.

    For tests and benchmarks that deliver the completion event themselves (or replay it later):
    the table holds what the platform recorded before it emitted the event.
    """
    from completion.models import BlockCompletion  # noqa: PLC0415
    from opaque_keys.edx.keys import CourseKey, UsageKey  # noqa: PLC0415

    block = UsageKey.from_string(block_key)
    context = CourseKey.from_string(course_key)
    rows = BlockCompletion.objects.filter(user_id=user_id, context_key=context, block_key=block)
    if not rows.update(completion=completion):
        # bulk_create sends no post_save: only the state, not the platform's reaction to it.
        BlockCompletion.objects.bulk_create(
            [
                BlockCompletion(
                    user_id=user_id,
                    context_key=context,
                    block_key=block,
                    block_type=block.block_type,
                    completion=completion,
                )
            ]
        )


def save_block_completion(user_id: int, course_key: str, block_key: str, completion: float = 1.0, modified=None):
    """Save a real ``BlockCompletion`` row (Django's ``post_save``) without the tracking event.

    ``modified`` (tests that need fixed times) is written to the row first: the model's own
    ``modified`` is set on every save, so the post_save receivers see the save's time otherwise.
    """
    from completion.models import BlockCompletion  # noqa: PLC0415
    from opaque_keys.edx.keys import CourseKey, UsageKey  # noqa: PLC0415

    block = UsageKey.from_string(block_key)
    keys = {"user_id": user_id, "context_key": CourseKey.from_string(course_key), "block_key": block}
    if modified is None:
        instance, _ = BlockCompletion.objects.update_or_create(
            **keys, defaults={"block_type": block.block_type, "completion": completion}
        )
        return instance
    # Written without signals (the row's own save would stamp the current time), then one post_save.
    rows = BlockCompletion.objects.filter(**keys)
    created = not rows.update(completion=completion, modified=modified)
    if created:
        row = BlockCompletion(**keys, block_type=block.block_type, completion=completion)
        row.created = row.modified = modified
        BlockCompletion.objects.bulk_create([row])
    instance = rows.get()
    from django.db.models.signals import post_save  # noqa: PLC0415

    post_save.send(sender=BlockCompletion, instance=instance, created=created, raw=False, using="default")
    return instance


# What the platform's course blocks transformers take away from a learner's view, per course:
# staff-only blocks (VisibilityTransformer), group_access by user partition (UserPartitionTransformer:
# cohorts, enrollment tracks, split_test), and library_content children (ContentLibraryTransformer).
_staff_only: dict[str, set[str]] = {}
_group_access: dict[str, dict[str, dict[int, frozenset[int]]]] = {}  # course -> block -> partition -> groups
_learner_groups: dict[tuple[int, str], dict[int, int]] = {}  # (user, course) -> partition -> group
_library_children: dict[str, dict[str, tuple[str, ...]]] = {}  # course -> library block -> its children
_library_selected: dict[tuple[int, str], set[str]] = {}  # (user, library block) -> selected children


def set_staff_only(course_key: str, block_key: str) -> None:
    """Mark a unit or block ``visible_to_staff_only`` (learners never see it)."""
    _staff_only.setdefault(course_key, set()).add(block_key)


def restrict_to_groups(course_key: str, block_key: str, partition_id: int, group_ids) -> None:
    """Set a block's ``group_access`` for one user partition (a cohort, enrollment-track or split_test one)."""
    _group_access.setdefault(course_key, {}).setdefault(block_key, {})[partition_id] = frozenset(group_ids)


def assign_group(user_id: int, course_key: str, partition_id: int, group_id: int) -> None:
    """Put a learner in a group of a partition (their cohort, enrollment track or split_test group)."""
    _learner_groups.setdefault((user_id, course_key), {})[partition_id] = group_id


def add_library_content(course_key: str, library_block: str, children: list[str]) -> None:
    """Declare a ``library_content`` block and its children (each learner sees only those selected)."""
    _library_children.setdefault(course_key, {})[library_block] = tuple(children)


def select_library_children(user_id: int, library_block: str, children: list[str]) -> None:
    """The children the library block selected for this learner (its per-learner ``selected`` field)."""
    _library_selected[(user_id, library_block)] = set(children)


def _hidden_from(user_id: int, course_key: str) -> set[str]:
    """Blocks the standard transformers remove for this learner (their descendants go too)."""
    hidden = set(_staff_only.get(course_key, ()))
    groups = _learner_groups.get((user_id, course_key), {})
    for block, access in _group_access.get(course_key, {}).items():
        if any(groups.get(partition) not in allowed for partition, allowed in access.items()):
            hidden.add(block)
    for library_block, children in _library_children.get(course_key, {}).items():
        selected = _library_selected.get((user_id, library_block), set())
        hidden.update(child for child in children if child not in selected)
    return hidden


def set_edx_video_id(video_key: str, edx_video_id: str) -> None:
    """Give a video block its ``edx_video_id`` field (what Studio's upload sets; empty for YouTube-only blocks).

    Its length is then what edx-val's ``Video`` row of that id says, as in the LMS.
    """
    _edx_video_ids[video_key] = edx_video_id


def add_course_staff(course_key: str, user_id: int) -> None:
    """Give a user Studio write access to a course."""
    _course_staff.setdefault(course_key, set()).add(user_id)


def set_other_course_settings(course_key: str, value: dict) -> None:
    """Set what Studio's Advanced Settings "Other Course Settings" hold for a course."""
    _other_course_settings[course_key] = value


def publish_course(course_key: str) -> None:
    """Send the course-published signal as Studio does after a publish (receivers run synchronously)."""
    from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415

    from xapi_plugin import platform  # noqa: PLC0415

    platform.COURSE_PUBLISHED.send(sender=StandInPlatformBackend, course_key=CourseKey.from_string(course_key))


RETIRED_USERNAME_PREFIX = "retired__user_"
RETIRED_EMAIL_DOMAIN = "retired.invalid"


@dataclass(frozen=True)
class StandInRetirementStatus:
    """The fields of edx-platform's ``UserRetirementStatus`` (``user_api/models.py``) the adapter reads."""

    user_id: int
    original_username: str
    original_email: str
    original_name: str
    retired_username: str
    retired_email: str


# user id -> retirement status, as the platform's UserRetirementStatus rows (one per user).
_retirements: dict[int, StandInRetirementStatus] = {}


def request_retirement(user_id: int) -> StandInRetirementStatus:
    """The learner deletes their account: what ``create_retirement_request_and_deactivate_account`` does.

    A ``UserRetirementStatus`` keeps the original username and email, then the account's email is
    replaced by the retired placeholder at once; the username stays until the final ``retire`` step.
    So when ``USER_RETIRE_LMS_MISC`` / ``USER_RETIRE_LMS_CRITICAL`` fire, ``user.email`` is retired.
    """
    import hashlib  # noqa: PLC0415

    user = get_user_model().objects.get(pk=user_id)
    digest = hashlib.sha256(f"stand-in-retirement:{user_id}".encode()).hexdigest()[:40]
    status = StandInRetirementStatus(
        user_id=user_id,
        original_username=user.username,
        original_email=user.email,
        original_name=f"{user.first_name} {user.last_name}".strip(),
        retired_username=f"{RETIRED_USERNAME_PREFIX}{digest}",
        retired_email=f"{RETIRED_USERNAME_PREFIX}{digest}@{RETIRED_EMAIL_DOMAIN}",
    )
    _retirements[user_id] = status
    user.email = status.retired_email
    user.set_unusable_password()
    user.save()
    return status


def retire_user(user_id: int) -> None:
    """The whole retirement: the request (email replaced), then the final step renames and deactivates."""
    status = _retirements.get(user_id) or request_retirement(user_id)
    get_user_model().objects.filter(pk=user_id).update(
        username=status.retired_username, email=status.retired_email, first_name="", last_name="", is_active=False
    )


# LMS asides (XBlockAsidesConfig) in the stand-in: what a test or the demo configured.
_asides = {"enabled": True, "disabled_blocks": "about course_info static_tab"}


def configure_lms_asides(enabled: bool = True, disabled_blocks: str = "about course_info static_tab") -> None:
    """Set what the LMS admin's XBlock Asides Config row says (its default ``disabled_blocks``)."""
    _asides.update(enabled=enabled, disabled_blocks=disabled_blocks)


def reset() -> None:
    """Forget every registered course, staff member and setting."""
    _outlines.clear()
    _course_staff.clear()
    _other_course_settings.clear()
    _external_ids.clear()
    _edx_video_ids.clear()
    _retirements.clear()
    for registry in (_staff_only, _group_access, _learner_groups, _library_children, _library_selected):
        registry.clear()
    configure_lms_asides()
    from edx_django_utils.cache import RequestCache  # noqa: PLC0415

    RequestCache.clear_all_namespaces()  # switch values edx-toggles kept (a new request)


class StandInPlatformBackend:
    """Implements the contract of ``xapi_plugin.platform.PlatformBackend`` from the registries."""

    def get_user(self, user_id: int) -> PlatformUser | None:
        user = get_user_model().objects.filter(pk=user_id).only("id", "username", "email", "is_active").first()
        if user is None:
            return None
        return PlatformUser(id=user.id, username=user.username, email=user.email or "", is_active=user.is_active)

    def get_course_version(self, course_key: str) -> str | None:
        outline = _outlines.get(course_key)
        return outline.version if outline else None

    def get_course_outline(self, course_key: str) -> CourseOutline | None:
        return _outlines.get(course_key)

    def user_can_edit_course(self, user, course_key: str) -> bool:
        if not user or not user.is_authenticated:
            return False
        return user.is_superuser or user.pk in _course_staff.get(course_key, set())

    def get_other_course_settings(self, course_key: str) -> dict:
        return dict(_other_course_settings.get(course_key, {}))

    def get_visible_blocks(self, user_id: int, course_key: str) -> frozenset[str] | None:
        outline = _outlines.get(course_key)
        if outline is None:
            return None
        if user_id in _course_staff.get(course_key, set()):
            return None  # course staff see everything
        hidden = _hidden_from(user_id, course_key)
        visible = set()
        for section in outline.sections:
            for unit in section.units:
                if unit in hidden:
                    continue  # a hidden unit hides what it holds
                visible.add(unit)
                visible.update(block for block in outline.unit_blocks.get(unit, ()) if block not in hidden)
        return frozenset(visible)

    def is_user_retired(self, user_id: int) -> bool:
        if user_id in _retirements:
            return True
        return get_user_model().objects.filter(pk=user_id, username__startswith=RETIRED_USERNAME_PREFIX).exists()

    def get_original_email(self, user_id: int) -> str | None:
        status = _retirements.get(user_id)
        return status.original_email if status else None

    def get_prerequisites(self) -> Prerequisites:
        from django.conf import settings  # noqa: PLC0415

        lms_asides = None
        if getattr(settings, "HOST_PROJECT_TYPE", "") == "lms.djangoapp":
            lms_asides = _asides["enabled"] and "video" not in _asides["disabled_blocks"].split()
        return settings_prerequisites(completion_tracking_enabled(), lms_asides)

    def get_completed_blocks(self, user_id: int, course_key: str) -> set[str]:
        # edx-completion is installed in the stand-in: the same query as in the LMS.
        return EdxPlatformBackend().get_completed_blocks(user_id, course_key)

    def get_video_duration(self, video_key: str) -> float | None:
        # The block's edx_video_id from the registry (no modulestore here), then the real edx-val read.
        return edxval_duration(_edx_video_ids.get(video_key, ""))

    def get_external_user_id(self, user_id: int, create: bool = True) -> str | None:
        key = (int(user_id), EXTERNAL_ID_TYPE)
        if key not in _external_ids:
            if not create or not get_user_model().objects.filter(pk=user_id).exists():
                return None
            _external_ids[key] = external_id_for(user_id)
        return _external_ids[key]

    def get_user_id_for_external_id(self, external_id: str) -> int | None:
        wanted = str(external_id).strip().lower()
        for (user_id, id_type), value in _external_ids.items():
            if id_type == EXTERNAL_ID_TYPE and value == wanted:
                return user_id
        # Created in another process of the run: the value is derived, so recompute it per user.
        for user_id in get_user_model().objects.order_by("pk").values_list("pk", flat=True).iterator(10_000):
            if external_id_for(user_id) == wanted:
                return user_id
        return None
