"""Try again the course signals and tracking events whose report failed on every attempt."""

from django.core.management.base import BaseCommand

from xapi_plugin.intake import retry_failed_events


class Command(BaseCommand):
    help = (
        "Put the event intake rows kept as failed (their report raised on every try, e.g. while the "
        "platform was misconfigured) back in the queue; the next fold run reports them in event order."
    )

    def add_arguments(self, parser):
        parser.add_argument("--course", help="Only this course's events (a course key).")
        parser.add_argument("--dry-run", action="store_true", help="Count them; change nothing.")

    def handle(self, *args, **options):
        count = retry_failed_events(course_key=options["course"], dry_run=options["dry_run"])
        verb = "would be tried again" if options["dry_run"] else "queued to be tried again"
        self.stdout.write(f"{count} failed event(s) {verb}.")
