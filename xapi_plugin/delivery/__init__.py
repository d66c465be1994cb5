"""Delivery: moves the outbox's stored statement bytes to each connection's LRS, exactly once as the LRS sees it.

Public entry points:

* ``outbox.enqueue_statements(statements, *, connection_id, course_key, user_id) -> int``: store
  statements in the caller's transaction; delivery is queued when it commits.
* ``tasks.schedule_delivery(connection_id: int) -> None``: queue the Celery delivery task.
* ``deliver_due(connection_id: int, limit: int | None = None, *, time_budget=None, on_batch=None)
  -> DeliveryReport``: deliver due rows synchronously, now (``xapi_flush``, the demo, tests).
  The report has ``delivered``, ``rejected``, ``retried``, ``held``, ``expired``, ``batches``,
  ``requests`` and ``stopped`` (why it ended: ``done``, ``limit``, ``failing``, ``backing off``...).
* ``tasks.sweep`` / ``tasks.sweep_now()``: the periodic safety net (Celery beat).
* ``LRSClient(connection).check()`` with ``check_passed(checks)`` / ``check_summary(checks)``: the
  one connection check (``/about`` when the LRS has it, else an authenticated
  ``GET statements?limit=1``) of the admin, the idle probe, ``xapi_status --check`` and the demo.

Modules: ``lrs_client`` (HTTP, auth, answer classification), ``claims`` (leasing rows safely
across workers), ``outcomes`` (batch splitting, recording results), ``status`` (connection
health, backoff, the single probe), ``alerts`` (emails), ``runner`` (the loop), ``tasks`` (Celery).
"""


def __getattr__(name):
    # Imported lazily: this package is imported before Django's app registry is ready.
    if name in ("deliver_due", "DeliveryReport"):
        from xapi_plugin.delivery import runner  # noqa: PLC0415

        return getattr(runner, name)
    if name in ("LRSClient", "check_passed", "check_summary"):
        from xapi_plugin.delivery import lrs_client  # noqa: PLC0415

        return getattr(lrs_client, name)
    raise AttributeError(name)
