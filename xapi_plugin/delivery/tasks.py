"""Celery tasks of delivery. Their only argument is a connection id: never a secret, never a payload.

* :func:`deliver_connection` sends one connection's due rows (see ``runner.deliver_due``).
* :func:`sweep`, run periodically by Celery beat, re-queues connections with due rows (so no
  statement depends on a task message surviving), probes failing connections when their
  ``retry_at`` comes, expires rows past the retry window and sends alert reminders.

Both are ``acks_late`` and idempotent: a worker killed mid-task leaves its message to be
redelivered and its claimed rows to come back when their lease ends. Both have Celery soft and
hard time limits, so no LRS, however slow, keeps a worker: every request also has its own
deadline (``lrs_client``), and the soft limit leaves the time budget plus two leases.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.utils import timezone

from xapi_plugin.core.conf import get_setting
from xapi_plugin.core.constants import OutboxState

log = logging.getLogger(__name__)

# A task gives its worker back after this long; it re-queues itself if rows are still due.
TASK_TIME_BUDGET = 60.0
# Time limits with the default timeouts (lease 70 s); schedule_delivery widens them for longer timeouts.
DELIVER_SOFT_TIME_LIMIT = 300
DELIVER_HARD_TIME_LIMIT = 360
SWEEP_SOFT_TIME_LIMIT = 120
SWEEP_HARD_TIME_LIMIT = 180
_QUEUED_KEY = "xapi_plugin:delivery-queued:{}"


_ONE_ATTEMPT = {"max_retries": 0}


def _task_options() -> dict:
    from xapi_plugin.delivery.claims import lease_seconds  # noqa: PLC0415

    queue = get_setting("XAPI_CELERY_QUEUE")
    soft = max(DELIVER_SOFT_TIME_LIMIT, TASK_TIME_BUDGET + 2 * lease_seconds() + 30)
    options = {"soft_time_limit": soft, "time_limit": soft + 60}
    return {"queue": queue, **options} if queue else options


def schedule_delivery(connection_id: int) -> None:
    """Queue the delivery task of one connection, unless one is already queued and not started."""
    key = _QUEUED_KEY.format(int(connection_id))
    try:
        fresh = cache.add(key, 1, timeout=max(5, int(get_setting("XAPI_SWEEP_INTERVAL"))))
    except Exception:  # noqa: BLE001 - no cache: queue anyway, a duplicate task is harmless
        fresh = True
    if not fresh:
        return
    # One publish attempt: this runs in the learner's request. (Celery's default policy retries for
    # ~0.6 s, and retry=False falls back to kombu's connection retries, ~6 s.) If the broker is
    # down the key stays set, so requests in the next interval do not wait on it again; the sweep
    # (beat) delivers the rows once the broker is back.
    deliver_connection.apply_async(args=[int(connection_id)], retry=True, retry_policy=_ONE_ATTEMPT, **_task_options())


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=DELIVER_SOFT_TIME_LIMIT,
    time_limit=DELIVER_HARD_TIME_LIMIT,
    name="xapi_plugin.delivery.tasks.deliver_connection",
)
def deliver_connection(connection_id: int) -> dict:
    """Deliver one connection's due statements; safe to run many at once and to run again."""
    from xapi_plugin.delivery.runner import deliver_due  # noqa: PLC0415

    cache.delete(_QUEUED_KEY.format(int(connection_id)))
    try:
        report = deliver_due(connection_id, time_budget=TASK_TIME_BUDGET, on_full_batch=schedule_delivery)
    except SoftTimeLimitExceeded:
        # Claimed rows come back when their lease ends; the sweep queues the connection again.
        log.warning("delivery task for LRS connection %s hit its soft time limit", connection_id)
        return {"connection": connection_id, "stopped": "soft time limit"}
    if report.stopped == "time budget":
        schedule_delivery(connection_id)
    return {
        "connection": connection_id,
        "delivered": report.delivered,
        "rejected": report.rejected,
        "retried": report.retried,
        "held": report.held,
        "stopped": report.stopped,
    }


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=SWEEP_SOFT_TIME_LIMIT,
    time_limit=SWEEP_HARD_TIME_LIMIT,
    name="xapi_plugin.delivery.tasks.sweep",
)
def sweep() -> dict:
    """Periodic safety net: expire, remind, and queue every connection that has work or needs a probe."""
    return sweep_now()


def sweep_now() -> dict:
    """What :func:`sweep` does, callable without Celery."""
    from xapi_plugin.delivery import alerts, status  # noqa: PLC0415
    from xapi_plugin.delivery.outcomes import expire_overdue  # noqa: PLC0415
    from xapi_plugin.models import LRSConnection, OutboxStatement  # noqa: PLC0415

    now = timezone.now()
    expired = expire_overdue()
    reminders = alerts.send_reminders()
    queued = []
    for connection in LRSConnection.objects.filter(enabled=True):
        if status.is_failing(connection):
            if connection.retry_at is None or connection.retry_at <= now:
                queued.append(connection.pk)  # time for the one probe
            continue
        due = OutboxStatement.objects.filter(
            connection_id=connection.pk, state=OutboxState.PENDING, next_attempt_at__lte=now
        )
        if due.exists():
            queued.append(connection.pk)
        elif connection.failing_since:
            alerts.notify_recovery_if_drained(connection.pk)
    for connection_id in queued:
        try:
            schedule_delivery(connection_id)
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.warning("could not queue delivery for LRS connection %s", connection_id)
    return {"expired": expired, "reminders": reminders, "queued": queued}
