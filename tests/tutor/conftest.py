"""Tutor roots rendered by the real Tutor CLI (PyPI ``tutor``) with the ``xapi`` plugin enabled.

No Docker: ``tutor plugins enable`` and ``tutor config save`` only write config.yml and the env/
folder, which the tests read.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TUTOR = str(Path(sys.executable).with_name("tutor"))


@dataclass(frozen=True)
class TutorRoot:
    """One rendered Tutor project root."""

    path: Path

    def tutor(self, *args: str) -> str:
        """Run the tutor CLI on this root, non-interactively; its stdout."""
        env = {**os.environ, "TUTOR_ROOT": str(self.path)}
        done = subprocess.run([TUTOR, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"tutor {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def env_file(self, *parts: str) -> str:
        return self.path.joinpath("env", *parts).read_text()

    def patch(self, name: str) -> str:
        """The rendered content of one template patch (only this plugin is enabled)."""
        return self.tutor("config", "patches", "show", name)


def make_root(tmp_path_factory, name: str, *settings: str) -> TutorRoot:
    if not shutil.which(TUTOR):
        pytest.fail("tutor is not installed in the test venv (make venv installs it with the test extra)")
    root = TutorRoot(tmp_path_factory.mktemp(name))
    root.tutor("plugins", "enable", "xapi")
    root.tutor("config", "save", *[arg for setting in settings for arg in ("--set", setting)])
    return root


@pytest.fixture(scope="session")
def default_root(tmp_path_factory) -> TutorRoot:
    """The plugin enabled with its defaults."""
    return make_root(tmp_path_factory, "tutor-default")


@pytest.fixture(scope="session")
def custom_root(tmp_path_factory) -> TutorRoot:
    """A delivery queue, alert emails, the Aspects switch, and Aspects' Ralph config values as
    tutor-contrib-aspects defines them (that plugin is not installed here)."""
    return make_root(
        tmp_path_factory,
        "tutor-custom",
        "XAPI_CELERY_QUEUE=edx.lms.core.xapi",
        "XAPI_ALERT_ADMIN_EMAILS=[lrs-admins@example.com]",
        "XAPI_ASPECTS_RALPH=true",
        "CONTACT_EMAIL=ops@example.com",
        "OPENEDX_EXTRA_PIP_REQUIREMENTS=[some-other-xblock]",
        "RUN_RALPH=true",
        "RALPH_HOST=ralph",
        "RALPH_PORT=8100",
        "RALPH_RUN_HTTPS=false",
        "RALPH_LMS_USERNAME=lms",
        "RALPH_LMS_PASSWORD=ralph-lms-password-from-aspects",
    )
