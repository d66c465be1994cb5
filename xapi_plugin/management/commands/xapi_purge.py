"""Delete delivered statements and viewing state past their retention periods, now."""

from django.core.management.base import BaseCommand, CommandError

from xapi_plugin.privacy import DEFAULT_BATCH_SIZE, purge


class Command(BaseCommand):
    help = (
        "Delete delivered outbox rows older than XAPI_DELIVERED_RETENTION and viewing state untouched for "
        "XAPI_VIEWING_STATE_RETENTION, in batches (what the purge_expired_data task does), and print the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows per DELETE (default %(default)s)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, batch_size: int, dry_run: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        counts = purge(batch_size=batch_size, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"delivered statements {verb}: {counts['delivered_statements']}")
        self.stdout.write(f"viewing states {verb}: {counts['viewing_states']}")
        self.stdout.write(f"folded video intake rows {verb}: {counts['folded_video_intake']}")
        self.stdout.write(f"reported event intake rows {verb}: {counts['reported_event_intake']}")
