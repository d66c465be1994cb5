"""Deliver due outbox rows now, in this process, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from xapi_plugin.core.constants import OutboxState
from xapi_plugin.delivery import DeliveryReport, deliver_due
from xapi_plugin.models import LRSConnection, OutboxStatement

_BAR_WIDTH = 30


def progress_bar(done: int, total: int) -> str:
    """``[#####-----]  50/100`` (pure, for the command and its tests)."""
    total = max(total, done, 1)
    filled = int(_BAR_WIDTH * done / total)
    return f"[{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {done}/{total}"


class Command(BaseCommand):
    help = (
        "Send the due statements of every enabled LRS connection (or one) now. A connection that is backing "
        "off after failures is skipped unless --force, which makes this run its probe."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="Id or name of one connection (default: all enabled).")
        parser.add_argument("--limit", type=int, help="At most this many statements per connection.")
        parser.add_argument("--force", action="store_true", help="Probe failing connections now, ignoring backoff.")

    def handle(self, *args, **options):
        connections = LRSConnection.objects.filter(enabled=True)
        if options["connection"]:
            value = options["connection"]
            connections = LRSConnection.objects.filter(Q(name=value) | Q(pk=int(value) if value.isdigit() else None))
            if not connections.exists():
                raise CommandError(f"No LRS connection with id or name {value!r}; xapi_status lists them.")
        failed = False
        for connection in connections.order_by("name"):
            if options["force"] and connection.consecutive_failures:
                LRSConnection.objects.filter(pk=connection.pk).update(retry_at=timezone.now())
            total = OutboxStatement.objects.filter(
                connection=connection, state=OutboxState.PENDING, next_attempt_at__lte=timezone.now()
            ).count()
            if options["limit"] is not None:
                total = min(total, options["limit"])
            self.stdout.write(f"{connection.name}: {total} due")
            interactive = self.stdout.isatty()  # a live bar on terminals; logs get the final line

            def show(report: DeliveryReport, total=total, interactive=interactive) -> None:
                if interactive:
                    self.stdout.write("\r  " + progress_bar(report.attempted, total), ending="")
                    self.stdout.flush()

            report = deliver_due(connection.pk, options["limit"], on_batch=show)
            if interactive and report.batches:
                self.stdout.write("")
            self.stdout.write(
                f"  {progress_bar(report.attempted, total)} delivered={report.delivered} rejected={report.rejected} "
                f"retried={report.retried} held={report.held} expired={report.expired} ({report.stopped})"
            )
            if report.stopped in ("failing", "backing off"):
                failed = True
                connection.refresh_from_db()
                self.stdout.write(f"  {connection.status}: {connection.last_failure_detail}")
                if report.stopped == "backing off":
                    self.stdout.write(f"  next attempt {connection.retry_at}; --force probes now")
        if failed:
            raise CommandError("Some connections are failing; see above and xapi_status.")
