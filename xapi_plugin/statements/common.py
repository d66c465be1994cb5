"""Building blocks every statement shares: activities for courses and blocks, context, the statement itself.

Pure functions: plain values in, dicts out. Optional parts are left out rather than sent empty
(an LRS refuses ``null`` and ``""`` outside extensions).
"""

from xapi_plugin.statements.formatting import format_timestamp, iri, language_map
from xapi_plugin.statements.vocabulary import (
    ACTIVITY_COURSE,
    EXT_PATH_SOURCE_EVENT_ID,
    IRI_PATH_COURSE,
    IRI_PATH_XBLOCK,
    PLATFORM,
    VERB_DISPLAY,
)


def course_activity_id(course_key: str, root_url: str) -> str:
    """The course's activity IRI, ``<root>/course/<course key>``.

    The form event-routing-backends uses and Open edX Aspects keys on: it must contain ``/course/``
    (course grades) and end with the course key (Aspects takes the course key after the last ``/``).
    """
    return iri(root_url, f"{IRI_PATH_COURSE}{course_key}")


def block_activity_id(usage_key: str, root_url: str) -> str:
    """A block's activity IRI (section, unit, video, problem): ``<root>/xblock/<usage key>``."""
    return iri(root_url, f"{IRI_PATH_XBLOCK}{usage_key}")


def activity(activity_id: str, activity_type: str, display_name: str | None = None) -> dict:
    """An Activity with its type and, when known, its display name."""
    definition = {"type": activity_type}
    name = language_map(display_name)
    if name:
        definition["name"] = name
    return {"objectType": "Activity", "id": activity_id, "definition": definition}


def course_activity(course_key: str, display_name: str | None, root_url: str) -> dict:
    """The course as an Activity (object of course statements, parent of everything else)."""
    return activity(course_activity_id(course_key, root_url), ACTIVITY_COURSE, display_name)


def source_event_extension(root_url: str) -> str:
    """IRI of the context extension that carries the id of the event a statement came from."""
    return iri(root_url, EXT_PATH_SOURCE_EVENT_ID)


def build_context(
    *,
    registration: str,
    language: str,
    root_url: str,
    parents: list[dict] | None = None,
    grouping: list[dict] | None = None,
    category: list[dict] | None = None,
    source_event_id: str | None = None,
    extensions: dict | None = None,
) -> dict:
    """The statement context: registration, platform, language, context activities, extensions."""
    context: dict = {"registration": registration, "platform": PLATFORM, "language": language}
    context_activities = {
        key: value for key, value in (("parent", parents), ("grouping", grouping), ("category", category)) if value
    }
    if context_activities:
        context["contextActivities"] = context_activities
    all_extensions = dict(extensions or {})
    if source_event_id:
        all_extensions[source_event_extension(root_url)] = str(source_event_id)
    if all_extensions:
        context["extensions"] = all_extensions
    return context


def build_statement(
    *,
    statement_id: str,
    actor: dict,
    verb_iri: str,
    obj: dict,
    timestamp,
    context: dict | None = None,
    result: dict | None = None,
) -> dict:
    """A complete statement. ``timestamp`` is a datetime or ISO 8601 string; it is normalised here."""
    statement = {
        "id": statement_id,
        "actor": actor,
        "verb": {"id": verb_iri, "display": {"en-US": VERB_DISPLAY[verb_iri]}},
        "object": obj,
        "timestamp": format_timestamp(timestamp),
    }
    if result:
        statement["result"] = result
    if context:
        statement["context"] = context
    return statement
