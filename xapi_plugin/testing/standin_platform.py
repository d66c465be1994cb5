"""A stand-in for edx-platform behind the platform adapter, for the test host and the demo.

Users come from Django's user table; course outlines, course staff and "Other Course Settings"
come from in-memory registries that tests and the demo fill.
"""

from django.contrib.auth import get_user_model

from xapi_plugin.platform import CourseOutline, OutlineSection, PlatformUser

_outlines: dict[str, CourseOutline] = {}
_course_staff: dict[str, set[int]] = {}
_other_course_settings: dict[str, dict] = {}


def register_course(
    course_key: str,
    display_name: str,
    sections: list[tuple[str, str, list[str]]],
    version: str = "1",
    language: str = "en",
) -> CourseOutline:
    """Make a course known: ``sections`` is a list of (usage key, display name, unit keys)."""
    outline = CourseOutline(
        course_key=course_key,
        display_name=display_name,
        version=version,
        language=language,
        sections=tuple(OutlineSection(key, name, tuple(units)) for key, name, units in sections),
    )
    _outlines[course_key] = outline
    return outline


def make_course(course_key: str, display_name: str = "Demo course", sections: int = 2, units: int = 3, **kwargs):
    """Register a course with generated sections and units; returns its outline."""
    key_body = course_key.split(":", 1)[1]
    layout = []
    for s in range(sections):
        section_key = f"block-v1:{key_body}+type@chapter+block@section{s}"
        unit_keys = [f"block-v1:{key_body}+type@vertical+block@s{s}u{u}" for u in range(units)]
        layout.append((section_key, f"Section {s + 1}", unit_keys))
    return register_course(course_key, display_name, layout, **kwargs)


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


def reset() -> None:
    """Forget every registered course, staff member and setting."""
    _outlines.clear()
    _course_staff.clear()
    _other_course_settings.clear()


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
