"""Celery tasks of the plugin, where Celery's ``autodiscover_tasks()`` looks for them (``<app>.tasks``).

Every task a beat entry in the docs names must be importable from here, or workers refuse it. Each
package keeps its tasks in its own ``tasks.py``; a task's name is that module's path.
"""

from xapi_plugin.delivery.tasks import deliver_connection, sweep  # noqa: F401
from xapi_plugin.intake.tasks import fold_event_intake  # noqa: F401
from xapi_plugin.privacy.tasks import purge_expired_data  # noqa: F401
from xapi_plugin.video.tasks import close_idle_sessions, fold_video_intake  # noqa: F401
