"""A checker of statements against the ADL xAPI Video Profile's own templates and patterns.

It reads the machine-readable profile (JSON-LD, v1.0.3) and checks a statement the way the xAPI
Profiles specification describes: the templates whose determining properties (verb, object
activity type, context activity types, attachment usage types) the statement has are its
candidates, and it matches a candidate when every rule holds (``included`` locations present,
``excluded`` ones absent, ``any``/``all``/``none`` value lists). On top of the templates it checks
what the profile's concepts say about the extensions it defines (context or result, the
``inlineSchema`` type and pattern), and two rules of the profile's prose: lengths and completion
thresholds carry at most 3 decimals (a threshold between 0 and 1), and the ``completion-threshold``
of a session whose threshold is not 1 is on each of its initialized, paused, completed and
terminated statements.

:func:`check_session` walks the profile's primary pattern (initialized, any middle templates,
terminated) over one session's statements with a small matcher of the xAPI Profiles pattern
operators (sequence, alternates, optional, zeroOrMore, oneOrMore).

Quirks of v1.0.3 it lives with (see ``shared/reference/README.md``): its templates name the
extension ``.../cc-enabled`` while the concept is ``.../cc-subtitle-enabled`` (both are read as
that concept); the ``initialized`` template has no object activity type, so it matches on the verb.

Only the subset of JSONPath the profile uses is evaluated: ``$``, ``.name``, ``['key']``
(several keys separated by commas), ``[*]`` and ``[n]``; a location outside it raises.

The profile file is found through ``XAPI_VIDEO_PROFILE_PATH`` if set, else at
``shared/reference/video-profile-v1.0.3.jsonld`` in the first parent folder of the repository
that has it (``../shared`` beside a clone in CI).
"""

import functools
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PROFILE_ENV = "XAPI_VIDEO_PROFILE_PATH"
PROFILE_FILE = Path("shared") / "reference" / "video-profile-v1.0.3.jsonld"
PROFILE_CATEGORY = "https://w3id.org/xapi/video"
_VIDEO_EXTENSIONS = "https://w3id.org/xapi/video/extensions/"
# The IRI the templates name -> the concept the profile defines (quirk of v1.0.3).
EXTENSION_ALIASES = {_VIDEO_EXTENSIONS + "cc-enabled": _VIDEO_EXTENSIONS + "cc-subtitle-enabled"}
_LENGTH = _VIDEO_EXTENSIONS + "length"
_THRESHOLD = _VIDEO_EXTENSIONS + "completion-threshold"
_SESSION = _VIDEO_EXTENSIONS + "session-id"
# Templates whose statements carry the completion threshold when it is not 1.
_THRESHOLD_VERBS = {
    "http://adlnet.gov/expapi/verbs/initialized",
    "https://w3id.org/xapi/video/verbs/paused",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/terminated",
}


class ProfileMismatch(AssertionError):
    """A statement (or a session's statements) that the Video Profile's templates or pattern refuse."""


def find_shared(relative: str | Path) -> Path:
    """``shared/<relative>`` in the nearest parent folder of this checkout that has it.

    In CI ``shared`` sits beside the clone; a git worktree may sit one level deeper.
    """
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no parent folder of {Path(__file__).parent} has shared/{relative}")


def profile_path() -> Path:
    """Where the profile's JSON-LD is: ``XAPI_VIDEO_PROFILE_PATH``, or ``shared/reference`` beside the repo."""
    given = os.environ.get(PROFILE_ENV)
    if given:
        return Path(given)
    try:
        return find_shared(PROFILE_FILE.relative_to("shared"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the Video Profile JSON-LD is not in any parent folder's {PROFILE_FILE}; set {PROFILE_ENV} to its path"
        ) from None


# --- the JSONPath subset ---------------------------------------------------------------------

_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[\s*\*\s*\]|\[\s*(\d+)\s*\]|\[((?:\s*'[^']*'\s*,?)+)\]")


def _parse_location(location: str) -> list:
    text = location.strip()
    if not text.startswith("$"):
        raise ValueError(f"location {location!r} does not start with $")
    steps, pos = [], 1
    while pos < len(text):
        match = _STEP.match(text, pos)
        if match is None:
            raise ValueError(f"location {location!r}: unsupported JSONPath at {text[pos:]!r}")
        name, index, keys = match.groups()
        if name is not None:
            steps.append(("keys", [name]))
        elif index is not None:
            steps.append(("index", int(index)))
        elif keys is not None:
            steps.append(("keys", re.findall(r"'([^']*)'", keys)))
        else:
            steps.append(("all", None))
        pos = match.end()
    return steps


def evaluate(location: str, document) -> list:
    """The values ``location`` (JSONPath subset) selects in ``document``; [] when it selects nothing."""
    values = [document]
    for kind, arg in _parse_location(location):
        found = []
        for value in values:
            if kind == "keys" and isinstance(value, dict):
                found.extend(value[key] for key in arg if key in value)
            elif kind == "index" and isinstance(value, list) and arg < len(value):
                found.append(value[arg])
            elif kind == "all":
                found.extend(value.values() if isinstance(value, dict) else value if isinstance(value, list) else [])
        values = found
    return values


# --- the profile -----------------------------------------------------------------------------

_DETERMINING = {
    "contextGroupingActivityType": "grouping",
    "contextParentActivityType": "parent",
    "contextOtherActivityType": "other",
    "contextCategoryActivityType": "category",
}


@dataclass(frozen=True)
class Template:
    """One statement template: its determining properties and rules, as the JSON-LD has them."""

    id: str
    verb: str | None
    object_activity_type: str | None
    context_activity_types: dict  # contextActivities key -> activity types that must be there
    attachment_usage_types: tuple
    rules: tuple

    def determined_by(self, statement: dict) -> bool:
        """Whether the statement has this template's determining properties."""
        if self.verb and statement.get("verb", {}).get("id") != self.verb:
            return False
        if self.object_activity_type and _object_type(statement) != self.object_activity_type:
            return False
        activities = statement.get("context", {}).get("contextActivities", {})
        for key, wanted in self.context_activity_types.items():
            present = {(a.get("definition") or {}).get("type") for a in _as_list(activities.get(key))}
            if not set(wanted) <= present:
                return False
        if self.attachment_usage_types:
            usages = {a.get("usageType") for a in statement.get("attachments") or []}
            if not set(self.attachment_usage_types) <= usages:
                return False
        return True

    def rule_failures(self, statement: dict) -> list[str]:
        """Every rule of the template the statement breaks (empty: it matches)."""
        failures = []
        for rule in self.rules:
            values = [value for value in evaluate(rule["location"], statement) if value is not None]
            if "selector" in rule:
                values = [found for value in values for found in evaluate(rule["selector"], value)]
            presence = rule.get("presence")
            where = rule["location"] + (f" {rule['selector']}" if "selector" in rule else "")
            if presence == "included" and not values:
                failures.append(f"{where} is required")
                continue
            if presence == "excluded" and values:
                failures.append(f"{where} must not be there")
                continue
            if values and "any" in rule and not any(value in rule["any"] for value in values):
                failures.append(f"{where}: none of {values!r} is one of {rule['any']!r}")
            if values and "all" in rule and not all(value in rule["all"] for value in values):
                failures.append(f"{where}: {values!r} not all in {rule['all']!r}")
            if "none" in rule and any(value in rule["none"] for value in values):
                failures.append(f"{where}: {values!r} has one of {rule['none']!r}")
        return failures


@dataclass(frozen=True)
class Profile:
    """The templates, patterns and extension concepts of one profile version."""

    id: str
    templates: dict  # id -> Template, in the file's order
    patterns: dict  # id -> the pattern's JSON
    extensions: dict  # extension IRI -> (concept type, inlineSchema dict)

    @property
    def primary_patterns(self) -> list[str]:
        return [pid for pid, pattern in self.patterns.items() if pattern.get("primary")]

    def candidates(self, statement: dict) -> list[Template]:
        """Templates whose determining properties the statement has."""
        return [template for template in self.templates.values() if template.determined_by(statement)]


@functools.cache
def load_profile(path: str | None = None) -> Profile:
    """The profile in the JSON-LD at ``path`` (default :func:`profile_path`), read once."""
    document = json.loads(Path(path or profile_path()).read_text())
    templates = {}
    for raw in document.get("templates", []):
        templates[raw["id"]] = Template(
            id=raw["id"],
            verb=raw.get("verb"),
            object_activity_type=raw.get("objectActivityType"),
            context_activity_types={key: tuple(raw[name]) for name, key in _DETERMINING.items() if raw.get(name)},
            attachment_usage_types=tuple(raw.get("attachmentUsageType") or ()),
            rules=tuple(raw.get("rules") or ()),
        )
    extensions = {}
    for concept in document.get("concepts", []):
        if concept.get("type", "").endswith("Extension"):
            schema = concept.get("inlineSchema")
            extensions[concept["id"]] = (concept["type"], json.loads(schema) if isinstance(schema, str) else schema)
    patterns = {pattern["id"]: pattern for pattern in document.get("patterns", [])}
    return Profile(id=document["id"], templates=templates, patterns=patterns, extensions=extensions)


# --- one statement ---------------------------------------------------------------------------


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _object_type(statement: dict) -> str | None:
    return ((statement.get("object") or {}).get("definition") or {}).get("type")


def declares_profile(statement: dict) -> bool:
    """Whether the statement has the Video Profile in ``context.contextActivities.category``."""
    categories = _as_list(statement.get("context", {}).get("contextActivities", {}).get("category"))
    return any(category.get("id") == PROFILE_CATEGORY for category in categories)


_JSON_TYPES = {
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
}


def _schema_failures(value, schema: dict) -> list[str]:
    """The subset of JSON Schema the profile's inline schemas use: ``type`` and ``pattern``."""
    failures = []
    kinds = _as_list(schema.get("type"))
    if kinds and not any(_JSON_TYPES[kind](value) for kind in kinds):
        failures.append(f"{value!r} is not of type {schema['type']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        failures.append(f"{value!r} does not match the pattern {schema['pattern']}")
    return failures


def _decimals(value) -> int:
    text = repr(float(value))
    if "e" in text:
        return 99
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def extension_failures(statement: dict, profile: Profile | None = None) -> list[str]:
    """What the statement's Video Profile extensions break in the concepts' definitions and prose."""
    profile = profile or load_profile()
    failures = []
    places = {"ContextExtension": "context", "ResultExtension": "result"}
    for place in ("context", "result"):
        extensions = (statement.get(place) or {}).get("extensions") or {}
        for iri, value in extensions.items():
            if not iri.startswith(_VIDEO_EXTENSIONS):
                continue
            concept = profile.extensions.get(EXTENSION_ALIASES.get(iri, iri))
            if concept is None:
                failures.append(f"{iri} is not an extension the profile defines")
                continue
            kind, schema = concept
            if places.get(kind, place) != place:
                failures.append(f"{iri} is a {kind}: it belongs in {places[kind]}.extensions, not {place}")
            failures.extend(f"{iri}: {problem}" for problem in _schema_failures(value, schema or {}))
    context = (statement.get("context") or {}).get("extensions") or {}
    for iri in (_LENGTH, _THRESHOLD):
        value = context.get(iri)
        if _JSON_TYPES["number"](value) and _decimals(value) > 3:
            failures.append(f"{iri}: {value!r} has more than 3 decimals")
    threshold = context.get(_THRESHOLD)
    if _JSON_TYPES["number"](threshold) and not 0 <= threshold <= 1:
        failures.append(f"{_THRESHOLD}: {threshold!r} is not between 0 and 1")
    if _JSON_TYPES["number"](context.get(_LENGTH)) and context[_LENGTH] < 0:
        failures.append(f"{_LENGTH}: {context[_LENGTH]!r} is negative")
    return failures


def matching_templates(statement: dict, profile: Profile | None = None) -> list[str]:
    """Ids of the templates the statement matches (determining properties and every rule)."""
    profile = profile or load_profile()
    return [template.id for template in profile.candidates(statement) if not template.rule_failures(statement)]


def statement_failures(statement: dict, profile: Profile | None = None) -> list[str]:
    """Why the statement does not match a template of the profile (empty: it does)."""
    profile = profile or load_profile()
    failures = extension_failures(statement, profile)
    candidates = profile.candidates(statement)
    if not candidates:
        verb = statement.get("verb", {}).get("id")
        failures.append(f"no template of the profile has verb {verb} and object type {_object_type(statement)}")
    elif all(template.rule_failures(statement) for template in candidates):
        for template in candidates:
            failures.append(f"{template.id}: " + "; ".join(template.rule_failures(statement)))
    return failures


def assert_matches_template(statement: dict, profile: Profile | None = None) -> list[str]:
    """Raise ProfileMismatch unless the statement matches a template; return the templates it matches."""
    failures = statement_failures(statement, profile)
    if failures:
        raise ProfileMismatch(
            "not a Video Profile statement by its templates:\n  "
            + "\n  ".join(failures)
            + "\n"
            + json.dumps(statement, indent=1)
        )
    return matching_templates(statement, profile)


# --- sessions and the primary pattern --------------------------------------------------------


def _pattern_ends(profile: Profile, element: str, matched: list[set], start: int) -> set[int]:
    """Positions where ``element`` (a template or a pattern) can end when it starts at ``start``."""
    if element in profile.templates:
        return {start + 1} if start < len(matched) and element in matched[start] else set()
    pattern = profile.patterns[element]
    if "sequence" in pattern:
        ends = {start}
        for part in pattern["sequence"]:
            ends = {end for position in ends for end in _pattern_ends(profile, part, matched, position)}
        return ends
    if "alternates" in pattern:
        return {end for part in pattern["alternates"] for end in _pattern_ends(profile, part, matched, start)}
    if "optional" in pattern:
        return {start} | _pattern_ends(profile, pattern["optional"], matched, start)
    if "zeroOrMore" in pattern or "oneOrMore" in pattern:
        part = pattern.get("zeroOrMore") or pattern["oneOrMore"]
        reached, frontier = set(), {start}
        while frontier:  # bounded: each round adds new positions, of which there are len(matched) + 1
            step = {end for position in frontier for end in _pattern_ends(profile, part, matched, position)}
            frontier = step - reached
            reached |= step
        return reached | ({start} if "zeroOrMore" in pattern else set())
    raise ValueError(f"pattern {element} has no operator this checker knows")


def session_failures(statements: list[dict], profile: Profile | None = None) -> list[str]:
    """Why one session's statements (in order) do not follow the profile's primary pattern.

    Besides the pattern, a session whose threshold is not 1 (it shows in any statement) must
    carry it on each initialized, paused, completed and terminated statement.
    """
    profile = profile or load_profile()
    failures = []
    for statement in statements:
        failures.extend(f"{statement.get('id')}: {problem}" for problem in statement_failures(statement, profile))
    matched = [set(matching_templates(statement, profile)) for statement in statements]
    for pattern in profile.primary_patterns:
        if len(statements) not in _pattern_ends(profile, pattern, matched, 0):
            names = [statement.get("verb", {}).get("id", "?").rsplit("/", 1)[-1] for statement in statements]
            failures.append(f"the session ({' '.join(names)}) does not follow the primary pattern {pattern}")
    thresholds = {
        s["context"]["extensions"][_THRESHOLD]
        for s in statements
        if _THRESHOLD in ((s.get("context") or {}).get("extensions") or {})
    }
    if thresholds - {1}:
        for statement in statements:
            extensions = (statement.get("context") or {}).get("extensions") or {}
            if statement.get("verb", {}).get("id") in _THRESHOLD_VERBS and _THRESHOLD not in extensions:
                failures.append(f"{statement.get('id')}: the session's completion-threshold is missing")
    if len(thresholds) > 1:
        failures.append(f"the session's statements disagree on completion-threshold: {sorted(thresholds)}")
    return failures


def sessions_of(statements: list[dict]) -> dict[str, list[dict]]:
    """Statements that declare the profile, by session id, each session in timestamp order (ties: see below)."""
    sessions: dict[str, list[dict]] = {}
    for statement in statements:
        if declares_profile(statement):
            session = ((statement.get("context") or {}).get("extensions") or {}).get(_SESSION, "")
            sessions.setdefault(session, []).append(statement)
    return {
        key: sorted(group, key=lambda s: (_when(s), _TIE_RANK.get(s.get("verb", {}).get("id"), 1)))
        for key, group in sessions.items()
    }


# Statements of one timestamp have no order of their own (an LRS returns them newest stored
# first): ties are put in the order the pattern expects, so only a real inversion is reported.
_TIE_RANK = {"http://adlnet.gov/expapi/verbs/initialized": 0, "http://adlnet.gov/expapi/verbs/terminated": 2}


def _when(statement: dict) -> datetime:
    try:
        value = datetime.fromisoformat(str(statement.get("timestamp")).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def assert_profile_statements(statements: list[dict], *, closed: bool = True, profile: Profile | None = None) -> int:
    """Every statement declaring the profile matches a template; every session follows the primary pattern.

    ``closed=False``: sessions may still be open (no terminated yet): the pattern is checked on
    each session as if it ended now, i.e. only its prefix must fit. Returns the number of sessions.
    """
    profile = profile or load_profile()
    failures = []
    sessions = sessions_of(statements)
    for session_id, group in sessions.items():
        problems = session_failures(group, profile)
        if not closed and group and group[-1].get("verb", {}).get("id") != "http://adlnet.gov/expapi/verbs/terminated":
            problems = [problem for problem in problems if "primary pattern" not in problem]
            problems += _prefix_failures(group, profile)
        failures.extend(f"session {session_id}: {problem}" for problem in problems)
    if failures:
        raise ProfileMismatch("\n".join(failures))
    return len(sessions)


def _prefix_failures(statements: list[dict], profile: Profile) -> list[str]:
    """An open session: initialized first, then only middle templates (no terminated yet)."""
    matched = [set(matching_templates(statement, profile)) for statement in statements]
    initialized = "https://w3id.org/xapi/video/templates#initialized"
    if not matched or initialized not in matched[0]:
        return ["an open session does not start with initialized"]
    middle = "https://w3id.org/xapi/video/patterns#optionalmiddlestatements"
    if middle in profile.patterns and len(statements) not in _pattern_ends(profile, middle, matched, 1):
        return ["an open session has a statement outside the profile's middle templates after initialized"]
    return []


@dataclass(frozen=True)
class ProfileReport:
    """How a set of statements fares against the profile: counts and the first problems."""

    declaring: int  # statements that declare the profile
    matching: int  # ... of which match a template
    sessions: int
    following: int  # sessions that follow the primary pattern (and carry their threshold)
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.declaring == self.matching and self.sessions == self.following


def profile_report(statements: list[dict], profile: Profile | None = None) -> ProfileReport:
    """Check every statement declaring the profile and every session (as closed ones) without raising."""
    profile = profile or load_profile()
    declaring = [statement for statement in statements if declares_profile(statement)]
    problems = []
    matching = 0
    for statement in declaring:
        failures = statement_failures(statement, profile)
        matching += not failures
        problems.extend(f"{statement.get('id')}: {failure}" for failure in failures)
    sessions = sessions_of(statements)
    following = 0
    for session_id, group in sessions.items():
        failures = session_failures(group, profile)
        following += not failures
        problems.extend(f"session {session_id}: {failure}" for failure in failures)
    return ProfileReport(len(declaring), matching, len(sessions), following, tuple(dict.fromkeys(problems)))
