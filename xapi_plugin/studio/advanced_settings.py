"""Course xAPI settings chosen by course staff in Studio.

Two ways in, one validation:

* the ``xapi`` entry of the course's Advanced Settings "Other Course Settings" dict, read through
  the platform adapter and applied when the course is published (the ``COURSE_PUBLISHED`` signal of
  :mod:`xapi_plugin.platform`) or on demand (``xapi_sync_course_settings``, the Studio page's button);
* the form of the Studio page (:mod:`xapi_plugin.studio.views`).

Both end in :func:`validate_xapi_entry` (pure: a dict in, values or plain-words problems out) and
:func:`apply_course_values` (one write to ``CourseSettings`` with ``source="studio"``). Refused
settings never replace the last valid ones: the problem is kept in ``CourseSettings.studio_error``
for the Studio page to show. The LRS connection is named, never described: endpoints and
credentials stay with operators, since everything in Advanced Settings is visible to all course
staff and travels with course exports.
"""

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from django.db import transaction

from xapi_plugin import platform
from xapi_plugin.core.constants import ActorMode, BeaconInterval
from xapi_plugin.routing import usable_connection_names

log = logging.getLogger(__name__)

#: The key of the plugin's entry in "Other Course Settings".
XAPI_ENTRY = "xapi"

#: Every key the entry may hold, with the model default used when a key is left out.
ENTRY_DEFAULTS: dict[str, object] = {
    "enabled": False,
    "lrs": None,
    "actor_mode": ActorMode.EMAIL,
    "video_end_percent": 100,
    "video_end_seconds": 0,
    "beacon_interval": BeaconInterval.QUARTERS,
    "send_course_statements": True,
    "send_video_statements": True,
    "send_problem_statements": True,
    "send_navigation_statements": True,
}

# Keys that look like someone tried to put the LRS's address or credentials in the course.
_SECRET_LIKE_KEYS = {
    "endpoint", "url", "key", "secret", "password", "token", "username", "auth", "api_key",
    "lrs_key", "lrs_secret", "lrs_endpoint", "client_id", "client_secret", "authorization",
}  # fmt: skip

_BOOLEAN_KEYS = (
    "enabled",
    "send_course_statements",
    "send_video_statements",
    "send_problem_statements",
    "send_navigation_statements",
)
_ACTOR_MODES = [value for value, _label in ActorMode.CHOICES]
_BEACON_INTERVALS = [value for value, _label in BeaconInterval.CHOICES]


@dataclass(frozen=True)
class ValidatedEntry:
    """The outcome of validating an ``xapi`` entry: the values to apply, or why they were refused."""

    values: dict = field(default_factory=dict)
    #: (key, message) pairs; the key is the entry's key at fault ("" for the entry as a whole).
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str:
        """All problems as one plain-words message (what ``studio_error`` stores)."""
        return "\n".join(message for _key, message in self.problems)


def _is_whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _quoted(value) -> str:
    import json  # noqa: PLC0415

    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_xapi_entry(entry, connection_names: Collection[str]) -> ValidatedEntry:
    """Check an ``xapi`` entry; ``connection_names`` are the LRS connections this course may use.

    Only those names ever appear in a message: a name outside them is refused in the same words
    whether or not such a connection exists elsewhere on the site.

    Keys left out take the defaults in :data:`ENTRY_DEFAULTS`, so the entry alone decides the
    settings. Each problem names the key and says what values are allowed.
    """
    if not isinstance(entry, Mapping):
        message = (
            f'The "{XAPI_ENTRY}" entry must be a JSON object such as '
            '{"enabled": true, "lrs": "<LRS name>"}, not ' + _quoted(entry) + "."
        )
        return ValidatedEntry(problems=(("", message),))
    problems: list[tuple[str, str]] = []

    def refuse(key: str, message: str) -> None:
        problems.append((key, message))

    for key in sorted(set(entry) - set(ENTRY_DEFAULTS), key=str):
        if str(key).lower() in _SECRET_LIKE_KEYS:
            # Never echo the value: it may be a credential.
            refuse(
                key,
                f'"{key}" is not allowed: LRS addresses and credentials must never be put in course '
                "settings (all course staff see them and they are exported with the course). Remove it and "
                'name the LRS connection your operators set up with "lrs".',
            )
        else:
            refuse(key, f'"{key}" is not a known setting. Allowed keys: {", ".join(ENTRY_DEFAULTS)}.')

    values = dict(ENTRY_DEFAULTS)
    values.update({key: value for key, value in entry.items() if key in ENTRY_DEFAULTS})

    for key in _BOOLEAN_KEYS:
        if not isinstance(values[key], bool):
            refuse(key, f'"{key}" must be true or false (without quotes), not {_quoted(values[key])}.')

    lrs = values["lrs"]
    names = sorted(connection_names)
    available = ", ".join(f'"{name}"' for name in names) if names else "none yet: ask your operators to add one"
    if lrs is not None and not isinstance(lrs, str):
        refuse("lrs", f'"lrs" must be the name of an LRS connection in quotes. Available: {available}.')
    elif isinstance(lrs, str) and lrs not in connection_names:
        refuse(
            "lrs",
            f'"lrs" must name an LRS connection available to this course: {_quoted(lrs)} is not one. '
            f"Available: {available}.",
        )
    elif values["enabled"] is True and not lrs:
        refuse("lrs", f'"lrs" is needed when "enabled" is true: name the LRS to send to. Available: {available}.')

    if values["actor_mode"] not in _ACTOR_MODES:
        refuse(
            "actor_mode",
            f'"actor_mode" must be one of {", ".join(_quoted(m) for m in _ACTOR_MODES)}, '
            f"not {_quoted(values['actor_mode'])}.",
        )
    percent = values["video_end_percent"]
    if not _is_whole_number(percent) or not 1 <= percent <= 100:
        refuse(
            "video_end_percent",
            f'"video_end_percent" must be a whole number from 1 to 100 (100: the whole video), not {_quoted(percent)}.',
        )
    seconds = values["video_end_seconds"]
    if not _is_whole_number(seconds) or not 0 <= seconds <= 86400:
        refuse(
            "video_end_seconds",
            f'"video_end_seconds" must be a whole number of seconds from 0 to 86400 (0: off), not {_quoted(seconds)}.',
        )
    if values["beacon_interval"] not in _BEACON_INTERVALS:
        refuse(
            "beacon_interval",
            f'"beacon_interval" must be one of {", ".join(_quoted(b) for b in _BEACON_INTERVALS)}, '
            f"not {_quoted(values['beacon_interval'])}.",
        )
    if problems:
        return ValidatedEntry(problems=tuple(problems))
    return ValidatedEntry(values=values)


def connection_names(course_key) -> list[str]:
    """Names of the LRS connections course staff of ``course_key`` may choose from (the operator's scopes)."""
    return usable_connection_names(course_key)


def apply_course_values(course_key: str, values: Mapping):
    """Write validated values as the course's settings (``source="studio"``, problem cleared)."""
    from xapi_plugin.models import CourseSettings, LRSConnection  # noqa: PLC0415

    connection = LRSConnection.objects.get(name=values["lrs"]) if values["lrs"] else None
    with transaction.atomic():
        row = CourseSettings.objects.select_for_update().filter(course_key=course_key).first()
        if row is None:
            row = CourseSettings(course_key=course_key)
        row.enabled = values["enabled"]
        # With xAPI off and no LRS named, the previous connection stays (turning it on again is one switch).
        if connection is not None:
            row.connection = connection
        row.actor_mode = values["actor_mode"]
        row.video_end_percent = values["video_end_percent"]
        row.video_end_seconds = values["video_end_seconds"]
        row.beacon_interval = values["beacon_interval"]
        row.send_course_statements = values["send_course_statements"]
        row.send_video_statements = values["send_video_statements"]
        row.send_problem_statements = values["send_problem_statements"]
        row.send_navigation_statements = values["send_navigation_statements"]
        row.source = CourseSettings.SOURCE_STUDIO
        row.studio_error = ""
        row.full_clean()
        row.save()
    return row


def record_refusal(course_key: str, message: str):
    """Keep the settings in force and remember why Studio's settings were refused."""
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    with transaction.atomic():
        row, _created = CourseSettings.objects.select_for_update().get_or_create(course_key=course_key)
        if row.studio_error != message:
            row.studio_error = message
            row.save()
    return row


@dataclass(frozen=True)
class SyncResult:
    """What one sync from Advanced Settings did: ``applied``, ``refused`` or ``absent`` (no entry)."""

    course_key: str
    outcome: str
    message: str = ""


def sync_course_settings(course_key) -> SyncResult:
    """Read the course's ``xapi`` entry through the adapter and apply it, or record why not."""
    course_key = str(course_key)
    other = platform.get_other_course_settings(course_key) or {}
    if XAPI_ENTRY not in other:
        _clear_stale_problem(course_key)
        return SyncResult(course_key, "absent")
    checked = validate_xapi_entry(other[XAPI_ENTRY], connection_names(course_key))
    if not checked.valid:
        message = f'Advanced Settings, "{XAPI_ENTRY}" entry: ' + checked.message
        record_refusal(course_key, message)
        log.info("xAPI settings from Studio refused for %s (%d problem(s))", course_key, len(checked.problems))
        return SyncResult(course_key, "refused", message)
    apply_course_values(course_key, checked.values)
    return SyncResult(course_key, "applied")


def _clear_stale_problem(course_key: str) -> None:
    # The entry was removed: an old complaint about it no longer applies.
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    row = CourseSettings.objects.filter(course_key=course_key).exclude(studio_error="").first()
    if row is not None:
        row.studio_error = ""
        row.save()


def _is_course(course_key) -> bool:
    # Studio also publishes content libraries through the same signal.
    return not str(course_key).startswith(("library-v1:", "lib:"))


def apply_studio_settings_on_publish(sender, course_key=None, **kwargs) -> None:
    """Receiver of ``platform.COURSE_PUBLISHED``: apply the course's ``xapi`` entry; never raises."""
    if course_key is None or not _is_course(course_key):
        return
    try:
        sync_course_settings(course_key)
    except Exception:  # a publish must never fail because of this plugin
        log.exception("xAPI: could not apply Studio settings for %s", course_key)
