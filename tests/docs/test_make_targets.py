"""`make demo` installs only what the demo needs; `make test` installs the rest."""

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-system-deps"


def _missing_packages(profile: str, tmp_path: Path) -> set[str]:
    """Run the script on a PATH where nothing is installed, as a non-root user: it lists what it would install."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    result = subprocess.run(
        [shutil.which("bash"), str(SCRIPT), profile], env={"PATH": str(bin_dir)}, capture_output=True, text=True
    )
    assert result.returncode == 1, result.stderr
    return set(re.search(r"apt-get install -y (.*)$", result.stderr.strip()).group(1).split())


def test_the_demo_installs_no_database_browser_or_video_tool(tmp_path):
    assert _missing_packages("demo", tmp_path) == {"nodejs", "npm", "make"}


def test_the_tests_install_the_real_services(tmp_path):
    assert {"redis-server", "mariadb-server", "chromium", "chromium-driver", "ffmpeg"} <= _missing_packages(
        "test", tmp_path
    )


def test_make_demo_uses_the_demo_profile_and_extra():
    makefile = (ROOT / "Makefile").read_text()
    demo_deps = re.search(r"^demo: (.*)$", makefile, re.M).group(1).split()
    assert "system-deps" not in demo_deps and "venv" not in demo_deps and "lrs" not in demo_deps
    assert "install-system-deps demo" in makefile and ".[demo]" in makefile


def test_the_tests_install_what_mysqlclient_builds_with(tmp_path):
    # mysqlclient (the `test` extra) compiles against the MariaDB client library on a fresh machine.
    assert {"gcc", "pkg-config", "libmariadb-dev"} <= _missing_packages("test", tmp_path)
    assert not {"gcc", "pkg-config", "libmariadb-dev"} & _missing_packages("demo", tmp_path / "demo")
