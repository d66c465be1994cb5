"""Replay tracking logs into xAPI statements (``xapi_replay``)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xapi_plugin.intake import ReplayFilter, parse_time, replay_files


class Command(BaseCommand):
    help = (
        "Read tracking log files (plain or gzipped, one event per line), map the events with the courses' "
        "current xAPI settings and queue the statements. Replaying a file twice queues nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="tracking log files (.log or .gz)")
        parser.add_argument("--course", help="only events of this course id")
        parser.add_argument("--since", help="only events at or after this time (ISO 8601, UTC if no offset)")
        parser.add_argument("--until", help="only events before this time (ISO 8601)")
        parser.add_argument("--dry-run", action="store_true", help="print the statements as JSON lines; keep nothing")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, **options):
        paths = [Path(name) for name in options["files"]]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        try:
            event_filter = ReplayFilter(
                course=options["course"],
                since=parse_time(options["since"]) if options["since"] else None,
                until=parse_time(options["until"]) if options["until"] else None,
            )
        except ValueError as exc:
            raise CommandError(f"--since/--until must be ISO 8601 times such as 2026-05-01T00:00:00Z ({exc})") from exc

        dry_run = options["dry_run"]
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        report = replay_files(
            paths,
            event_filter,
            dry_run=dry_run,
            emit_statement=self.stdout.write if dry_run else None,
            on_progress=_progress_bar if show_progress else None,
        )
        if show_progress:
            sys.stderr.write("\n")
        summary = self.stderr if dry_run else self.stdout
        verb = "would queue" if dry_run else "queued"
        summary.write(
            f"{report.lines} lines, {report.events} events replayed, {report.statements} statements {verb}, "
            f"{report.filtered_out} filtered out, {report.not_ours} not mapped, "
            f"{report.malformed_count} malformed, {report.failed} failed"
        )
        for path, number, reason in report.malformed:
            summary.write(f"malformed: {path}:{number}: {reason}")
        if report.malformed_count > len(report.malformed):
            summary.write(f"malformed: ... and {report.malformed_count - len(report.malformed)} more")


def _progress_bar(name: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    percent = 100 * done / total if total else 100
    sys.stderr.write(f"\r{name[-40:]:40} [{'#' * filled}{'.' * (width - filled)}] {percent:5.1f}%")
    sys.stderr.flush()
