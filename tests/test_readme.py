"""The README stays true to the code: its two opening commands, CI's command, every setting."""

import re
from pathlib import Path

from xapi_plugin.core.constants import SETTING_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_demo_and_test_commands_that_ci_runs():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert README.index("```bash") < README.index("## ")  # before any section
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), "CI must run the README's test command as it is"


def test_every_setting_is_in_the_settings_table():
    table = README[README.index("## Settings") : README.index("## For operators")]
    missing = [name for name in SETTING_DEFAULTS if f"| `{name}` |" not in table]
    assert not missing, f"add these to the README's settings table: {missing}"


def test_every_task_the_readme_schedules_is_found_by_a_worker():
    """A worker discovers ``<app>.tasks`` modules only: each beat entry's task must be registered from there."""
    from celery import Celery  # noqa: PLC0415

    scheduled = set(re.findall(r'"task": "([\w.]+)"', README))
    assert {"xapi_plugin.delivery.tasks.sweep", "xapi_plugin.privacy.tasks.purge_expired_data"} <= scheduled
    worker_app = Celery("readme-check", set_as_current=False)
    worker_app.autodiscover_tasks(["xapi_plugin"], force=True)
    worker_app.loader.import_default_modules()
    missing = scheduled - set(worker_app.tasks)
    assert not missing, f"the README schedules tasks no worker knows: {missing}"
