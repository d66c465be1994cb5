"""Validation of course values that operators and course staff enter; messages say how to fix the value."""

import unicodedata

from django.core.exceptions import ValidationError
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey


def validate_single_line(value: str) -> None:
    """Printable text on one line: no control characters (CR/LF would break email headers)."""
    if any(unicodedata.category(char) == "Cc" for char in value or ""):
        raise ValidationError(
            "Use printable characters on one line: line breaks, tabs and other control characters are not allowed.",
            code="control_characters",
        )


def validate_course_key(value: str) -> None:
    """A course key the platform understands, such as course-v1:Org+Course+Run."""
    try:
        CourseKey.from_string(value)
    except InvalidKeyError as exc:
        raise ValidationError(
            f"'{value}' is not a course id. Use the id shown in the course URL, "
            "such as course-v1:edX+DemoX+Demo_Course.",
            code="invalid_course_key",
        ) from exc


def validate_video_end_percent(value: int) -> None:
    """Percentage of a video that counts as watched: 1 to 100."""
    if value is None or not 1 <= value <= 100:
        raise ValidationError(
            f"Video end percent must be a whole number from 1 to 100 (got {value}); "
            "100 means the whole video must be watched.",
            code="out_of_range",
        )


def validate_video_end_seconds(value: int) -> None:
    """Seconds before the end that count as the end: 0 or more."""
    if value is None or value < 0:
        raise ValidationError(
            f"Video end seconds must be 0 or more (got {value}); 0 turns this rule off.",
            code="out_of_range",
        )


def validate_learning_path_key(value: str) -> None:
    """A Learning Paths key: ``path-v1:org+number+run+group``."""
    body = value.removeprefix("path-v1:") if isinstance(value, str) else ""
    if body == value or body.count("+") != 3 or not all(body.split("+")):
        raise ValidationError("Enter a learning path key such as path-v1:OpenedX+DemoX+2026+G1 (org+number+run+group).")
