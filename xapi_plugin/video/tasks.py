"""Celery tasks of video tracking.

:func:`close_idle_sessions`, run by Celery beat every few minutes, ends with ``terminated`` the
viewing sessions of learners who closed the tab (they send nothing). Idempotent: safe to run
late, twice, or on several workers at once.

:func:`fold_video_intake` folds the observations the learners' requests stored
(``xapi_plugin.video.intake``) into the viewing state and writes their statements. Queued when a
request stores an observation, and run by beat every ``XAPI_SWEEP_INTERVAL`` as the safety net
(broker down when the request ended, a worker killed mid-fold). ``acks_late``: a message whose
worker died is delivered again; the rows are leased, folded in one transaction per learner and
video, so running it twice or on many workers at once folds each observation once.
"""

from celery import shared_task

from xapi_plugin.video import intake, state

#: A run gives its worker back after this long and re-queues itself if rows are still pending.
FOLD_TIME_BUDGET = 30.0


@shared_task(name="xapi_plugin.video.tasks.close_idle_sessions", ignore_result=True)
def close_idle_sessions() -> int:
    """End the viewing sessions idle for longer than 30 minutes; returns how many were ended."""
    return state.close_idle_sessions()


@shared_task(
    acks_late=True, reject_on_worker_lost=True, ignore_result=True, name="xapi_plugin.video.tasks.fold_video_intake"
)
def fold_video_intake(linger: float = 0.0) -> dict:
    """Fold pending video observations into the viewing state; re-queue if time ran out first.

    ``linger``: seconds to keep claiming new rows after the last ones (runs the requests queue
    linger; beat's periodic run does not).
    """
    intake.fold_task_started()
    report = intake.fold_pending(time_budget=FOLD_TIME_BUDGET, linger=min(float(linger), 5.0))
    if report["more"]:
        intake.schedule_fold()
    return report
