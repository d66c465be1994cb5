"""The privacy package's Celery task, scheduled nightly by the operator's beat."""

import logging

from celery import shared_task

from xapi_plugin.privacy.retention import DEFAULT_BATCH_SIZE, purge

log = logging.getLogger(__name__)


@shared_task(name="xapi_plugin.privacy.tasks.purge_expired_data", ignore_result=True)
def purge_expired_data(batch_size: int = DEFAULT_BATCH_SIZE) -> dict[str, int]:
    """Celery task for the beat schedule: delete expired delivered statements and viewing state."""
    counts = purge(batch_size=batch_size)
    log.info("xAPI retention purge deleted %s", counts)
    return counts
