"""Issue 15: per-course switches for the problem and navigation statement families."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("xapi_plugin", "0005_video_intake")]

    operations = [
        migrations.AddField(
            model_name="coursesettings",
            name="send_problem_statements",
            field=models.BooleanField(
                default=True, help_text="Problem submissions (one per question), hints and shown answers."
            ),
        ),
        migrations.AddField(
            model_name="coursesettings",
            name="send_navigation_statements",
            field=models.BooleanField(
                default=True, help_text="Moves between units and pages of the course (what Aspects counts as visits)."
            ),
        ),
    ]
