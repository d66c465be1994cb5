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


def test_models_retired_by_the_plugin_are_the_ones_retirement_deletes_from():
    """``.. pii_retirement: local_api`` promises the retirement receivers delete the model's rows."""
    from xapi_plugin.privacy.retirement import models_keyed_by_user  # noqa: PLC0415

    promised = {
        model
        for model in apps.get_app_config("xapi_plugin").get_models()
        if ".. pii_retirement: local_api" in (model.__doc__ or "")
    }
    keyed_by_user = set(models_keyed_by_user())
    assert promised == keyed_by_user, "annotate every model with a user_id as retired by local_api, and only those"
    assert {"OutboxStatement", "VideoViewingState", "LearnerCourseAgent"} <= {m.__name__ for m in keyed_by_user}
