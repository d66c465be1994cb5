"""Receivers of the openedx-events learning signals that make course statements.

| signal | statement |
|---|---|
| ``COURSE_ENROLLMENT_CREATED``, ``COURSE_ENROLLMENT_CHANGED`` (active) | registered |
| ``COURSE_UNENROLLMENT_COMPLETED`` | unregistered |
| ``PERSISTENT_GRADE_SUMMARY_CHANGED`` (grade or letter changed) | earned |
| ``COURSE_PASSING_STATUS_UPDATED``, ``CCX_COURSE_PASSING_STATUS_UPDATED`` | passed / failed |
| ``CERTIFICATE_CREATED``, ``CERTIFICATE_CHANGED`` (downloadable) | completed (certificate in context) |

Each receiver runs in the sender's request and only reads the event: it unpacks what the
statement needs (no I/O) and stores it in the event intake (``xapi_plugin.intake``: one INSERT
in the caller's transaction). The ``report_*`` functions run later, in a Celery worker (or at
once, with ``XAPI_EVENT_INTAKE = "inline"``), in event order per learner and course: they read
the course's settings, compare with what was last reported (``LearnerCourseState``: the platform
sends "created" and "changed" for one enrolment, "grade changed" on every recalculation,
"certificate changed" on every save), build the statement with ``xapi_plugin.statements.course``
and write it to the outbox. Statement ids come from the event's metadata id and the verb, so a
replayed event maps to the same id. A receiver never raises into the sender: bad input is
logged with the event's id and counted as skipped, anything else logged and counted as failed.
"""

import functools
import logging
from datetime import datetime

from django.db import transaction

from xapi_plugin.core import metrics
from xapi_plugin.course.signals import COURSE_GRADE_CHANGED
from xapi_plugin.course.state import course_basis, enqueue, locked_state, statement_target
from xapi_plugin.intake import MalformedEvent, StoredEvent, store_event
from xapi_plugin.statements import course as course_statements
from xapi_plugin.statements import statement_id
from xapi_plugin.statements.vocabulary import (
    VERB_COMPLETED,
    VERB_EARNED,
    VERB_FAILED,
    VERB_PASSED,
    VERB_REGISTERED,
    VERB_UNREGISTERED,
)

log = logging.getLogger(__name__)

DOWNLOADABLE = "downloadable"  # edx-platform's CertificateStatuses.downloadable


class MalformedSignal(MalformedEvent):
    """An openedx-events payload the receiver cannot read (missing user, course...)."""


class _Event:
    """The parts of an openedx-events call every receiver needs: type, metadata id and time."""

    __slots__ = ("name", "id", "time")

    def __init__(self, kwargs: dict):
        metadata = kwargs.get("metadata")
        self.name = getattr(metadata, "event_type", None) or getattr(kwargs.get("signal"), "event_type", "?")
        self.id = str(getattr(metadata, "id", "") or "")
        self.time = getattr(metadata, "time", None)
        if not self.id or not isinstance(self.time, datetime):
            raise MalformedSignal("no event metadata (id, time)")

    def store(self, kind: str, user_id: int, course_key: str, **payload) -> None:
        """Hand the event to the intake (one INSERT); its report runs in a worker."""
        store_event(
            kind,
            source_id=self.id,
            user_id=user_id,
            course_key=course_key,
            event_at=self.time,
            payload={"event": self.name, **payload},
        )


class _Stored:
    """A stored event as the reports read it: name, metadata id, time and the unpacked payload."""

    __slots__ = ("name", "id", "time", "data")

    def __init__(self, stored: StoredEvent):
        self.name = stored.payload.get("event", stored.kind)
        self.id = stored.source_id
        self.time = stored.event_at
        self.data = stored.payload

    def statement_id(self, verb: str) -> str:
        return statement_id(self.id, verb)


def _never_raises(body):
    """Run a receiver body; log (with the event's id) and count whatever goes wrong, never re-raise."""

    @functools.wraps(body)
    def receiver(sender=None, **kwargs):
        event = None
        try:
            event = _Event(kwargs)
            body(event, **kwargs)
        except MalformedSignal as exc:
            metrics.increment(metrics.SKIPPED_EVENTS)
            log.warning("xapi: skipped malformed %s %s: %s", _name(event, kwargs), _id(event), exc)
        except Exception:  # noqa: BLE001 - never break the code that sent the signal
            metrics.increment(metrics.FAILED_EVENTS)
            log.exception("xapi: failed on %s %s", _name(event, kwargs), _id(event))

    return receiver


def _name(event, kwargs) -> str:
    return event.name if event else getattr(kwargs.get("signal"), "event_type", "openedx event")


def _id(event) -> str:
    return event.id if event else "(no metadata id)"


def _learner(user) -> tuple[int, str | None]:
    """(user id, email or None) from an openedx-events ``UserData``."""
    try:
        user_id = int(user.id)
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:
        raise MalformedSignal("no user id") from exc
    email = getattr(getattr(user, "pii", None), "email", None)
    return user_id, email if isinstance(email, str) else None


def _course_key(course, attribute: str = "course_key") -> str:
    key = getattr(course, attribute, None)
    if not key:
        raise MalformedSignal(f"no {attribute}")
    return str(key)


def _course_name(course) -> str | None:
    name = getattr(course, "display_name", None)
    return name if isinstance(name, str) and name else None


# --- enrolment -------------------------------------------------------------------------------


def _store_enrolment(event: _Event, enrollment, *, active: bool, only_if_registered: bool = False) -> None:
    """Store a registered (``active``) or unregistered report.

    ``only_if_registered``: leave only a learner the LRS was told had registered.
    """
    if enrollment is None:
        raise MalformedSignal("no enrollment")
    user_id, email = _learner(getattr(enrollment, "user", None))
    course = getattr(enrollment, "course", None)
    mode = getattr(enrollment, "mode", None)
    event.store(
        "enrolment",
        user_id,
        _course_key(course),
        email=email,
        course_name=_course_name(course),
        mode=mode if isinstance(mode, str) and mode else None,
        active=active,
        only_if_registered=only_if_registered,
    )


def report_enrolment(stored: StoredEvent) -> None:
    """registered or unregistered, unless the last enrolment statement already said so."""
    event, data = _Stored(stored), stored.payload
    user_id, course_key, active = stored.user_id, stored.course_key, bool(data["active"])
    settings = statement_target(course_key, event.name, event.id)
    if settings is None:
        return
    with transaction.atomic():
        state = locked_state(user_id, course_key, "enrolled")
        # Unknown (None) counts as "not said": a learner enrolled before xAPI was on can still leave.
        if state.enrolled is active or (data.get("only_if_registered") and state.enrolled is not True):
            return
        basis = course_basis(
            settings,
            user_id=user_id,
            course_key=course_key,
            timestamp=event.time,
            source_event_id=event.id,
            email=data.get("email"),
            course_name=data.get("course_name"),
        )
        mode = data.get("mode")
        if active:
            statement = course_statements.registered(basis, event.statement_id(VERB_REGISTERED), mode)
        else:
            statement = course_statements.unregistered(basis, event.statement_id(VERB_UNREGISTERED), mode)
        enqueue([statement], settings, course_key, user_id)
        state.save(enrolled=active)


@_never_raises
def course_enrollment_created_receiver(event: _Event, enrollment=None, **kwargs) -> None:
    """``COURSE_ENROLLMENT_CREATED`` -> registered (when the new enrolment is active)."""
    if getattr(enrollment, "is_active", True):
        _store_enrolment(event, enrollment, active=True)


@_never_raises
def course_enrollment_changed_receiver(event: _Event, enrollment=None, **kwargs) -> None:
    """``COURSE_ENROLLMENT_CHANGED`` -> registered when the enrolment is (again) active; unregistered
    when it was deactivated after a registered statement.

    A learner's own unenrolment also sends ``COURSE_UNENROLLMENT_COMPLETED`` (one statement for
    both); deactivations by other paths (expiry, refunds, staff) send only this signal. A mode
    change of an active enrolment sends nothing (the learner is already registered).
    """
    if getattr(enrollment, "is_active", False):
        _store_enrolment(event, enrollment, active=True)
    elif enrollment is not None:
        _store_enrolment(event, enrollment, active=False, only_if_registered=True)


@_never_raises
def course_unenrollment_completed_receiver(event: _Event, enrollment=None, **kwargs) -> None:
    """``COURSE_UNENROLLMENT_COMPLETED`` -> unregistered."""
    _store_enrolment(event, enrollment, active=False)


# --- grades and passing ------------------------------------------------------------------------


@_never_raises
def persistent_grade_summary_changed_receiver(event: _Event, grade=None, **kwargs) -> None:
    """``PERSISTENT_GRADE_SUMMARY_CHANGED`` -> earned, when the percent or letter grade changed."""
    if grade is None:
        raise MalformedSignal("no grade")
    try:
        user_id = int(grade.user_id)
        percent = float(grade.percent_grade)
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:
        raise MalformedSignal("user_id or percent_grade is not a number") from exc
    if percent != percent:  # NaN
        raise MalformedSignal("percent_grade is not a number")
    letter = getattr(grade, "letter_grade", None)
    course = getattr(grade, "course", None)
    event.store(
        "grade",
        user_id,
        _course_key(course),
        percent=course_statements.clamp_fraction(percent),
        letter=letter if isinstance(letter, str) else "",
        course_name=_course_name(course),
    )


def report_grade(stored: StoredEvent) -> None:
    """earned, when the percent or letter grade differs from the last one reported."""
    event, data = _Stored(stored), stored.payload
    user_id, course_key = stored.user_id, stored.course_key
    percent, letter = float(data["percent"]), data.get("letter") or ""
    COURSE_GRADE_CHANGED.send_robust(  # learning paths keep the grade, whether or not the course sends
        sender=_Event,
        user_id=user_id,
        course_key=course_key,
        percent=percent,
        timestamp=event.time,
        source_event_id=event.id,
    )
    settings = statement_target(course_key, event.name, event.id)
    if settings is None:
        return
    with transaction.atomic():
        state = locked_state(user_id, course_key, "grade_percent", "letter_grade")
        if state.grade_percent == percent and state.letter_grade == letter:
            return
        basis = course_basis(
            settings,
            user_id=user_id,
            course_key=course_key,
            timestamp=event.time,
            source_event_id=event.id,
            course_name=data.get("course_name"),
        )
        statement = course_statements.earned(basis, event.statement_id(VERB_EARNED), percent, letter)
        enqueue([statement], settings, course_key, user_id)
        state.save(grade_percent=percent, letter_grade=letter)


def _store_passing(event: _Event, status) -> None:
    if status is None:
        raise MalformedSignal("no course_passing_status")
    is_passing = getattr(status, "is_passing", None)
    if not isinstance(is_passing, bool):
        raise MalformedSignal("is_passing is not a boolean")
    user_id, email = _learner(getattr(status, "user", None))
    course = getattr(status, "course", None)
    master_key = None
    if hasattr(course, "ccx_course_key"):
        # A CCX runs on its master course's content (its own settings win, else the master's).
        course_key = _course_key(course, "ccx_course_key")
        master_key = _course_key(course, "master_course_key")
    else:
        course_key = _course_key(course)
    event.store(
        "passing",
        user_id,
        course_key,
        is_passing=is_passing,
        email=email,
        course_name=_course_name(course),
        master_course_key=master_key,
    )


def report_passing(stored: StoredEvent) -> None:
    """passed or failed, when the status differs from the last one reported."""
    event, data = _Stored(stored), stored.payload
    user_id, course_key, is_passing = stored.user_id, stored.course_key, bool(data["is_passing"])
    master_key = data.get("master_course_key")
    own_key = course_key if master_key is None or _has_own_settings(course_key) else master_key
    settings = statement_target(own_key, event.name, event.id)
    if settings is None:
        return
    with transaction.atomic():
        state = locked_state(user_id, course_key, "passing", "grade_percent")
        if state.passing is is_passing:
            return
        basis = course_basis(
            settings,
            user_id=user_id,
            course_key=course_key,
            timestamp=event.time,
            source_event_id=event.id,
            email=data.get("email"),
            course_name=data.get("course_name"),
            master_course_key=master_key,
        )
        verb = VERB_PASSED if is_passing else VERB_FAILED
        # The grade is known when an earned statement was sent for it (grades usually come first).
        statement = course_statements.passed_or_failed(basis, event.statement_id(verb), is_passing, state.grade_percent)
        enqueue([statement], settings, course_key, user_id)
        state.save(passing=is_passing)


def _has_own_settings(course_key: str) -> bool:
    from xapi_plugin.studio import get_course_settings  # noqa: PLC0415

    return get_course_settings(course_key) is not None


@_never_raises
def course_passing_status_updated_receiver(event: _Event, course_passing_status=None, **kwargs) -> None:
    """``COURSE_PASSING_STATUS_UPDATED`` -> passed or failed, when the status changed."""
    _store_passing(event, course_passing_status)


@_never_raises
def ccx_course_passing_status_updated_receiver(event: _Event, course_passing_status=None, **kwargs) -> None:
    """``CCX_COURSE_PASSING_STATUS_UPDATED`` -> passed or failed for the CCX (master course in grouping)."""
    _store_passing(event, course_passing_status)


# --- certificates ------------------------------------------------------------------------------


def _store_certificate(event: _Event, certificate) -> None:
    if certificate is None:
        raise MalformedSignal("no certificate")
    if getattr(certificate, "current_status", None) != DOWNLOADABLE:
        return
    user_id, email = _learner(getattr(certificate, "user", None))
    course = getattr(certificate, "course", None)
    course_key = _course_key(course)
    mode = getattr(certificate, "mode", None)
    if not mode or not isinstance(mode, str):
        raise MalformedSignal("no certificate mode")
    event.store("certificate", user_id, course_key, mode=mode, email=email, course_name=_course_name(course))


def report_certificate(stored: StoredEvent) -> None:
    """completed, with the certificate in context, once per learner, course and certificate mode."""
    event, data = _Stored(stored), stored.payload
    user_id, course_key, mode = stored.user_id, stored.course_key, data["mode"]
    settings = statement_target(course_key, event.name, event.id)
    if settings is None:
        return
    milestone = f"certificate:{mode}"
    with transaction.atomic():
        state = locked_state(user_id, course_key, "completed")
        if milestone in state.completed:
            return
        basis = course_basis(
            settings,
            user_id=user_id,
            course_key=course_key,
            timestamp=event.time,
            source_event_id=event.id,
            email=data.get("email"),
            course_name=data.get("course_name"),
        )
        statement = course_statements.course_completed_with_certificate(
            basis, event.statement_id(VERB_COMPLETED), course_statements.CertificateInfo(mode=mode)
        )
        enqueue([statement], settings, course_key, user_id)
        state.save(completed=[*state.completed, milestone])


@_never_raises
def certificate_created_receiver(event: _Event, certificate=None, **kwargs) -> None:
    """``CERTIFICATE_CREATED`` -> completed, with the certificate in context (once per mode)."""
    _store_certificate(event, certificate)


@_never_raises
def certificate_changed_receiver(event: _Event, certificate=None, **kwargs) -> None:
    """``CERTIFICATE_CHANGED`` to a downloadable status -> completed (sent on every save: once per mode)."""
    _store_certificate(event, certificate)
