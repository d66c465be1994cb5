"""Replay tracking logs: read old events and queue the statements they give with today's settings.

Streams files line by line (plain or gzipped), so memory stays flat however long the log.
Replaying the same file twice queues nothing new: statement ids are deterministic and the outbox
refuses an id it already holds.
"""

import gzip
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction

from xapi_plugin.core import metrics
from xapi_plugin.intake import tracking
from xapi_plugin.intake.tracking import MalformedEvent, TrackingEvent, normalise_event
from xapi_plugin.privacy import LearnerRetired

log = logging.getLogger(__name__)

MAX_REPORTED_MALFORMED = 1000


@dataclass
class ReplayReport:
    """What a replay read and did. ``malformed`` holds (file, line number, reason), the first 1,000."""

    lines: int = 0
    events: int = 0
    filtered_out: int = 0
    not_ours: int = 0
    malformed_count: int = 0
    malformed: list[tuple[str, int, str]] = field(default_factory=list)
    failed: int = 0
    statements: int = 0

    def add_malformed(self, path: str, line_number: int, reason: str) -> None:
        self.malformed_count += 1
        if len(self.malformed) < MAX_REPORTED_MALFORMED:
            self.malformed.append((path, line_number, reason))


@dataclass(frozen=True)
class ReplayFilter:
    """Which events to replay: one course, and a time window (inclusive since, exclusive until)."""

    course: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def accepts(self, event: TrackingEvent) -> bool:
        if self.course and event.course_key != self.course:
            return False
        if self.since or self.until:
            when = parse_time(event.timestamp)
            if self.since and when < self.since:
                return False
            if self.until and when >= self.until:
                return False
        return True


def parse_time(value: str) -> datetime:
    """An aware datetime from an ISO 8601 string (``Z`` or offset; naive is UTC)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        from datetime import UTC  # noqa: PLC0415

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def open_log(path: Path):
    """Open a tracking log as binary, transparently gunzipping (by content, not by name)."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle), handle
    return handle, handle


def iter_log_lines(path: Path, on_progress: Callable[[int, int], None] | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) for each non-blank line; ``on_progress(bytes read, file size)`` now and then."""
    size = path.stat().st_size
    reader, raw_handle = open_log(path)
    try:
        for number, line in enumerate(reader, start=1):
            if on_progress and number % 2000 == 0:
                on_progress(raw_handle.tell(), size)
            if line.strip():
                yield number, line
        if on_progress:
            on_progress(size, size)
    finally:
        reader.close()
        raw_handle.close()


def _new_rows_since(watermark: int):
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    return OutboxStatement.objects.filter(pk__gt=watermark).order_by("pk")


def _watermark() -> int:
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    return OutboxStatement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class _DryRunRollback(Exception):
    """Raised to roll back everything a dry run wrote."""


def replay_files(
    paths: list[Path],
    event_filter: ReplayFilter = ReplayFilter(),
    dry_run: bool = False,
    emit_statement: Callable[[str], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ReplayReport:
    """Feed every matching event of ``paths`` to its handler; see the module docstring.

    With ``dry_run`` everything runs inside one transaction that is rolled back at the end, and
    each statement produced is passed to ``emit_statement`` as JSON instead of being kept.
    """
    report = ReplayReport()
    if not dry_run:
        start = _watermark()
        _replay(paths, event_filter, report, on_progress)
        report.statements = _new_rows_since(start).count()
        return report
    try:
        with transaction.atomic():
            _replay(paths, event_filter, report, on_progress, emit_statement=emit_statement)
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def _replay(paths, event_filter, report, on_progress, emit_statement=None) -> None:
    watermark = _watermark() if emit_statement else 0
    for path in paths:
        name = str(path)
        progress = (lambda done, total, name=name: on_progress(name, done, total)) if on_progress else None
        for number, line in iter_log_lines(Path(path), progress):
            report.lines += 1
            try:
                routed = _replay_line(line, event_filter, report)
            except Exception:  # noqa: BLE001 - one bad line never stops a replay
                routed = False
                report.failed += 1
                metrics.increment(metrics.FAILED_EVENTS)
                fingerprint = _line_fingerprint(line)
                tracking.log_bad_event_once(
                    logging.WARNING, fingerprint, "xapi replay: failed on %s line %d (%s)", name, number, fingerprint
                )
            if isinstance(routed, str):
                report.add_malformed(name, number, routed)
                metrics.increment(metrics.SKIPPED_EVENTS)
                continue
            if routed and emit_statement:
                for row in _new_rows_since(watermark):
                    emit_statement(row.payload)
                    watermark = row.pk
                    report.statements += 1


def _line_fingerprint(line: bytes) -> str:
    return tracking.event_fingerprint(line.decode("utf-8", "replace"))


def _replay_line(line: bytes, event_filter: ReplayFilter, report: ReplayReport) -> bool | str:
    """Feed one log line to its handler: True if it was routed, False if skipped, or why it is malformed."""
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(raw, dict):
        return "not an event object"
    event_name = tracking.event_name(raw)
    if event_name not in tracking.TRACKING_ROUTES:
        if event_name is None and (raw.get("name") is not None or raw.get("event_type") is not None):
            return "the event name is not a string"
        report.not_ours += 1
        return False
    try:
        event = normalise_event(raw)
        if not event_filter.accepts(event):
            report.filtered_out += 1
            return False
        report.events += 1
        with transaction.atomic():
            tracking.route_event(event)
    except (MalformedEvent, ValueError) as exc:
        return str(exc)[:200] or type(exc).__name__
    except LearnerRetired:
        return False
    return True
