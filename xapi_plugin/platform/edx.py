"""The adapter inside a real LMS or Studio: edx-platform's APIs, each imported lazily."""

from xapi_plugin.platform.contract import CourseOutline, OutlineSection, PlatformUser


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

    def get_original_email(self, user_id: int) -> str | None:
        try:
            from openedx.core.djangoapps.user_api.models import UserRetirementStatus  # noqa: PLC0415  (edx-platform)
        except ImportError:
            return None
        row = UserRetirementStatus.objects.filter(user_id=user_id).values_list("original_email", flat=True).first()
        return row or None

    def user_can_edit_course(self, user, course_key: str) -> bool:
        from common.djangoapps.student.auth import has_studio_write_access  # noqa: PLC0415  (edx-platform)
        from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415

        if not user or not user.is_authenticated:
            return False
        return bool(has_studio_write_access(user, CourseKey.from_string(course_key)))

    def get_other_course_settings(self, course_key: str) -> dict:
        course = self._course(course_key, depth=0)
        return dict(getattr(course, "other_course_settings", None) or {}) if course else {}
