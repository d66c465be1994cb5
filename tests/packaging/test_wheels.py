"""Both distributions build with ``python -m build`` and work installed from their wheels alone.

``openedx-xapi-plugin``: sdist, then the wheel built from that sdist (so MANIFEST.in and
package_data are what ships), installed in a clean venv with the ``demo`` extra; ``xapi-demo``
runs from it, outside the checkout. ``tutor-contrib-xapi``: built the same way, installed in
another clean venv (operators install it next to Tutor, not in the LMS), enabled and rendered.
"""

import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import xapi_plugin

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^produced=(\d+) delivered=(\d+) rejected=(\d+) lost=(\d+)$", re.M)


def run(*command, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def build(project: Path, out: Path) -> Path:
    """``python -m build`` (sdist, then the wheel from it); the wheel's path."""
    run(sys.executable, "-m", "build", "--outdir", str(out), str(project))
    (wheel,) = out.glob("*.whl")
    return wheel


def data_files(package_root: Path) -> set[str]:
    """Non-Python files of the checkout's packages (templates, static JS, the LRS launcher...)."""
    not_shipped = ("tests", "tutor", "benchmarks")
    packages = [init.parent for init in package_root.glob("*/__init__.py") if init.parent.name not in not_shipped]
    return {
        path.relative_to(package_root).as_posix()
        for package in packages
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }


def clean_venv(path: Path) -> Path:
    """A venv without the checkout or the test venv's packages; its bin folder."""
    venv.EnvBuilder(with_pip=True).create(path)
    return path / "bin"


def outside_checkout_env(**extra: str) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    return {**env, **extra}


@pytest.mark.integration
def test_the_plugin_wheel_installs_cleanly_and_the_demo_runs_from_it(tmp_path):
    wheel = build(ROOT, tmp_path / "dist")
    assert wheel.name.startswith(f"openedx_xapi_plugin-{xapi_plugin.__version__}-")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert any(name.endswith("serve_lrs.js") for name in shipped)
    assert not data_files(ROOT) - shipped, "add these to package_data / MANIFEST.in"
    bin_dir = clean_venv(tmp_path / "venv")
    env = outside_checkout_env(XAPI_LRS_DIR=os.environ.get("XAPI_LRS_DIR") or str(ROOT / ".lrs"))
    run(bin_dir / "pip", "install", "-q", f"{wheel}[demo]", env=env, timeout=600)
    where = run(bin_dir / "python", "-c", "import xapi_plugin; print(xapi_plugin.__file__)", cwd=tmp_path, env=env)
    assert where.stdout.startswith(str(tmp_path / "venv")), where.stdout
    demo = run(bin_dir / "xapi-demo", "--learners", "2", cwd=tmp_path, env=env, timeout=300)
    produced, delivered, rejected, lost = map(int, SUMMARY.search(demo.stdout).groups())
    assert produced > 0 and (delivered, rejected, lost) == (produced, 0, 0), demo.stdout[-2000:]


@pytest.mark.integration
def test_the_tutor_plugin_wheel_installs_cleanly_and_renders(tmp_path):
    wheel = build(ROOT / "tutor", tmp_path / "dist")
    assert wheel.name.startswith(f"tutor_contrib_xapi-{xapi_plugin.__version__}-")
    assert not data_files(ROOT / "tutor") - set(zipfile.ZipFile(wheel).namelist())
    bin_dir = clean_venv(tmp_path / "venv")
    env = outside_checkout_env(TUTOR_ROOT=str(tmp_path / "tutor-root"))
    run(bin_dir / "pip", "install", "-q", str(wheel), env=env, timeout=600)
    run(bin_dir / "tutor", "plugins", "enable", "xapi", cwd=tmp_path, env=env)
    run(bin_dir / "tutor", "config", "save", cwd=tmp_path, env=env)
    rendered = tmp_path / "tutor-root" / "env"
    settings = (rendered / "apps" / "openedx" / "settings" / "lms" / "production.py").read_text()
    assert '"task": "xapi_plugin.delivery.tasks.sweep"' in settings and "XAPI_ENCRYPTION_KEYS = [" in settings
    dockerfile = (rendered / "build" / "openedx" / "Dockerfile").read_text()
    assert f"install 'openedx-xapi-plugin=={xapi_plugin.__version__}'" in dockerfile
