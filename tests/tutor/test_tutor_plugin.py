"""``tutor plugins enable xapi && tutor config save`` renders a configuration that loads the plugin.

The rendered LMS/CMS settings files import edx-platform (``lms.envs.production``), which is not
installable here, so the plugin's patches are taken as Tutor rendered them and run on top of the
stand-in host's settings, where the plugin must load and pass Django's system checks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tutorxapi
import yaml
from django.test import override_settings

import xapi_plugin

ROOT = Path(__file__).resolve().parents[2]
DJANGO_ADMIN = str(Path(sys.executable).with_name("django-admin"))
LMS_FILES = [("apps", "openedx", "settings", "lms", name) for name in ("production.py", "development.py")]
CMS_FILES = [("apps", "openedx", "settings", "cms", name) for name in ("production.py", "development.py")]
SCHEDULED_TASKS = {
    "xapi-delivery-sweep": "xapi_plugin.delivery.tasks.sweep",
    "xapi-purge-expired-data": "xapi_plugin.privacy.tasks.purge_expired_data",
    "xapi-close-idle-video-sessions": "xapi_plugin.video.tasks.close_idle_sessions",
    "xapi-video-intake-fold": "xapi_plugin.video.tasks.fold_video_intake",
    "xapi-event-intake-fold": "xapi_plugin.intake.tasks.fold_event_intake",
}

# Runs in the generated settings module's process: what the plugin made of the rendered settings.
PROBE = """
import json
import django
django.setup()
from celery import Celery
from django.apps import apps
from django.conf import settings
from xapi_plugin.connections import crypto

worker = Celery("tutor-check", set_as_current=False)
worker.autodiscover_tasks(["xapi_plugin"], force=True)
worker.loader.import_default_modules()
print(json.dumps({
    "installed": apps.is_installed("xapi_plugin"),
    "tracking_backend": "xapi_plugin" in settings.EVENT_TRACKING_BACKENDS,
    "keys": settings.XAPI_ENCRYPTION_KEYS,
    "salt": settings.XAPI_ACTOR_ID_SALT,
    "admin_emails": settings.XAPI_ALERT_ADMIN_EMAILS,
    "queue": settings.XAPI_CELERY_QUEUE,
    "beat": getattr(settings, "CELERYBEAT_SCHEDULE", {}),
    "explicit_queues": getattr(settings, "EXPLICIT_QUEUES", {}),
    "ralph": getattr(settings, "TUTOR_XAPI_ASPECTS_RALPH", None),
    "secret_round_trip": crypto.decrypt_secret(crypto.encrypt_secret("s3cret")) == "s3cret",
    "registered": sorted(name for name in worker.tasks if name.startswith("xapi_plugin.")),
}))
"""


def host_with_patches(tutor_root, tmp_path, host: str, patch_names: list[str]) -> dict:
    """Write a settings module: the stand-in host's settings, then the patches as Tutor rendered them;
    run ``django-admin check`` on it and return what the probe saw."""
    module = f"tutor_{host}_settings_{tmp_path.name}".replace("-", "_")
    body = [f"from tests.host.{host}_settings import *  # noqa: F403"]
    for name in patch_names:
        snippet = tutor_root.patch(name)
        body.append(f"exec(compile({snippet!r}, {name!r}, 'exec'))")
    tmp_path.joinpath(f"{module}.py").write_text("\n".join(body) + "\n")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": module,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
    check = subprocess.run([DJANGO_ADMIN, "check", "--fail-level", "WARNING"], **run)
    assert check.returncode == 0, f"system checks failed:\n{check.stdout}\n{check.stderr}"
    assert "System check identified no issues" in check.stdout
    probe = subprocess.run([sys.executable, "-c", PROBE], **run)
    assert probe.returncode == 0, probe.stderr
    return json.loads(probe.stdout.strip().splitlines()[-1])


def test_the_plugin_is_found_through_its_entry_point_and_pins_the_same_release(default_root):
    listed = default_root.tutor("plugins", "list")
    assert any(line.split()[0] == "xapi" and "enabled" in line for line in listed.splitlines()[1:]), listed
    assert tutorxapi.__version__ == xapi_plugin.__version__, "release both distributions with one version"


@pytest.mark.parametrize("parts", LMS_FILES + CMS_FILES, ids="/".join)
def test_rendered_settings_carry_the_plugin_settings_and_compile(default_root, parts):
    text = default_root.env_file(*parts)
    compile(text, "/".join(parts), "exec")  # SyntaxError fails the test
    config = yaml.safe_load(default_root.path.joinpath("config.yml").read_text())
    assert f"XAPI_ENCRYPTION_KEYS = [{config['XAPI_ENCRYPTION_KEY']!r}] + []" in text
    assert f"XAPI_ACTOR_ID_SALT = {config['XAPI_ACTOR_ID_SALT']!r}" in text
    for name, task in SCHEDULED_TASKS.items():
        # Beat runs from the LMS only.
        assert (f'CELERYBEAT_SCHEDULE["{name}"]' in text and f'"task": "{task}"' in text) == ("lms" in parts)


def test_secrets_are_generated_once_and_kept_in_config(default_root):
    config_file = default_root.path.joinpath("config.yml")
    before = yaml.safe_load(config_file.read_text())
    assert len(before["XAPI_ENCRYPTION_KEY"]) == 48 and len(before["XAPI_ACTOR_ID_SALT"]) == 48
    assert before["XAPI_ENCRYPTION_KEY"] != before["XAPI_ACTOR_ID_SALT"]
    default_root.tutor("config", "save")
    after = yaml.safe_load(config_file.read_text())
    assert (after["XAPI_ENCRYPTION_KEY"], after["XAPI_ACTOR_ID_SALT"]) == (
        before["XAPI_ENCRYPTION_KEY"],
        before["XAPI_ACTOR_ID_SALT"],
    )


def test_lms_settings_load_the_plugin_with_its_beat_schedule(default_root, tmp_path):
    seen = host_with_patches(default_root, tmp_path, "lms", ["openedx-common-settings", "openedx-lms-common-settings"])
    config = yaml.safe_load(default_root.path.joinpath("config.yml").read_text())
    assert seen["installed"] and seen["tracking_backend"] and seen["secret_round_trip"]
    assert seen["keys"] == [config["XAPI_ENCRYPTION_KEY"]] and seen["salt"] == config["XAPI_ACTOR_ID_SALT"]
    assert seen["queue"] is None and seen["explicit_queues"] == {} and seen["ralph"] is None
    assert {name: entry["task"] for name, entry in seen["beat"].items()} == SCHEDULED_TASKS
    assert {name: entry["schedule"] for name, entry in seen["beat"].items()} == {
        "xapi-delivery-sweep": 60.0,
        "xapi-purge-expired-data": 3600.0,
        "xapi-close-idle-video-sessions": 300.0,
        "xapi-video-intake-fold": 60.0,
        "xapi-event-intake-fold": 60.0,
    }
    # Workers know the delivery and video tasks the schedule names.
    assert set(SCHEDULED_TASKS.values()) - {SCHEDULED_TASKS["xapi-purge-expired-data"]} <= set(seen["registered"])
    assert "xapi_plugin.delivery.tasks.deliver_connection" in seen["registered"]


def test_the_purge_task_the_schedule_names_is_registered(default_root, tmp_path):
    seen = host_with_patches(default_root, tmp_path, "lms", ["openedx-common-settings", "openedx-lms-common-settings"])
    assert SCHEDULED_TASKS["xapi-purge-expired-data"] in seen["registered"]


def test_cms_settings_load_the_plugin(default_root, tmp_path):
    seen = host_with_patches(default_root, tmp_path, "cms", ["openedx-common-settings", "openedx-cms-common-settings"])
    assert seen["installed"] and seen["secret_round_trip"] and seen["beat"] == {}


def test_a_queue_routes_delivery_tasks_and_adds_its_workers(custom_root, tmp_path):
    seen = host_with_patches(custom_root, tmp_path, "lms", ["openedx-common-settings", "openedx-lms-common-settings"])
    queue = "edx.lms.core.xapi"
    assert seen["queue"] == queue and seen["admin_emails"] == ["lrs-admins@example.com"]
    assert seen["explicit_queues"] == {
        "xapi_plugin.delivery.tasks.sweep": {"queue": queue},
        "xapi_plugin.delivery.tasks.deliver_connection": {"queue": queue},
    }
    services = yaml.safe_load(custom_root.env_file("local", "docker-compose.prod.yml"))["services"]
    assert f"--queues={queue}" in services["xapi-worker"]["command"]
    assert services["xapi-beat"]["command"][:3] == ["celery", "--app=lms.celery", "beat"]
    deployments = {
        doc["metadata"]["name"]: doc
        for doc in yaml.safe_load_all(custom_root.env_file("k8s", "deployments.yml"))
        if doc and doc.get("kind") == "Deployment"
    }
    assert deployments["xapi-beat"]["spec"]["replicas"] == 1
    assert f"--queues={queue}" in deployments["xapi-worker"]["spec"]["template"]["spec"]["containers"][0]["args"]


def test_without_a_queue_only_beat_is_added(default_root):
    services = yaml.safe_load(default_root.env_file("local", "docker-compose.prod.yml"))["services"]
    assert "xapi-beat" in services and "xapi-worker" not in services
    k8s = [doc for doc in yaml.safe_load_all(default_root.env_file("k8s", "deployments.yml")) if doc]
    assert [doc["metadata"]["name"] for doc in k8s if doc["metadata"]["name"].startswith("xapi")] == ["xapi-beat"]


@pytest.mark.parametrize("root_name", ["default_root", "custom_root"])
def test_the_image_installs_the_pinned_package(request, root_name):
    """Installed by a Dockerfile patch, so an operator's own OPENEDX_EXTRA_PIP_REQUIREMENTS can't drop it."""
    dockerfile = request.getfixturevalue(root_name).env_file("build", "openedx", "Dockerfile")
    assert f"install 'openedx-xapi-plugin=={xapi_plugin.__version__}'" in dockerfile
    if root_name == "custom_root":
        assert "install 'some-other-xblock'" in dockerfile


def rendered_init_tasks(tutor_root) -> list[tuple[str, str]]:
    """The plugin's init tasks, rendered as ``tutor local do init --limit=xapi`` renders them."""
    script = (
        "import json, os\n"
        "from tutor import config, env, hooks\n"
        "hooks.Actions.CORE_READY.do()\n"
        "hooks.Actions.PROJECT_ROOT_READY.do(os.environ['TUTOR_ROOT'])\n"
        "loaded = config.load(os.environ['TUTOR_ROOT'])\n"
        "tasks = hooks.Filters.CLI_DO_INIT_TASKS.iterate_from_context(hooks.Contexts.app('xapi').name)\n"
        "print(json.dumps([(service, env.render_str(loaded, task)) for service, task in tasks]))\n"
    )
    env = {**os.environ, "TUTOR_ROOT": str(tutor_root.path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [tuple(task) for task in json.loads(done.stdout.strip().splitlines()[-1])]


@pytest.mark.parametrize("root_name", ["default_root", "custom_root"])
def test_the_init_task_migrates_and_enables_what_the_plugin_needs(request, root_name, tmp_path):
    tutor_root = request.getfixturevalue(root_name)
    tasks = rendered_init_tasks(tutor_root)
    assert [service for service, _ in tasks] == ["lms"]
    script = tasks[0][1]
    assert "./manage.py lms migrate xapi_plugin\n" in script
    assert "waffle_switch --create completion.enable_completion_tracking on" in script
    assert "XBlockAsidesConfig.objects.create(enabled=True" in script
    assert "TUTOR_XAPI_ASPECTS_RALPH" in script
    assert "ralph-lms-password-from-aspects" not in script  # Tutor prints the job's command line
    script_file = tmp_path / "init.sh"
    script_file.write_text(script)
    syntax = subprocess.run(["sh", "-n", str(script_file)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    for snippet in ("enable_asides.py", "aspects_connection.py"):
        compile(snippet_source(snippet), snippet, "exec")


def snippet_source(name: str) -> str:
    return Path(tutorxapi.__file__).parent.joinpath("templates", "xapi", "tasks", "lms", name).read_text()


def run_aspects_snippet(capsys) -> str:
    exec(compile(snippet_source("aspects_connection.py"), "aspects_connection.py", "exec"), {})
    return capsys.readouterr().out


@pytest.mark.django_db
def test_the_aspects_switch_makes_one_connection_to_ralph_idempotently(custom_root, tmp_path, capsys):
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    ralph = host_with_patches(
        custom_root, tmp_path, "lms", ["openedx-common-settings", "openedx-lms-common-settings"]
    )["ralph"]
    assert ralph == {
        "name": "Aspects Ralph",
        "endpoint": "http://ralph:8100/xAPI/",
        "key": "lms",
        "secret": "ralph-lms-password-from-aspects",
        "contact_email": "ops@example.com",
        "internal": True,
    }
    with override_settings(TUTOR_XAPI_ASPECTS_RALPH=ralph):
        assert "created" in run_aspects_snippet(capsys)
        connection = LRSConnection.objects.get()
        assert (connection.endpoint, connection.key, connection.secret) == (ralph["endpoint"], "lms", ralph["secret"])
        assert "already up to date" in run_aspects_snippet(capsys)
        assert LRSConnection.objects.get().modified == connection.modified
    with override_settings(TUTOR_XAPI_ASPECTS_RALPH={**ralph, "secret": "rotated"}):
        assert "updated" in run_aspects_snippet(capsys)
    assert LRSConnection.objects.get().secret == "rotated"


@pytest.mark.django_db
def test_without_the_aspects_switch_no_connection_is_made(default_root, capsys):
    assert "TUTOR_XAPI_ASPECTS_RALPH" not in default_root.patch("openedx-lms-common-settings")
    assert "is off" in run_aspects_snippet(capsys)
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    assert not LRSConnection.objects.exists()


@pytest.mark.django_db
def test_an_external_ralph_is_validated_like_any_endpoint(custom_root, tmp_path, capsys):
    """RUN_RALPH false (Ralph run elsewhere): its http:// URL is refused as in admin."""
    from django.core.exceptions import ValidationError  # noqa: PLC0415

    with override_settings(
        TUTOR_XAPI_ASPECTS_RALPH={
            "name": "Aspects Ralph",
            "endpoint": "http://ralph.example.com/xAPI/",
            "key": "lms",
            "secret": "x",
            "contact_email": "ops@example.com",
            "internal": False,
        }
    ):
        with pytest.raises(ValidationError, match="Plain http://"):
            run_aspects_snippet(capsys)
