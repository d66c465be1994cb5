"""A stand-in for edx-platform behind the platform adapter, for the test host and the demo.

Users come from Django's user table; course outlines, course staff, "Other Course Settings"
and learners' block completions come from in-memory registries that tests and the demo fill.
"""

from datetime import UTC, datetime
from types import SimpleNamespace

from django.contrib.auth import get_user_model

from xapi_plugin.platform import EXTERNAL_ID_TYPE, CourseOutline, OutlineSection, PlatformUser
from xapi_plugin.statements import deterministic_uuid4_shaped

_outlines: dict[str, CourseOutline] = {}
_course_staff: dict[str, set[int]] = {}
_other_course_settings: dict[str, dict] = {}
# (user id, course key) -> {block usage key: completion 0..1}, as edx-completion's BlockCompletion.
_completions: dict[tuple[int, str], dict[str, float]] = {}
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
) -> CourseOutline:
    """Make a course known: ``sections`` is a list of (usage key, display name, unit keys).

    ``unit_blocks`` maps units to their completable blocks; a unit without an entry stands for itself.
    """
    outline = CourseOutline(
        course_key=course_key,
        display_name=display_name,
        version=version,
        language=language,
        sections=tuple(OutlineSection(key, name, tuple(units)) for key, name, units in sections),
        unit_blocks={unit: tuple(blocks) for unit, blocks in (unit_blocks or {}).items()},
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


def record_completion(user_id: int, course_key: str, block_key: str, completion: float = 1.0) -> None:
    """Store a learner's completion of a block, as edx-completion does before it emits its event."""
    _completions.setdefault((user_id, course_key), {})[block_key] = completion


class StandInBlockCompletion:
    """Shaped like edx-completion's ``BlockCompletion`` where the plugin reads it (sender and instance)."""

    _meta = SimpleNamespace(label="completion.BlockCompletion")

    def __init__(self, user_id: int, context_key: str, block_key: str, completion: float, modified: datetime):
        self.user_id = user_id
        self.context_key = context_key
        self.block_key = block_key
        self.completion = completion
        self.modified = modified


def save_block_completion(user_id: int, course_key: str, block_key: str, completion: float = 1.0, modified=None):
    """Record a completion and send ``BLOCK_COMPLETION_SAVED`` as Django's post_save would for the real model."""
    from xapi_plugin import platform  # noqa: PLC0415

    record_completion(user_id, course_key, block_key, completion)
    instance = StandInBlockCompletion(user_id, course_key, block_key, completion, modified or datetime.now(UTC))
    platform.BLOCK_COMPLETION_SAVED.send(sender=StandInBlockCompletion, instance=instance, created=True, raw=False)
    return instance


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


def retire_user(user_id: int) -> None:
    """Do what the platform's retirement does to the account first: hash its name and email away."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256(f"stand-in-retirement:{user_id}".encode()).hexdigest()[:40]
    get_user_model().objects.filter(pk=user_id).update(
        username=f"{RETIRED_USERNAME_PREFIX}{digest}",
        email=f"{RETIRED_USERNAME_PREFIX}{digest}@retired.invalid",
        is_active=False,
    )


def reset() -> None:
    """Forget every registered course, staff member and setting."""
    _outlines.clear()
    _course_staff.clear()
    _other_course_settings.clear()
    _completions.clear()
    _external_ids.clear()


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

    def is_user_retired(self, user_id: int) -> bool:
        return get_user_model().objects.filter(pk=user_id, username__startswith=RETIRED_USERNAME_PREFIX).exists()

    def get_completed_blocks(self, user_id: int, course_key: str) -> set[str]:
        return {block for block, value in _completions.get((user_id, course_key), {}).items() if value >= 1.0}

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
