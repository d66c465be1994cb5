"""Delivery: the outbox and moving its stored statement bytes to each connection's LRS, exactly once
as the LRS sees it.

Public API:

* ``enqueue_statements(statements, *, connection_id, course_key, user_id, source='') -> int``: store
  statements in the caller's transaction; delivery is queued when it commits (``outbox.py``).
* ``schedule_delivery(connection_id)``: queue the Celery delivery task.
* ``deliver_due(connection_id, limit=None, *, time_budget=None, on_batch=None) -> DeliveryReport``:
  deliver due rows synchronously, now (``xapi_flush``, the demo, tests). The report has
  ``delivered``, ``rejected``, ``retried``, ``held``, ``expired``, ``batches``, ``requests`` and
  ``stopped`` (why it ended: ``done``, ``limit``, ``failing``, ``backing off``...).
* ``sweep`` / ``sweep_now()``: the periodic safety net (Celery beat).
* ``LRSClient``, ``Answer``, ``Outcome``: one LRS over HTTP. ``LRSClient(connection).check()`` with
  ``check_passed(checks)`` / ``check_summary(checks)`` is the one connection check (``/about`` when
  the LRS has it, else an authenticated ``GET statements?limit=1``) of the admin, the idle probe,
  ``xapi_status --check`` and the demo.
* ``outbox_summary()``: counts per connection and state (``xapi_status``, Studio's page).

Modules: ``outbox`` (the one write), ``lrs_client`` (HTTP, auth, answer classification),
``claims`` (leasing rows safely across workers), ``outcomes`` (batch splitting, recording results),
``status`` (connection health, backoff, the single probe), ``alerts`` (emails), ``runner`` (the
loop), ``tasks`` (Celery).
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "enqueue_statements": "outbox",
    "serialise_statement": "outbox",
    "schedule_delivery": "tasks",
    "sweep": "tasks",
    "sweep_now": "tasks",
    "deliver_connection": "tasks",
    "deliver_due": "runner",
    "DeliveryReport": "runner",
    "LRSClient": "lrs_client",
    "Answer": "lrs_client",
    "Outcome": "lrs_client",
    "check_passed": "lrs_client",
    "check_summary": "lrs_client",
    "outbox_summary": "status",
    "OutboxSummary": "status",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
