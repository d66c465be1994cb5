"""Course and section progress from block completion.

Progress counts units (verticals), not time: course progress = completed units / all units of
the course the learner can see; section progress the same within one section (chapter). A unit
is complete when every completable block in it that the learner can see is (the outline's
``unit_blocks`` filtered by ``platform.get_visible_blocks``; see ``xapi_plugin.platform``).

Three paths report a completion, and in a real LMS two of them fire for the same one:

* the tracking event ``edx.completion.block_completion.changed`` through the plugin's
  eventtracking backend, and through ``TRACKING_EVENT_EMITTED`` (``xapi_plugin.intake.tracking``
  routes both to :func:`handle_block_completion_event`);
* a save of edx-completion's ``BlockCompletion`` (:func:`block_completion_saved`, connected to
  the adapter's ``BLOCK_COMPLETION_SAVED``: Django's ``post_save`` where the app is installed,
  so the receiver ignores every other model and nothing imports the app).

Both only store the completion in the event intake (``xapi_plugin.intake``) in the learner's
request; the progress is computed and reported by a worker (:func:`report_progress`).

The event only says *that* something changed; what is complete is read from the platform
(``platform.get_completed_blocks``), so every path computes the same numbers. A statement is
sent only when a percentage differs from the last one reported (``LearnerCourseState``), so the
second path finds nothing to send. ``completed`` is sent once per section and course, with an id
fixed by the milestone (learner, course, section), never by the event.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from xapi_plugin import platform
from xapi_plugin.core import metrics
from xapi_plugin.course.signals import COURSE_PROGRESS_CHANGED
from xapi_plugin.course.state import course_basis, enqueue, locked_state, statement_target
from xapi_plugin.intake import MalformedEvent, StoredEvent, TrackingEvent, store_event
from xapi_plugin.platform import CourseOutline, OutlineSection
from xapi_plugin.statements import course as course_statements
from xapi_plugin.statements import deterministic_uuid, statement_id
from xapi_plugin.statements.vocabulary import VERB_COMPLETED, VERB_PROGRESSED

log = logging.getLogger(__name__)

BLOCK_COMPLETION_LABEL = "completion.BlockCompletion"
COURSE = "course"  # key of the course itself in LearnerCourseState.progress / .completed


@dataclass(frozen=True)
class CourseProgress:
    """Percentages (integers 0..100) of one learner in one course and each of its non-empty sections."""

    course: int
    sections: tuple[tuple[OutlineSection, int], ...]


def percent(done: int, total: int) -> int:
    """``done / total`` in whole percent, rounded down: 100 only when everything is done."""
    return done * 100 // total


def visible_outline(outline: CourseOutline, visible: frozenset[str] | None) -> CourseOutline:
    """The outline as one learner sees it: only the units and blocks in ``visible`` (None: all of them).

    Unselected ``library_content`` children, other ``split_test`` groups, cohort or enrollment-track
    restricted and staff-only content are not in the learner's ``visible`` set (the platform's course
    blocks API), so they never hold back the learner's 100 %.
    """
    if visible is None:
        return outline
    sections = tuple(
        OutlineSection(section.usage_key, section.display_name, tuple(u for u in section.units if u in visible))
        for section in outline.sections
    )
    unit_blocks = {
        unit: tuple(block for block in blocks if block in visible)
        for unit, blocks in outline.unit_blocks.items()
        if unit in visible
    }
    return replace(outline, sections=sections, unit_blocks=unit_blocks)


def completed_units(outline: CourseOutline, completed_blocks: set[str]) -> set[str]:
    """The units whose completable blocks are all in ``completed_blocks`` (a unit without blocks listed
    is complete when it is itself in the set)."""
    done = set()
    for section in outline.sections:
        for unit in section.units:
            blocks = outline.unit_blocks.get(unit)
            if blocks is None:
                if unit in completed_blocks:
                    done.add(unit)
            elif all(block in completed_blocks for block in blocks):
                done.add(unit)
    return done


def compute_progress(
    outline: CourseOutline, completed_blocks: set[str], visible: frozenset[str] | None = None
) -> CourseProgress | None:
    """Progress of the course and its sections over what the learner can see (``visible``; None: all).

    None for a course without (visible) units: nothing to report.
    """
    outline = visible_outline(outline, visible)
    total = outline.unit_count
    if total == 0:
        return None
    done = completed_units(outline, completed_blocks)
    sections = tuple(
        (section, percent(sum(1 for unit in section.units if unit in done), len(section.units)))
        for section in outline.sections
        if section.units
    )
    return CourseProgress(course=percent(len(done), total), sections=sections)


@dataclass(frozen=True)
class CompletionSource:
    """The completion signal a progress report comes from: its id parts, log id and time."""

    name: str
    user_id: int
    course_key: str
    block_key: str
    timestamp: str
    event_id: str

    def statement_id(self, verb: str, object_key: str) -> str:
        # Replaying the same event gives the same id; another event (other time or block) another one.
        return statement_id(self.name, self.user_id, self.block_key, self.timestamp, verb, object_key)


def milestone_id(user_id: int, course_key: str, object_key: str) -> str:
    """The id of "completed" for a section or course: one per learner and milestone, whatever the event."""
    return statement_id("milestone", VERB_COMPLETED, user_id, course_key, object_key)


def report_progress(source: CompletionSource) -> int:
    """Send progressed/completed statements for what changed since the last report; returns how many."""
    settings = statement_target(source.course_key, source.name, source.event_id)
    if settings is None:
        _course_progress_changed(source)  # learning paths may still follow this course
        return 0
    outline = platform.get_course_outline(source.course_key)
    if outline is None or outline.unit_count == 0:
        log.info("xapi: no progress for %s %s: the course has no units", source.name, source.event_id)
        return 0
    with transaction.atomic():
        progress = compute_progress(
            outline,
            platform.get_completed_blocks(source.user_id, source.course_key),
            platform.get_visible_blocks(source.user_id, source.course_key, outline.version),
        )
        if progress is None:
            log.info("xapi: no progress for %s %s: the learner sees no unit", source.name, source.event_id)
            return 0
        state = locked_state(source.user_id, source.course_key, "progress", "completed")
        changes = _changes(progress, state.progress, set(state.completed))
        if not changes:
            return 0
        basis = course_basis(
            settings,
            user_id=source.user_id,
            course_key=source.course_key,
            timestamp=source.timestamp,
            source_event_id=source.event_id,
            outline=outline,
        )
        statements = []
        reported, completed = dict(state.progress), list(state.completed)
        for key, section, value, newly_complete in changes:
            section_ref = (section.usage_key, section.display_name) if section else None
            statements.append(
                course_statements.progressed(basis, source.statement_id(VERB_PROGRESSED, key), value, section_ref)
            )
            if newly_complete:
                completed_id = milestone_id(source.user_id, source.course_key, key)
                statements.append(course_statements.completed(basis, completed_id, section_ref))
                completed.append(key)
            reported[key] = value
        enqueue(statements, settings, source.course_key, source.user_id)
        state.save(progress=reported, completed=completed)
    if any(change[0] == COURSE for change in changes):
        _course_progress_changed(source)
    return len(statements)


def _course_progress_changed(source: CompletionSource) -> None:
    COURSE_PROGRESS_CHANGED.send_robust(
        sender=CompletionSource,
        user_id=source.user_id,
        course_key=source.course_key,
        timestamp=source.timestamp,
        source_event_id=source.event_id,
    )


def _changes(progress: CourseProgress, last: dict, completed: set):
    """(key, section or None, percent, reaches 100 for the first time) for each percentage that moved.

    Sections come first, then the course, so a learner's statements read in the order things
    happened. A value never reported counts as 0 %: nothing is sent before the first unit.
    """
    changes = []
    for section, value in progress.sections:
        if value != last.get(section.usage_key, 0):
            changes.append((section.usage_key, section, value, value == 100 and section.usage_key not in completed))
    if progress.course != last.get(COURSE, 0):
        changes.append((COURSE, None, progress.course, progress.course == 100 and COURSE not in completed))
    return changes


def handle_block_completion_event(event: TrackingEvent) -> None:
    """Tracking-route handler of ``edx.completion.block_completion.changed`` (either intake path).

    The learner is the event data's ``user_id`` (the context's may be whoever caused it).
    Raises :class:`MalformedEvent` for unusable data; the router logs and counts it.
    """
    data = event.data
    user_id = data.get("user_id", event.context.get("user_id"))
    course_key = data.get("course_id") or data.get("context_key") or event.course_key
    block_key = data.get("block_id")
    completion = data.get("completion")
    try:
        user_id = int(user_id)
        completion = float(completion)
    except (TypeError, ValueError) as exc:
        raise MalformedEvent("user_id or completion is not a number") from exc
    if not course_key or not isinstance(course_key, str) or not block_key or not isinstance(block_key, str):
        raise MalformedEvent("no course_id or block_id")
    if not 0.0 <= completion <= 1.0:
        raise MalformedEvent("completion is outside 0..1")
    report_progress(
        CompletionSource(
            name=event.name,
            user_id=user_id,
            course_key=course_key,
            block_key=block_key,
            timestamp=event.timestamp,
            event_id=event.fingerprint,
        )
    )


def block_completion_saved(sender, instance=None, raw=False, **kwargs) -> None:
    """``post_save`` receiver: reacts to edx-completion's ``BlockCompletion`` only, ignores other models.

    Connected without a sender (``platform.BLOCK_COMPLETION_SAVED``), so the plugin loads whether
    or not edx-completion is installed; for other models it costs one attribute lookup per save.
    Stores the completion in the event intake (one INSERT in the platform's own transaction);
    :func:`report_stored_completion` reports it in the worker. Never raises.
    """
    meta = getattr(sender, "_meta", None)
    if raw or meta is None or meta.label != BLOCK_COMPLETION_LABEL:
        return
    event_id = ""
    try:
        block_key = str(getattr(instance, "full_block_key", None) or instance.block_key)
        modified = instance.modified
        timestamp = modified.isoformat() if hasattr(modified, "isoformat") else str(modified)
        event_id = deterministic_uuid(BLOCK_COMPLETION_LABEL, instance.user_id, block_key, timestamp)
        store_event(
            "completion",
            source_id=event_id,
            user_id=int(instance.user_id),
            course_key=str(instance.context_key),
            event_at=modified if isinstance(modified, datetime) else timezone.now(),
            payload={"block_key": block_key, "timestamp": timestamp},
        )
    except MalformedEvent as exc:
        metrics.increment(metrics.SKIPPED_EVENTS)
        log.warning("xapi: skipped %s save %s: %s", BLOCK_COMPLETION_LABEL, event_id or "(unreadable)", exc)
    except Exception:  # noqa: BLE001 - never break the learner's request
        metrics.increment(metrics.FAILED_EVENTS)
        log.exception("xapi: failed on %s save %s", BLOCK_COMPLETION_LABEL, event_id or "(unreadable)")


def report_stored_completion(stored: StoredEvent) -> None:
    """Event intake report of a ``BlockCompletion`` save: progressed/completed for what changed."""
    report_progress(
        CompletionSource(
            name=BLOCK_COMPLETION_LABEL,
            user_id=stored.user_id,
            course_key=stored.course_key,
            block_key=stored.payload["block_key"],
            timestamp=stored.payload["timestamp"],
            event_id=stored.source_id,
        )
    )
