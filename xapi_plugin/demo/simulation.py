"""Simulated learners: what a real LMS would emit while people study, sent through the real channels.

Enrolments, grades, passing and certificates are openedx-events signals (``send_event``); unit
completions and video playback are tracking events emitted through eventtracking's tracker, as
the LMS emits them. Nothing here calls the plugin directly.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from eventtracking import tracker
from openedx_events.learning import signals
from openedx_events.learning.data import (
    CertificateData,
    CourseEnrollmentData,
    CoursePassingStatusData,
    PersistentCourseGradeData,
)

from xapi_plugin.platform import CourseOutline
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.events import course_data, user_data

# Names that exercise what real sites have: accents, other scripts, a missing or broken email.
_FIRST_NAMES = ["Ada", "Zoë", "José", "Ngozi", "Ahmed", "Mei", "Иван", "Åsa", "Kofi", "Priya"]


@dataclass(frozen=True)
class DemoVideo:
    """A video of the demo course: its block id and length in seconds."""

    block_id: str
    length: float


def create_learner(index: int):
    """A user; every seventh has no email and every eleventh an invalid one (they get an account actor)."""
    name = f"{_FIRST_NAMES[index % len(_FIRST_NAMES)]} Learner{index}"
    if index % 7 == 3:
        email = ""
    elif index % 11 == 5:
        email = f"learner{index}-at-example"
    else:
        email = f"learner{index}@example.com"
    return get_user_model().objects.create_user(f"learner{index}", email, None, first_name=name)


def _course_data(outline: CourseOutline):
    return course_data(outline.course_key, outline.display_name)


def _enrollment(user, outline: CourseOutline, is_active: bool) -> CourseEnrollmentData:
    return CourseEnrollmentData(
        user=user_data(user),
        course=_course_data(outline),
        mode="audit",
        is_active=is_active,
        creation_date=datetime.now(UTC),
    )


def enrol(user, outline: CourseOutline) -> None:
    signals.COURSE_ENROLLMENT_CREATED.send_event(enrollment=_enrollment(user, outline, is_active=True))


def unenrol(user, outline: CourseOutline) -> None:
    signals.COURSE_UNENROLLMENT_COMPLETED.send_event(enrollment=_enrollment(user, outline, is_active=False))


def _emit(user, outline: CourseOutline, name: str, data: dict, page: str = "") -> None:
    context = {
        "user_id": user.id,
        "username": user.username,
        "course_id": outline.course_key,
        "org_id": outline.course_key.split(":", 1)[1].split("+")[0],
        "session": f"demo-session-{user.id}",
        "page": page,
        "event_source": "browser" if page else "server",
    }
    with tracker.get_tracker().context("xapi-demo", context):
        tracker.emit(name, data)


def complete_units(user, outline: CourseOutline, units: list[str]) -> None:
    """Complete every block of these units through the real edx-completion app (row saved, event emitted)."""
    standin_platform.enable_completion_tracking()
    context = {"user_id": user.id, "username": user.username, "session": f"demo-session-{user.id}"}
    for unit in units:
        for block in outline.unit_blocks.get(unit, (unit,)):
            with tracker.get_tracker().context("xapi-demo", context):
                standin_platform.submit_completion(user.id, block)


def watch_video(user, outline: CourseOutline, video: DemoVideo, skip_middle: bool) -> None:
    """A viewing with plays, a pause, a seek: straight through, or skipping a quarter of the video."""
    page = f"https://lms.demo.example/courses/{outline.course_key}/jump_to/{video.block_id}"
    length = video.length
    base = {"id": video.block_id, "code": "html5", "duration": length}

    def player(name: str, **data) -> None:
        _emit(user, outline, name, {**base, **data}, page=page)

    player("load_video")
    player("play_video", currentTime=0.0)
    player("pause_video", currentTime=round(length * 0.3, 3))
    player("play_video", currentTime=round(length * 0.3, 3))
    if skip_middle:
        player("seek_video", old_time=round(length * 0.5, 3), new_time=round(length * 0.75, 3), type="onSlideSeek")
    else:
        player("speed_change_video", current_time=round(length * 0.5, 3), old_speed="1.0", new_speed="1.5")
    player("stop_video", currentTime=length)


def grade(user, outline: CourseOutline, percent: float) -> None:
    now = datetime.now(UTC)
    letter = "A" if percent >= 0.9 else "B" if percent >= 0.7 else "C" if percent >= 0.5 else ""
    signals.PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(
        grade=PersistentCourseGradeData(
            user_id=user.id,
            course=_course_data(outline),
            course_edited_timestamp=now,
            course_version=outline.version,
            grading_policy_hash="demo-policy",
            percent_grade=percent,
            letter_grade=letter,
            passed_timestamp=now if percent >= 0.5 else None,
        )
    )
    signals.COURSE_PASSING_STATUS_UPDATED.send_event(
        course_passing_status=CoursePassingStatusData(
            is_passing=percent >= 0.5, course=_course_data(outline), user=user_data(user)
        )
    )


def award_certificate(user, outline: CourseOutline, percent: float) -> None:
    signals.CERTIFICATE_CREATED.send_event(
        certificate=CertificateData(
            user=user_data(user),
            course=_course_data(outline),
            mode="honor",
            grade=f"{percent:.2f}",
            download_url=f"https://lms.demo.example/certificates/{user.id}",
            name=user.first_name,
            current_status="downloadable",
            previous_status="",
        )
    )


def simulate_learner(index: int, outline: CourseOutline, videos: list[DemoVideo], rng: random.Random) -> None:
    """One learner's whole course: enrol, units, videos, grade, pass or fail, certificate or leave."""
    user = create_learner(index)
    enrol(user, outline)
    units = [unit for section in outline.sections for unit in section.units]
    finishes = rng.random() < 0.75
    done_units = units if finishes else units[: rng.randint(1, max(1, len(units) - 1))]
    complete_units(user, outline, done_units)
    for video in videos:
        watch_video(user, outline, video, skip_middle=not finishes)
    percent = round(rng.uniform(0.6, 0.98) if finishes else rng.uniform(0.1, 0.45), 2)
    grade(user, outline, percent)
    if finishes:
        award_certificate(user, outline, percent)
    elif index % 4 == 1:
        unenrol(user, outline)
