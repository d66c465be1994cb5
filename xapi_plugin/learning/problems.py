"""Problem statements from the capa ProblemBlock's server-side tracking events.

| event (``context.event_source == "server"``) | statements |
|---|---|
| ``problem_check`` | one ``evaluated`` per question (capa input) of the submission |
| ``edx.problem.hint.demandhint_displayed`` | ``asked`` on ``<problem>/hint/<n>`` |
| ``showanswer`` | ``asked`` on ``<problem>/answer`` |

The browser also logs a ``problem_check`` (its data a URL-encoded string of the raw inputs); the
intake drops it before parsing, since the server event that follows carries the graded result.
The block publishes ``problem_check`` after grading with: ``problem_id`` (usage key),
``attempts`` (already counting this one), ``grade`` / ``max_grade`` (the problem's raw points),
``correct_map`` (per answer id: ``correctness``, ``npoints``), ``answers`` and ``submission``
(per answer id: ``question``, ``answer`` as shown to the learner, ``response_type``).

Points per question: the event gives the problem's raw ``grade`` of ``max_grade`` (capa's sum
over inputs, each input worth its ``points`` attribute, 1 by default). Each question gets an
equal share ``max_grade / n`` as its maximum (exact unless an author gave inputs different
``points``) and scores ``npoints`` when the grader set partial credit, else the whole share when
correct and 0 when not; so the questions add up to the event's ``grade``.
"""

import logging
import re

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import UsageKey

from xapi_plugin.core import metrics
from xapi_plugin.course import course_basis, enqueue
from xapi_plugin.intake import MalformedEvent, TrackingEvent
from xapi_plugin.statements import problems as problem_statements
from xapi_plugin.statements import statement_id
from xapi_plugin.statements.vocabulary import VERB_ASKED, VERB_EVALUATED
from xapi_plugin.studio import get_course_settings

log = logging.getLogger(__name__)

PROBLEM_CHECK = "problem_check"
HINT_SHOWN = "edx.problem.hint.demandhint_displayed"
ANSWER_SHOWN = "showanswer"
PROBLEM_EVENTS = (PROBLEM_CHECK, HINT_SHOWN, ANSWER_SHOWN)

# '<block id>_<response>_<input>': the number pair orders the questions as the problem shows them.
_ANSWER_ID_NUMBERS = re.compile(r"_(\d+)_(\d+)$")


def _order(answer_id: str):
    match = _ANSWER_ID_NUMBERS.search(answer_id)
    return (0, int(match.group(1)), int(match.group(2)), answer_id) if match else (1, 0, 0, answer_id)


def _number(value, what: str) -> float:
    if isinstance(value, bool) or value is None:
        raise MalformedEvent(f"{what} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise MalformedEvent(f"{what} is not a number") from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise MalformedEvent(f"{what} is not a finite number")
    return number


def _usage_key(value) -> UsageKey:
    if not isinstance(value, str) or not value:
        raise MalformedEvent("no problem usage key")
    try:
        return UsageKey.from_string(value)
    except InvalidKeyError as exc:
        raise MalformedEvent("the problem id is not a usage key") from exc


def _question_points(entry: dict, share: float) -> float:
    """capa's CorrectMap.get_npoints, in the problem's points: set partial credit, else all or nothing."""
    npoints = entry.get("npoints")
    if npoints is not None:
        return min(share, max(0.0, _number(npoints, "npoints")))
    return share if entry.get("correctness") == "correct" else 0.0


def _display_name(event: TrackingEvent) -> str | None:
    module = event.context.get("module")
    name = module.get("display_name") if isinstance(module, dict) else None
    return name if isinstance(name, str) and name else None


def submission_from_event(event: TrackingEvent) -> problem_statements.ProblemSubmission:
    """The graded submission a server ``problem_check`` reports; MalformedEvent when it cannot be read."""
    data = event.data
    usage_key = _usage_key(data.get("problem_id"))
    attempts = data.get("attempts")
    if isinstance(attempts, bool) or not isinstance(attempts, int | float) or attempts < 1:
        raise MalformedEvent("attempts is not a positive whole number")
    correct_map = data.get("correct_map")
    if not isinstance(correct_map, dict) or not correct_map:
        raise MalformedEvent("no correct_map")
    max_grade = _number(data.get("max_grade"), "max_grade")
    submission = data.get("submission") if isinstance(data.get("submission"), dict) else {}
    answers = data.get("answers") if isinstance(data.get("answers"), dict) else {}
    answer_ids = sorted(correct_map, key=_order)
    share = max_grade / len(answer_ids)
    questions = []
    for answer_id in answer_ids:
        entry = correct_map[answer_id] if isinstance(correct_map[answer_id], dict) else {}
        shown = submission.get(answer_id) if isinstance(submission.get(answer_id), dict) else {}
        # "submission" is {} when the block could not describe it; "answers" still has the raw input.
        answer = shown.get("answer") if "answer" in shown else answers.get(answer_id)
        question = shown.get("question") if isinstance(shown.get("question"), str) else ""
        questions.append(
            problem_statements.QuestionResult(
                answer_id=str(answer_id),
                question=question,
                response=problem_statements.response_text(answer),
                interaction_type=problem_statements.interaction_type(shown.get("response_type")),
                correct=entry.get("correctness") == "correct",
                raw=_question_points(entry, share),
                max=share,
            )
        )
    return problem_statements.ProblemSubmission(
        usage_key=str(usage_key),
        display_name=_display_name(event),
        attempt=int(attempts),
        questions=tuple(questions),
    )


def _learner_and_course(event: TrackingEvent, usage_key: UsageKey) -> tuple[int, str] | None:
    user_id = event.user_id
    if user_id is None:
        return None  # an anonymous preview: nobody to report
    course_key = event.course_key or str(usage_key.course_key)
    return user_id, str(course_key)


def course_sends_problems(course_key: str) -> bool:
    """Whether the course sends problem statements (the intake stores no problem event otherwise)."""
    settings = get_course_settings(course_key)
    return settings is not None and settings.sends_problem_statements


def _target(course_key: str, event: TrackingEvent):
    settings = get_course_settings(course_key)
    if settings is None or not settings.sends_problem_statements:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.debug("xapi: no problem statements for %s %s in %s", event.name, event.fingerprint, course_key)
        return None
    return settings


def handle_problem_event(event: TrackingEvent) -> int:
    """Tracking-route handler of the problem events; returns how many statements were queued.

    Raises :class:`MalformedEvent` for unreadable data (the router logs and counts it).
    """
    if event.context.get("event_source") == "browser":
        return 0  # the browser's copies carry no grading; the server event does
    data = event.data
    if event.name == PROBLEM_CHECK:
        submission = submission_from_event(event)
        usage_key = _usage_key(submission.usage_key)
    else:
        usage_key = _usage_key(data.get("problem_id") if event.name == ANSWER_SHOWN else data.get("module_id"))
    who = _learner_and_course(event, usage_key)
    if who is None:
        return 0
    user_id, course_key = who
    settings = _target(course_key, event)
    if settings is None:
        return 0
    basis = course_basis(
        settings,
        user_id=user_id,
        course_key=course_key,
        timestamp=event.timestamp,
        source_event_id=event.fingerprint,
    )
    if event.name == PROBLEM_CHECK:
        statements = [
            problem_statements.evaluated(
                basis, statement_id(event.fingerprint, VERB_EVALUATED, question.answer_id), submission, question
            )
            for question in submission.questions
        ]
    elif event.name == HINT_SHOWN:
        hint_index = data.get("hint_index")
        if isinstance(hint_index, bool) or not isinstance(hint_index, int) or hint_index < 0:
            raise MalformedEvent("hint_index is not a whole number")
        sid = statement_id(event.fingerprint, VERB_ASKED)
        statements = [problem_statements.hint_asked(basis, sid, str(usage_key), hint_index)]
    else:
        sid = statement_id(event.fingerprint, VERB_ASKED)
        statements = [problem_statements.answer_asked(basis, sid, str(usage_key))]
    return enqueue(statements, settings, course_key, user_id)
