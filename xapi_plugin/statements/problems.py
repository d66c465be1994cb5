"""Problem statements: one ``evaluated`` per question of a submission, ``asked`` for hints and answers. Pure.

Shaped for both an LRS (xAPI 1.0.3 interaction activities) and Open edX Aspects, which reads:
the verb ``evaluated``; ``object.definition.interactionType``; ``result.response`` as a string;
``result.success``; ``result.score``; and the attempt number as an integer in
``object.definition.extensions[attempt-id]`` on *every* evaluated statement (one statement
without it makes ClickHouse refuse the whole insert).

Object ids follow event-routing-backends, so statements from both line up in one LRS and in
Aspects: a problem with one question is ``<root>/xblock/<problem usage key>``; each question of a
problem with several is the problem's usage key with its block id replaced by the question's
answer id (``...+type@problem+block@<block id>_2_1``), which Aspects maps back to the problem.
Hints are ``<problem IRI>/hint/<n>``, the shown answer ``<problem IRI>/answer``.
"""

import json
from dataclasses import dataclass

from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.common import activity, block_activity_id, build_context, build_statement
from xapi_plugin.statements.course import CourseBasis, course_activity

# capa response types -> xAPI 1.0.3 interaction types. Types whose answer is not one of these
# shapes (code, custom scripts, drawing, image regions) are "other".
INTERACTION_TYPES: dict[str, str] = {
    "multiplechoiceresponse": "choice",
    "choiceresponse": "choice",
    "optionresponse": "choice",
    "choicetextresponse": "choice",
    "truefalseresponse": "true-false",
    "numericalresponse": "numeric",
    "stringresponse": "fill-in",
    "formularesponse": "fill-in",
    "symbolicresponse": "fill-in",
}
OTHER_INTERACTION = "other"


def interaction_type(response_type: str | None) -> str:
    """The xAPI interaction type of a capa response type (``other`` when unknown)."""
    return INTERACTION_TYPES.get(response_type or "", OTHER_INTERACTION)


def response_text(answer) -> str:
    """The learner's answer as one string: text as is, several choices as a JSON list (as ERB sends)."""
    if isinstance(answer, list | tuple):
        return json.dumps([str(item) for item in answer], ensure_ascii=False)
    if answer is None:
        return ""
    return str(answer)


@dataclass(frozen=True)
class QuestionResult:
    """One question (capa input) of a submission: its answer id, text, the answer and its points."""

    answer_id: str
    question: str
    response: str
    interaction_type: str
    correct: bool
    raw: float
    max: float


@dataclass(frozen=True)
class ProblemSubmission:
    """A graded submission of a problem (the server ``problem_check`` event), one entry per question."""

    usage_key: str
    display_name: str | None
    attempt: int
    questions: tuple[QuestionResult, ...]


def question_activity_id(submission: ProblemSubmission, question: QuestionResult, root_url: str) -> str:
    """The question's IRI: the problem's own when it has one question, else one per answer id."""
    if len(submission.questions) == 1:
        return block_activity_id(submission.usage_key, root_url)
    head, _sep, _block_id = submission.usage_key.rpartition("@")
    return block_activity_id(f"{head}@{question.answer_id}", root_url)


def problem_activity(usage_key: str, display_name: str | None, root_url: str) -> dict:
    """The problem as a whole (grouping of its questions' statements)."""
    return activity(block_activity_id(usage_key, root_url), v.ACTIVITY_INTERACTION, display_name)


def _context(basis: CourseBasis, grouping: list[dict] | None = None) -> dict:
    # parent[0] is the course, with its type: that is where Aspects finds a block's course.
    return build_context(
        registration=basis.registration,
        language=basis.language,
        root_url=basis.root_url,
        parents=[course_activity(basis.course_key, basis.course_name, basis.root_url)],
        grouping=grouping,
        source_event_id=basis.source_event_id,
    )


def _score(raw: float, maximum: float) -> dict:
    raw, maximum = max(0.0, float(raw)), max(0.0, float(maximum))
    raw = min(raw, maximum) if maximum else raw
    scaled = round(raw / maximum, 4) if maximum else 0.0
    return {"scaled": scaled, "raw": round(raw, 4), "min": 0, "max": round(maximum, 4)}


def evaluated(basis: CourseBasis, statement_id: str, submission: ProblemSubmission, question: QuestionResult) -> dict:
    """One question of a graded submission: response, success, points, attempt number."""
    definition: dict = {
        "type": v.ACTIVITY_INTERACTION,
        "interactionType": question.interaction_type,
        "extensions": {v.EXT_ATTEMPT_ID: int(submission.attempt)},
    }
    if submission.display_name:
        definition["name"] = {"en-US": submission.display_name}
    if question.question:
        definition["description"] = {"en-US": question.question}
    obj = {"objectType": "Activity", "id": question_activity_id(submission, question, basis.root_url)}
    obj["definition"] = definition
    grouping = None
    if len(submission.questions) > 1:
        grouping = [problem_activity(submission.usage_key, submission.display_name, basis.root_url)]
    result = {
        "success": bool(question.correct),
        "response": question.response,
        "score": _score(question.raw, question.max),
    }
    return build_statement(
        statement_id=statement_id,
        actor=basis.actor,
        verb_iri=v.VERB_EVALUATED,
        obj=obj,
        timestamp=basis.timestamp,
        context=_context(basis, grouping),
        result=result,
    )


def hint_asked(basis: CourseBasis, statement_id: str, usage_key: str, hint_index: int) -> dict:
    """The learner asked for hint ``hint_index`` (0-based, as the platform counts) of a problem."""
    obj = activity(
        block_activity_id(usage_key, basis.root_url) + f"{v.IRI_SUFFIX_HINT}{int(hint_index)}",
        v.ACTIVITY_SUPPLEMENTAL_INFO,
    )
    return build_statement(
        statement_id=statement_id,
        actor=basis.actor,
        verb_iri=v.VERB_ASKED,
        obj=obj,
        timestamp=basis.timestamp,
        context=_context(basis, [activity(block_activity_id(usage_key, basis.root_url), v.ACTIVITY_INTERACTION)]),
    )


def answer_asked(basis: CourseBasis, statement_id: str, usage_key: str) -> dict:
    """The learner asked to see a problem's answer."""
    obj = activity(block_activity_id(usage_key, basis.root_url) + v.IRI_SUFFIX_ANSWER, v.ACTIVITY_SOLUTION)
    return build_statement(
        statement_id=statement_id,
        actor=basis.actor,
        verb_iri=v.VERB_ASKED,
        obj=obj,
        timestamp=basis.timestamp,
        context=_context(basis, [activity(block_activity_id(usage_key, basis.root_url), v.ACTIVITY_INTERACTION)]),
    )
