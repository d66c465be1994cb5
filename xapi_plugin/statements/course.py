"""Course-level statements: enrolment, grades, passing, progress and completion. Pure: values in, dicts out.

Every builder takes a :class:`CourseBasis` (what all statements of one learner, course and
source event share) and the values of its own verb, and returns one statement dict. Ids are
computed by the callers (``xapi_plugin.course.events`` and ``xapi_plugin.course.progress``) from the
source event, so the same event always maps to the same bytes.
"""

from dataclasses import dataclass
from datetime import datetime

from xapi_plugin.statements.common import (
    activity,
    block_activity_id,
    build_context,
    build_statement,
    course_activity,
    course_activity_id,
)
from xapi_plugin.statements.formatting import iri
from xapi_plugin.statements.paths import path_activity
from xapi_plugin.statements.vocabulary import (
    ACTIVITY_CERTIFICATE,
    ACTIVITY_COURSE,
    ACTIVITY_MODULE,
    EXT_ACROSSX_TYPE,
    EXT_CMI5_PROGRESS,
    EXT_GRADE_CLASSIFICATION,
    EXT_PATH_CERTIFICATE_MODE,
    EXT_PATH_ENROLLMENT_MODE,
    EXT_PATH_LETTER_GRADE,
    VERB_COMPLETED,
    VERB_EARNED,
    VERB_FAILED,
    VERB_PASSED,
    VERB_PROGRESSED,
    VERB_REGISTERED,
    VERB_UNREGISTERED,
)


@dataclass(frozen=True)
class CourseBasis:
    """What every statement about one learner in one course, from one source event, shares.

    ``language`` is an RFC 5646 tag (see ``formatting.language_tag``); ``timestamp`` a datetime
    or ISO 8601 string (normalised to UTC milliseconds by ``build_statement``).
    """

    actor: dict
    registration: str
    course_key: str
    course_name: str | None
    root_url: str
    language: str
    timestamp: datetime | str
    source_event_id: str | None = None
    # A CCX course names its master course here; the master course goes into context grouping.
    master_course_key: str | None = None
    # The learner's learning paths holding this course, (path key, display name): context grouping.
    learning_paths: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class CertificateInfo:
    """The certificate a course completion is backed by (mode such as ``verified``, ``honor``)."""

    mode: str


def _course(basis: CourseBasis) -> dict:
    return course_activity(basis.course_key, basis.course_name, basis.root_url)


def _context(basis: CourseBasis, *, parents=None, other=None, extensions=None) -> dict:
    grouping = None
    if basis.master_course_key:
        grouping = [activity(course_activity_id(basis.master_course_key, basis.root_url), ACTIVITY_COURSE)]
    if basis.learning_paths:
        paths = [path_activity(key, name, basis.root_url) for key, name in basis.learning_paths]
        grouping = [*(grouping or []), *paths]
    context = build_context(
        registration=basis.registration,
        language=basis.language,
        root_url=basis.root_url,
        parents=parents,
        grouping=grouping,
        source_event_id=basis.source_event_id,
        extensions=extensions,
    )
    if other:
        context.setdefault("contextActivities", {})["other"] = other
    return context


def _mode_extension(basis: CourseBasis, path: str, mode: str | None) -> dict | None:
    return {iri(basis.root_url, path): mode} if mode else None


def _statement(basis: CourseBasis, statement_id: str, verb: str, obj: dict, context: dict, result=None) -> dict:
    return build_statement(
        statement_id=statement_id,
        actor=basis.actor,
        verb_iri=verb,
        obj=obj,
        timestamp=basis.timestamp,
        context=context,
        result=result,
    )


def clamp_fraction(value: float) -> float:
    """A grade or progress fraction forced into [0, 1] and rounded to 4 decimals (LRSs compare numbers)."""
    return round(min(1.0, max(0.0, float(value))), 4)


def _enrolment_object(basis: CourseBasis, enrollment_mode: str | None) -> dict:
    # Aspects reads the mode only from the object's definition (acrossx "type"); LRS consumers
    # find it in the context extension as well, where per-learner data belongs in xAPI.
    obj = _course(basis)
    if enrollment_mode:
        obj["definition"]["extensions"] = {EXT_ACROSSX_TYPE: enrollment_mode}
    return obj


def registered(basis: CourseBasis, statement_id: str, enrollment_mode: str | None = None) -> dict:
    """The learner enrolled in (or re-activated their enrolment in) the course; the mode in two places."""
    context = _context(basis, extensions=_mode_extension(basis, EXT_PATH_ENROLLMENT_MODE, enrollment_mode))
    return _statement(basis, statement_id, VERB_REGISTERED, _enrolment_object(basis, enrollment_mode), context)


def unregistered(basis: CourseBasis, statement_id: str, enrollment_mode: str | None = None) -> dict:
    """The learner left the course."""
    context = _context(basis, extensions=_mode_extension(basis, EXT_PATH_ENROLLMENT_MODE, enrollment_mode))
    return _statement(basis, statement_id, VERB_UNREGISTERED, _enrolment_object(basis, enrollment_mode), context)


# The platform's letter grade is the name of the highest grading cutoff reached ("Pass" with the
# default grading policy) and empty below the lowest cutoff, i.e. failing.
FAILING_CLASSIFICATION = "Fail"


def grade_classification(letter_grade: str | None) -> str:
    """What goes into the grade-classification extension: the letter grade, ``Fail`` when there is none.

    Aspects reads exactly ``Pass`` / ``Fail`` there as pass/fail state (other letters leave it to
    the passed/failed statements), as event-routing-backends sends it.
    """
    return letter_grade or FAILING_CLASSIFICATION


def earned(basis: CourseBasis, statement_id: str, percent: float, letter_grade: str | None = None) -> dict:
    """The learner's course grade: score from 0 to 1 (raw and scaled), the letter grade in extensions.

    ``score.scaled`` on the ``<root>/course/<key>`` object is Aspects' course grade.
    """
    grade = clamp_fraction(percent)
    result: dict = {
        "score": {"scaled": grade, "raw": grade, "min": 0, "max": 1},
        "extensions": {EXT_GRADE_CLASSIFICATION: grade_classification(letter_grade)},
    }
    if letter_grade:
        result["extensions"][iri(basis.root_url, EXT_PATH_LETTER_GRADE)] = letter_grade
    return _statement(basis, statement_id, VERB_EARNED, _course(basis), _context(basis), result)


def passed_or_failed(basis: CourseBasis, statement_id: str, is_passing: bool, grade: float | None = None) -> dict:
    """The learner now passes (or no longer passes) the course; the grade as ``score.scaled`` when known."""
    result: dict = {"success": bool(is_passing)}
    if grade is not None:
        result["score"] = {"scaled": clamp_fraction(grade)}
    verb = VERB_PASSED if is_passing else VERB_FAILED
    return _statement(basis, statement_id, verb, _course(basis), _context(basis), result)


def certificate_activity(basis: CourseBasis, certificate: CertificateInfo) -> dict:
    """The course's certificate of a mode: one activity per course and mode, no learner data in its id."""
    activity_id = f"{course_activity_id(basis.course_key, basis.root_url)}/certificate/{certificate.mode}"
    name = f"{basis.course_name} certificate ({certificate.mode})" if basis.course_name else None
    return activity(activity_id, ACTIVITY_CERTIFICATE, name)


def course_completed_with_certificate(basis: CourseBasis, statement_id: str, certificate: CertificateInfo) -> dict:
    """The learner completed the course and holds its certificate (in ``contextActivities.other``)."""
    context = _context(
        basis,
        other=[certificate_activity(basis, certificate)],
        extensions=_mode_extension(basis, EXT_PATH_CERTIFICATE_MODE, certificate.mode),
    )
    return _statement(basis, statement_id, VERB_COMPLETED, _course(basis), context, {"completion": True})


def section_activity(basis: CourseBasis, section_key: str, section_name: str | None) -> dict:
    """A section (chapter) of the course as a module activity."""
    return activity(block_activity_id(section_key, basis.root_url), ACTIVITY_MODULE, section_name)


def _progress_result(percent: int) -> dict:
    return {
        "completion": percent >= 100,
        "score": {"scaled": clamp_fraction(percent / 100)},
        "extensions": {EXT_CMI5_PROGRESS: percent},
    }


def progressed(basis: CourseBasis, statement_id: str, percent: int, section: tuple[str, str] | None = None) -> dict:
    """Progress in the course, or in one of its sections (``section`` = (usage key, display name)).

    ``percent`` is an integer 0..100 (cmi5 progress extension), repeated as ``score.scaled`` for
    receivers that read only that. ``result.completion`` is false below 100 %.
    """
    percent = int(min(100, max(0, percent)))
    if section is None:
        obj, parents = _course(basis), None
    else:
        obj, parents = section_activity(basis, *section), [_course(basis)]
    context = _context(basis, parents=parents)
    return _statement(basis, statement_id, VERB_PROGRESSED, obj, context, _progress_result(percent))


def completed(basis: CourseBasis, statement_id: str, section: tuple[str, str] | None = None) -> dict:
    """Every unit of the course (or of one section) is complete: sent once per milestone."""
    if section is None:
        obj, parents = _course(basis), None
    else:
        obj, parents = section_activity(basis, *section), [_course(basis)]
    return _statement(basis, statement_id, VERB_COMPLETED, obj, _context(basis, parents=parents), _progress_result(100))
