"""Apply the Advanced Settings ``xapi`` entry of one course, or of every course with xAPI settings."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xapi_plugin.core.validators import validate_course_key
from xapi_plugin.studio import sync_course_settings


class Command(BaseCommand):
    help = (
        'Read the "xapi" entry of Studio\'s Advanced Settings ("Other Course Settings") and apply it, as a '
        "publish does. Without --course: every course that already has xAPI settings. Invalid entries are "
        "refused and the last valid settings stay in force. Exit status 1 when any entry was refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("--course", action="append", default=[], metavar="KEY", help="Course id; repeatable.")

    def handle(self, *args, **options):
        from xapi_plugin.models import CourseSettings  # noqa: PLC0415

        course_keys = options["course"]
        for key in course_keys:
            try:
                validate_course_key(key)
            except ValidationError as exc:
                raise CommandError(exc.messages[0]) from exc
        if not course_keys:
            course_keys = list(CourseSettings.objects.order_by("course_key").values_list("course_key", flat=True))
        refused = 0
        for key in course_keys:
            result = sync_course_settings(key)
            if result.outcome == "refused":
                refused += 1
                self.stdout.write(f"{key}: refused, last valid settings kept\n{result.message}")
            elif result.outcome == "applied":
                self.stdout.write(f"{key}: applied")
            else:
                self.stdout.write(f"{key}: no xapi entry in Advanced Settings, nothing changed")
        if refused:
            raise CommandError(f"{refused} course(s) have invalid xapi entries", returncode=1)
