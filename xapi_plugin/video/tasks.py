"""Celery tasks of video tracking.

:func:`close_idle_sessions`, run by Celery beat every few minutes, ends with ``terminated`` the
viewing sessions of learners who closed the tab (they send nothing). Idempotent: safe to run
late, twice, or on several workers at once.
"""

from celery import shared_task

from xapi_plugin.video import state


@shared_task(name="xapi_plugin.video.tasks.close_idle_sessions", ignore_result=True)
def close_idle_sessions() -> int:
    """End the viewing sessions idle for longer than 30 minutes; returns how many were ended."""
    return state.close_idle_sessions()
