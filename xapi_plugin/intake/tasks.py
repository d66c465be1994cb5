"""Celery task of the event intake.

:func:`fold_event_intake` reports the course signals and tracking events the learners' requests
stored (``xapi_plugin.intake.event_intake``): builds their statements and writes the outbox.
Queued when a request stores an event, and run by beat every ``XAPI_SWEEP_INTERVAL`` as the
safety net (broker down when the request ended, a worker killed mid-fold, a report waiting to be
retried). ``acks_late``: a message whose worker died is delivered again; rows are leased and
folded in one transaction per learner and course, so two runs at once report each event once.
"""

from celery import shared_task

from xapi_plugin.intake import event_intake

#: A run gives its worker back after this long and re-queues itself if rows are still pending.
FOLD_TIME_BUDGET = 30.0


@shared_task(
    acks_late=True, reject_on_worker_lost=True, ignore_result=True, name="xapi_plugin.intake.tasks.fold_event_intake"
)
def fold_event_intake(linger: float = 0.0) -> dict:
    """Report pending course signals and tracking events; re-queue if time ran out first.

    ``linger``: seconds to keep claiming new rows after the last ones (runs the requests queue
    linger; beat's periodic run does not).
    """
    event_intake.FOLD_QUEUE.started()
    report = event_intake.fold_pending_events(time_budget=FOLD_TIME_BUDGET, linger=min(float(linger), 5.0))
    if report["more"]:
        event_intake.FOLD_QUEUE.schedule()
    return report
