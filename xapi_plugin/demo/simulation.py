"""Simulated learners: what a real LMS would emit while people study, sent through the real channels.

Enrolments, grades, passing and certificates are openedx-events signals (``send_event``); unit
completions, video playback, problem submissions, hints and navigation are tracking events
emitted through eventtracking's tracker, as the LMS emits them (problem events with the data the
real capa ProblemBlock publishes: ``tests/learning/test_problems.py`` runs the block itself;
navigation as the learning MFE posts it). Nothing here calls the plugin directly.
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


def enrollment_mode(user) -> str:
    """Every third learner pays for the verified track; the others audit."""
    return "verified" if user.id % 3 == 0 else "audit"


def _enrollment(user, outline: CourseOutline, is_active: bool) -> CourseEnrollmentData:
    return CourseEnrollmentData(
        user=user_data(user),
        course=_course_data(outline),
        mode=enrollment_mode(user),
        is_active=is_active,
        creation_date=datetime.now(UTC),
    )


def enrol(user, outline: CourseOutline) -> None:
    signals.COURSE_ENROLLMENT_CREATED.send_event(enrollment=_enrollment(user, outline, is_active=True))


def unenrol(user, outline: CourseOutline) -> None:
    signals.COURSE_UNENROLLMENT_COMPLETED.send_event(enrollment=_enrollment(user, outline, is_active=False))


def _emit(
    user, outline: CourseOutline, name: str, data: dict, page: str = "", with_course: bool = True, module=None
) -> None:
    context = {
        "user_id": user.id,
        "username": user.username,
        "session": f"demo-session-{user.id}",
        "page": page,
        "event_source": "browser" if page else "server",
    }
    if with_course:  # the MFE's events carry no course id: the plugin reads it from the page or unit
        context["course_id"] = outline.course_key
        context["org_id"] = outline.course_key.split(":", 1)[1].split("+")[0]
    if module:
        context["module"] = module
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
    """A viewing with plays, a pause, and a seek or settings and captions: straight through, or skipping a quarter."""
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
        # A speed change (no statement: later ones carry the speed), then captions in French.
        player("speed_change_video", current_time=round(length * 0.5, 3), old_speed="1.0", new_speed="1.5")
        player("edx.video.language_menu.hidden", language="fr")
        player("edx.video.closed_captions.shown", current_time=round(length * 0.6, 3))
    player("stop_video", currentTime=length)


@dataclass(frozen=True)
class DemoQuestion:
    """One question (capa input) of a demo problem: its text, response type, right and wrong answers."""

    text: str
    response_type: str
    input_type: str
    right: str | list[str]
    wrong: str | list[str]


@dataclass(frozen=True)
class DemoProblem:
    """A capa problem of the demo course: its usage key, name and questions."""

    usage_key: str
    display_name: str
    questions: tuple[DemoQuestion, ...]

    @property
    def answer_ids(self) -> list[str]:
        # capa's input ids: '<block id>_<response number from 2>_1'.
        block_id = self.usage_key.rsplit("@", 1)[1]
        return [f"{block_id}_{n + 2}_1" for n in range(len(self.questions))]


def demo_problems(outline: CourseOutline) -> list[DemoProblem]:
    """A three-question quiz and a one-question check, on the first problems of the first two units."""
    units = [unit for section in outline.sections for unit in section.units]
    quiz_key, check_key = outline.unit_blocks[units[0]][0], outline.unit_blocks[units[1]][0]
    quiz = DemoProblem(
        quiz_key,
        "Warm-up quiz",
        (
            DemoQuestion("Which is a prime?", "multiplechoiceresponse", "choicegroup", "7", "4"),
            DemoQuestion("Pick the even numbers", "choiceresponse", "checkboxgroup", ["2", "8"], ["2", "3"]),
            DemoQuestion("Capital of France?", "stringresponse", "textline", "Paris", "Lyon"),
        ),
    )
    check = DemoProblem(
        check_key,
        "Quick check",
        (DemoQuestion("The fourth prime?", "numericalresponse", "formulaequationinput", "7", "9"),),
    )
    return [quiz, check]


def attempt_problem(user, outline: CourseOutline, problem: DemoProblem, attempt: int, correct: list[bool]) -> None:
    """One graded submission: the server ``problem_check`` event of the capa block, with its data."""
    answers, correct_map, submission = {}, {}, {}
    for answer_id, question, is_right in zip(problem.answer_ids, problem.questions, correct, strict=True):
        shown = question.right if is_right else question.wrong
        answers[answer_id] = shown
        correct_map[answer_id] = {
            "correctness": "correct" if is_right else "incorrect",
            "npoints": None,
            "msg": "",
            "hint": "",
            "hintmode": None,
            "queuestate": None,
            "answervariable": None,
        }
        submission[answer_id] = {
            "question": question.text,
            "answer": shown,
            "response_type": question.response_type,
            "input_type": question.input_type,
            "correct": is_right,
            "variant": "",
            "group_label": "",
        }
    data = {
        "state": {"seed": 1, "student_answers": {}, "has_saved_answers": False, "correct_map": {},
                  "correct_map_history": [], "input_state": {}, "done": attempt > 1},
        "problem_id": problem.usage_key,
        "answers": answers,
        "grade": sum(correct),
        "max_grade": len(problem.questions),
        "correct_map": correct_map,
        "success": "correct" if all(correct) else "incorrect",
        "attempts": attempt,
        "submission": submission,
    }  # fmt: skip
    _emit(user, outline, "problem_check", data, module={"display_name": problem.display_name})


def ask_hint(user, outline: CourseOutline, problem: DemoProblem, index: int) -> None:
    data = {"module_id": problem.usage_key, "hint_index": index, "hint_len": 2, "hint_text": "Think small."}
    _emit(user, outline, "edx.problem.hint.demandhint_displayed", data)


def show_answer(user, outline: CourseOutline, problem: DemoProblem) -> None:
    _emit(user, outline, "showanswer", {"problem_id": problem.usage_key})


def solve_problems(user, outline: CourseOutline, rng: random.Random, diligent: bool) -> None:
    """The quiz: a first try with mistakes, a hint, then right (diligent) or one more wrong try and the answer."""
    quiz, check = demo_problems(outline)
    attempt_problem(user, outline, quiz, 1, [True, False, rng.random() < 0.5])
    ask_hint(user, outline, quiz, 0)
    if diligent:
        attempt_problem(user, outline, quiz, 2, [True, True, True])
        attempt_problem(user, outline, check, 1, [True])
    else:
        attempt_problem(user, outline, quiz, 2, [False, True, False])
        show_answer(user, outline, quiz)
        attempt_problem(user, outline, check, 1, [False])


def navigate(user, outline: CourseOutline, units_seen: int) -> None:
    """Click "next" through the units of each section (as the learning MFE logs it), and one tab jump."""
    seen = 0
    for section in outline.sections:
        for position, unit in enumerate(section.units, start=1):
            if seen >= units_seen:
                return
            seen += 1
            page = f"https://apps.demo.example/learning/course/{outline.course_key}/{section.usage_key}/{unit}"
            data = {"current_tab": position, "id": unit, "tab_count": len(section.units), "widget_placement": "top"}
            _emit(user, outline, "edx.ui.lms.sequence.next_selected", data, page=page, with_course=False)
            if position == 1 and len(section.units) > 2:
                jump = dict(data, target_tab=3, widget_placement="left")
                _emit(user, outline, "edx.ui.lms.sequence.tab_selected", jump, page=page, with_course=False)


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


@dataclass(frozen=True)
class DemoPath:
    """The demo's learning path (a real ``learning_paths.LearningPath``): the demo course, then ``second``."""

    key: str
    second: CourseOutline


def join_path(user, path: DemoPath) -> None:
    """Enrol the learner in the path, as the Learning Paths app's enrolment API saves it."""
    from learning_paths.models import LearningPath, LearningPathEnrollment  # noqa: PLC0415

    LearningPathEnrollment.objects.create(user=user, learning_path=LearningPath.objects.get(key=path.key))


def study_second_course(user, path: DemoPath, rng: random.Random) -> None:
    """The path's second course: enrol, every unit, a grade."""
    enrol(user, path.second)
    complete_units(user, path.second, [unit for section in path.second.sections for unit in section.units])
    grade(user, path.second, round(rng.uniform(0.7, 0.99), 2))


def simulate_learner(
    index: int, outline: CourseOutline, videos: list[DemoVideo], rng: random.Random, path: DemoPath | None = None
) -> None:
    """One learner's whole course: enrol, units, problems, videos, grade, pass or fail, certificate or leave.

    With ``path``, every other learner also joins the learning path and studies its second course.
    """
    user = create_learner(index)
    enrol(user, outline)
    on_path = path is not None and index % 2 == 0
    if on_path:
        join_path(user, path)
    units = [unit for section in outline.sections for unit in section.units]
    finishes = rng.random() < 0.75
    done_units = units if finishes else units[: rng.randint(1, max(1, len(units) - 1))]
    navigate(user, outline, len(done_units))
    complete_units(user, outline, done_units)
    solve_problems(user, outline, rng, diligent=finishes)
    for video in videos:
        watch_video(user, outline, video, skip_middle=not finishes)
    percent = round(rng.uniform(0.6, 0.98) if finishes else rng.uniform(0.1, 0.45), 2)
    grade(user, outline, percent)
    if finishes:
        award_certificate(user, outline, percent)
    elif index % 4 == 1:
        unenrol(user, outline)
    if on_path:
        study_second_course(user, path, rng)
