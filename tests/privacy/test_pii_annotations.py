"""Every model of the plugin carries Open edX PII annotations, checked by code-annotations.

``make pii_check`` runs the same command; these tests also prove it fails on a model without them.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pii_annotations.yml"
CODE_ANNOTATIONS = [str(Path(sys.executable).with_name("code_annotations"))]  # the console script


def _run_check(app_name: str, settings_module: str, tmp_path: Path) -> subprocess.CompletedProcess:
    command = [
        *CODE_ANNOTATIONS,
        "django_find_annotations",
        "--config_file",
        str(CONFIG),
        "--app_name",
        app_name,
        "--report_path",
        str(tmp_path),
        "--lint",
        "--report",
        "--coverage",
    ]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings_module)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_every_plugin_model_is_annotated(tmp_path):
    result = _run_check("xapi_plugin", "tests.host.lms_settings", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    models = list(apps.get_app_config("xapi_plugin").get_models())
    assert f"{len(models)} were eligible for annotation, {len(models)} were annotated." in result.stdout
    assert "Coverage is 100.0%" in result.stdout
    assert list(tmp_path.glob("*.yaml")), "the report was not written"


def test_a_model_without_annotations_fails_the_check(tmp_path):
    result = _run_check("pii_fixture_app", "tests.privacy.pii_fixture_settings", tmp_path)
    assert result.returncode != 0
    assert "pii_fixture_app.UnannotatedLearnerNote" in result.stdout
    assert "Coverage threshold not met" in result.stdout
