"""The README stays true to the code: its two opening commands, CI's command, every setting."""

import re
from pathlib import Path

from xapi_plugin.constants import SETTING_DEFAULTS

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
