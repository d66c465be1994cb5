"""Without the Learning Paths app the plugin loads, connects its receivers and sends course statements as before."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db.models.signals import post_save
from xapi_plugin import platform
from xapi_plugin.platform import signals
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement
from xapi_plugin.testing import standin_platform
course = "course-v1:Org+Solo+2026"
standin_platform.make_course(course, sections=1, units=1)
connection = LRSConnection(
    name="lrs", endpoint="http://127.0.0.1:9/x", contact_email="o@example.com", available_to_all=True
)
connection.key, connection.secret = "k", "s"
connection.save()
CourseSettings.objects.create(course_key=course, enabled=True, connection=connection)
user = get_user_model().objects.create(username="solo", email="solo@example.com")
standin_platform.save_block_completion(user.id, course, "block-v1:Org+Solo+2026+type@vertical+block@s0u0")
print(json.dumps({
    "installed": platform.learning_paths_installed(),
    "apps": [app for app in settings.INSTALLED_APPS if "learning" in app],
    "saved_is_post_save": signals.LEARNING_PATH_SAVED is post_save,
    "paths": platform.learner_paths_with_course(user.id, course),
    "verbs": sorted(OutboxStatement.objects.values_list("verb", flat=True)),
}))
"""


def test_the_plugin_works_the_same_without_the_learning_paths_app(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.host.lms_settings",
        "XAPI_HOST_WITHOUT_LEARNING_PATHS": "1",
        "XAPI_HOST_SQLITE": str(tmp_path / "lms.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {
        "installed": False,
        "apps": [],
        "saved_is_post_save": False,
        "paths": [],
        "verbs": ["completed", "completed", "progressed", "progressed"],
    }
