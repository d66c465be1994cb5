"""Learning path statements: registered, unregistered, progressed, completed, passed/failed. Pure.

A learning path (the ``learning-paths-plugin``'s ``LearningPath``, a series of courses) is an
activity of its own: IRI ``<LMS root>/learning-path/<path key>``, type ``collection-simple``.
Every builder takes a :class:`PathBasis` (what all statements of one learner, path and source
event share) and returns one statement dict; ids are computed by the caller
(``xapi_plugin.paths``).
"""

from dataclasses import dataclass
from datetime import datetime

from xapi_plugin.statements.common import activity, build_context, build_statement
from xapi_plugin.statements.formatting import iri
from xapi_plugin.statements.vocabulary import (
    ACTIVITY_LEARNING_PATH,
    EXT_CMI5_PROGRESS,
    EXT_PATH_LEARNING_PATH_STEPS_COMPLETED,
    EXT_PATH_LEARNING_PATH_STEPS_TOTAL,
    IRI_PATH_LEARNING_PATH,
    VERB_COMPLETED,
    VERB_FAILED,
    VERB_PASSED,
    VERB_PROGRESSED,
    VERB_REGISTERED,
    VERB_UNREGISTERED,
)


@dataclass(frozen=True)
class PathBasis:
    """What every statement about one learner in one learning path, from one source event, shares."""

    actor: dict
    registration: str
    path_key: str
    path_name: str | None
    root_url: str
    language: str
    timestamp: datetime | str
    source_event_id: str | None = None


def path_activity_id(path_key: str, root_url: str) -> str:
    """The learning path's activity IRI: ``<root>/learning-path/<path key>``."""
    return iri(root_url, f"{IRI_PATH_LEARNING_PATH}{path_key}")


def path_activity(path_key: str, display_name: str | None, root_url: str) -> dict:
    """The learning path as an Activity (object of path statements; grouping of its courses' statements)."""
    return activity(path_activity_id(path_key, root_url), ACTIVITY_LEARNING_PATH, display_name)


def _statement(basis: PathBasis, statement_id: str, verb: str, result: dict | None = None) -> dict:
    context = build_context(
        registration=basis.registration,
        language=basis.language,
        root_url=basis.root_url,
        source_event_id=basis.source_event_id,
    )
    return build_statement(
        statement_id=statement_id,
        actor=basis.actor,
        verb_iri=verb,
        obj=path_activity(basis.path_key, basis.path_name, basis.root_url),
        timestamp=basis.timestamp,
        context=context,
        result=result,
    )


def _fraction(value: float) -> float:
    return round(min(1.0, max(0.0, float(value))), 4)


def registered(basis: PathBasis, statement_id: str) -> dict:
    """The learner's enrolment in the path became active."""
    return _statement(basis, statement_id, VERB_REGISTERED)


def unregistered(basis: PathBasis, statement_id: str) -> dict:
    """The learner's enrolment in the path became inactive."""
    return _statement(basis, statement_id, VERB_UNREGISTERED)


def progressed(basis: PathBasis, statement_id: str, steps_completed: int, steps_total: int) -> dict:
    """Completed steps (courses) / all steps, as the cmi5 progress (0..100) and ``score.scaled``.

    ``result.completion`` stays false: a path is completed by its own statement, when the
    average completion reaches the path's required completion.
    """
    percent = steps_completed * 100 // steps_total if steps_total else 0
    result = {
        "completion": False,
        "score": {"scaled": _fraction(percent / 100)},
        "extensions": {
            EXT_CMI5_PROGRESS: percent,
            iri(basis.root_url, EXT_PATH_LEARNING_PATH_STEPS_COMPLETED): steps_completed,
            iri(basis.root_url, EXT_PATH_LEARNING_PATH_STEPS_TOTAL): steps_total,
        },
    }
    return _statement(basis, statement_id, VERB_PROGRESSED, result)


def completed(basis: PathBasis, statement_id: str, average_completion: float) -> dict:
    """The learner's average completion across the steps reached the path's required completion."""
    percent = int(min(100, max(0, average_completion * 100)))
    result = {"completion": True, "extensions": {EXT_CMI5_PROGRESS: percent}}
    return _statement(basis, statement_id, VERB_COMPLETED, result)


def passed_or_failed(basis: PathBasis, statement_id: str, is_passing: bool, grade: float) -> dict:
    """The weighted grade across the steps is at least (passed) or below (failed) the required grade."""
    grade = _fraction(grade)
    result = {"success": bool(is_passing), "score": {"scaled": grade, "raw": grade, "min": 0, "max": 1}}
    return _statement(basis, statement_id, VERB_PASSED if is_passing else VERB_FAILED, result)
