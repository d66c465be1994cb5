"""Fixtures of the delivery tests: a fresh real LRS per test, a fault proxy in front of it, statements."""

import uuid
from collections import Counter

import pytest

from xapi_plugin.testing.fault_proxy import FaultProxy
from xapi_plugin.testing.local_lrs import LocalLRS


def make_statement(statement_id: str | None = None, *, bad: bool = False) -> dict:
    """A valid xAPI statement (or, with ``bad``, one an LRS answers 400 to)."""
    statement = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": "http://lms.stand-in.test", "name": "learner-1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "http://lms.stand-in.test/course/demo"},
        "timestamp": "2026-05-01T12:00:00.000Z",
    }
    if bad:
        statement["actor"] = {"objectType": "Agent", "mbox": "not-an-email"}
    return statement


def make_statements(count: int) -> list[dict]:
    return [make_statement() for _ in range(count)]


def assert_lrs_holds_exactly(lrs: LocalLRS, expected_ids) -> None:
    """Every expected id is in the LRS exactly once, and nothing else is."""
    counts = Counter(lrs.statement_ids())
    duplicates = {key: n for key, n in counts.items() if n > 1}
    assert not duplicates, f"statements stored more than once: {duplicates}"
    expected = set(expected_ids)
    missing = expected - set(counts)
    extra = set(counts) - expected
    assert not missing, f"{len(missing)} statements missing from the LRS, e.g. {sorted(missing)[:3]}"
    assert not extra, f"{len(extra)} unexpected statements in the LRS, e.g. {sorted(extra)[:3]}"


@pytest.fixture
def fresh_lrs():
    """A real LRS of its own for one test (its data dies with it)."""
    with LocalLRS() as lrs:
        yield lrs


@pytest.fixture
def proxy(fresh_lrs):
    """A fault-injecting proxy in front of ``fresh_lrs``."""
    with FaultProxy.for_lrs(fresh_lrs) as fault_proxy:
        yield fault_proxy


@pytest.fixture(autouse=True)
def _fresh_http_caches():
    """Pooled sessions and OAuth tokens are per process: start each test without them."""
    from xapi_plugin.delivery.lrs_client import clear_caches  # noqa: PLC0415

    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def enqueue(db):
    """Queue statements in the outbox of a connection, as producers do."""
    from xapi_plugin.delivery.outbox import enqueue_statements  # noqa: PLC0415

    def _enqueue(connection, statements, course_key="course-v1:edX+DemoX+Demo_Course", user_id=1):
        return enqueue_statements(statements, connection_id=connection.pk, course_key=course_key, user_id=user_id)

    return _enqueue


@pytest.fixture(scope="session")
def real_host_services(django_db_blocker):
    """MariaDB, Redis and an SMTP server for the session (started once, ~3 s)."""
    from tests.delivery.realhost import RealHost  # noqa: PLC0415

    with django_db_blocker.unblock():
        host = RealHost().start()
    yield host
    host.stop()


@pytest.fixture
def real_host(real_host_services, django_db_blocker, settings):
    """One test on the deployed-like host: this process uses the workers' MariaDB, Redis broker and cache."""
    from tests.delivery.realhost import WORKER_SETTINGS, default_database, mysql_settings  # noqa: PLC0415
    from tests.host.celery_app import app  # noqa: PLC0415

    for name, value in WORKER_SETTINGS.items():
        setattr(settings, name, value)
    # Shared with the workers: a flag a worker clears ("fold queued") is cleared for this process too.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": real_host_services.cache_url}
    }
    broker = app.conf.broker_url
    _point_app_at(app, real_host_services.redis.url)
    with django_db_blocker.unblock(), default_database(mysql_settings(real_host_services.mariadb.port)):
        real_host_services.reset()
        try:
            yield real_host_services
        finally:
            real_host_services.stop_workers()
            _point_app_at(app, broker)


def _point_app_at(app, broker_url: str) -> None:
    """Make this process's Celery app publish to ``broker_url`` (dropping pooled connections to the old one)."""
    app.close()
    app.amqp._producer_pool = None  # app.close() leaves the producer pool on the old broker
    app.conf.broker_url = broker_url
