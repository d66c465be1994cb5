"""Celery tasks of the plugin, where Celery's ``autodiscover_tasks()`` looks for them (``<app>.tasks``)."""

from xapi_plugin.delivery.tasks import deliver_connection, sweep  # noqa: F401
from xapi_plugin.video.tasks import close_idle_sessions  # noqa: F401
