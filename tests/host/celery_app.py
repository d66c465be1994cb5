"""The stand-in host's Celery app, made as edx-platform makes its own (``lms/celery.py``).

Configured from Django settings (``CELERY_*``); the broker comes from ``XAPI_HOST_BROKER_URL``
(default ``memory://``: publishing works and nothing consumes, so tests without a worker are
unaffected). Tasks are found with ``autodiscover_tasks()`` (``xapi_plugin/tasks.py``).

Worker processes started by tests may get Django setting overrides as JSON in
``XAPI_HOST_SETTINGS_JSON`` (short backoff, an SMTP port...). Beat runs the plugin's sweep
every ``XAPI_SWEEP_INTERVAL`` seconds, the entry the README tells operators to add.
"""

import json
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.host.lms_settings")

app = Celery("stand_in_host")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.broker_url = os.environ.get("XAPI_HOST_BROKER_URL", "memory://")
app.conf.broker_connection_retry_on_startup = True
app.conf.worker_prefetch_multiplier = 1  # with acks_late, do not hoard messages another worker could take
app.conf.worker_hijack_root_logger = False
app.autodiscover_tasks()


def apply_setting_overrides() -> None:
    """Apply ``XAPI_HOST_SETTINGS_JSON`` to Django settings (worker processes of tests)."""
    from django.conf import settings  # noqa: PLC0415

    for name, value in json.loads(os.environ.get("XAPI_HOST_SETTINGS_JSON") or "{}").items():
        setattr(settings, name, value)


def beat_schedule() -> dict:
    """The beat entry of the README's delivery section."""
    from django.conf import settings  # noqa: PLC0415

    return {
        "xapi-delivery-sweep": {
            "task": "xapi_plugin.delivery.tasks.sweep",
            "schedule": float(getattr(settings, "XAPI_SWEEP_INTERVAL", 60)),
        },
        "xapi-video-intake-fold": {
            "task": "xapi_plugin.video.tasks.fold_video_intake",
            "schedule": float(getattr(settings, "XAPI_SWEEP_INTERVAL", 60)),
        },
        "xapi-event-intake-fold": {
            "task": "xapi_plugin.intake.tasks.fold_event_intake",
            "schedule": float(getattr(settings, "XAPI_SWEEP_INTERVAL", 60)),
        },
    }


@signals.worker_init.connect
def _configure_worker(**kwargs) -> None:
    apply_setting_overrides()
    app.conf.beat_schedule = beat_schedule()


@signals.beat_init.connect
def _configure_beat(**kwargs) -> None:
    apply_setting_overrides()
    app.conf.beat_schedule = beat_schedule()
