"""Navigation statements: ``navigated`` when a learner moves between units or follows a course link. Pure.

Open edX Aspects reads ``navigated`` as the learner's visits: its "last visit", "active
learners", page engagement and the At-Risk dashboard all come from these statements. It takes
the block id after ``/xblock/`` in ``object.id``, ``object.definition.type``, the integer
``starting-position`` and the string ``ending-point`` context extensions.

Sequence moves (next, previous, a unit tab) have the unit the learner was on as object (what
the learning MFE sends as ``data.id``; Aspects compares the distinct units visited with the
units of each subsection); links and outline entries the target URL as a link/module activity.
"""

from dataclasses import dataclass

from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.common import activity, block_activity_id, build_context, build_statement
from xapi_plugin.statements.course import CourseBasis, course_activity


@dataclass(frozen=True)
class UnitMove:
    """A move inside a sequence: the unit left, its 1-based position, the sequence's size, where to."""

    unit_key: str
    position: int
    unit_count: int | None
    # "next unit", "previous unit", or the 1-based target position as text (Aspects reads a string).
    ending_point: str


@dataclass(frozen=True)
class LinkFollowed:
    """A link or course-outline entry followed: the absolute target URL, and its title if known."""

    target_url: str
    target_name: str | None = None
    from_outline: bool = False


def _context(basis: CourseBasis, extensions: dict | None) -> dict:
    return build_context(
        registration=basis.registration,
        language=basis.language,
        root_url=basis.root_url,
        parents=[course_activity(basis.course_key, basis.course_name, basis.root_url)],
        source_event_id=basis.source_event_id,
        extensions=extensions,
    )


def unit_navigated(basis: CourseBasis, statement_id: str, move: UnitMove) -> dict:
    """The learner moved from a unit (object) to the next, the previous, or another unit of the sequence."""
    obj = activity(block_activity_id(move.unit_key, basis.root_url), v.ACTIVITY_RESOURCE)
    if move.unit_count:
        obj["definition"]["extensions"] = {v.EXT_TOTAL_ITEMS: int(move.unit_count)}
    extensions = {v.EXT_STARTING_POSITION: int(move.position), v.EXT_ENDING_POINT: str(move.ending_point)}
    return build_statement(
        statement_id=statement_id,
        actor=basis.actor,
        verb_iri=v.VERB_NAVIGATED,
        obj=obj,
        timestamp=basis.timestamp,
        context=_context(basis, extensions),
    )


def link_navigated(basis: CourseBasis, statement_id: str, link: LinkFollowed) -> dict:
    """The learner followed a link (or an entry of the course outline) to ``target_url``."""
    activity_type = v.ACTIVITY_MODULE if link.from_outline else v.ACTIVITY_LINK
    obj = activity(link.target_url, activity_type, link.target_name)
    return build_statement(
        statement_id=statement_id,
        actor=basis.actor,
        verb_iri=v.VERB_NAVIGATED,
        obj=obj,
        timestamp=basis.timestamp,
        context=_context(basis, None),
    )
