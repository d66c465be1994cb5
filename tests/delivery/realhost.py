"""The stand-in LMS as deployed: MariaDB, a Redis broker, Celery worker processes, an SMTP server.

The test process points Django's default connection at the same MariaDB database the workers
use (for one test at a time), so producing statements and reading the outbox go through the
ORM exactly as in the LMS.
"""

import json
import re
import time
from contextlib import contextmanager

from django.core.management import call_command
from django.db import connections
from django.db.utils import ConnectionHandler

from xapi_plugin.testing.services import CeleryWorker, MariaDBServer, RedisServer, SMTPSink

DATABASE = "xapi_delivery"
CELERY_APP = "tests.host.celery_app"

# Short steps so an outage and its recovery take seconds, not hours.
WORKER_SETTINGS = {
    "XAPI_RETRY_BASE_DELAY": 0.5,
    "XAPI_RETRY_MAX_DELAY": 2.0,
    "XAPI_HTTP_CONNECT_TIMEOUT": 1.0,
    "XAPI_HTTP_READ_TIMEOUT": 3.0,
    "XAPI_SWEEP_INTERVAL": 1,
    "XAPI_BATCH_SIZE": 50,
    "XAPI_ALERT_ADMIN_EMAILS": ["admin@example.com"],
}


def mysql_settings(port: int) -> dict:
    """What ``tests/host/settings_base.py`` builds from ``XAPI_HOST_MYSQL_PORT``."""
    import pymysql  # noqa: PLC0415

    pymysql.install_as_MySQLdb()
    return {
        "ENGINE": "django.db.backends.mysql",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "NAME": DATABASE,
        "USER": "root",
        "PASSWORD": "",
        "OPTIONS": {"charset": "utf8mb4", "isolation_level": "read committed"},
    }


@contextmanager
def default_database(settings_dict: dict):
    """Point this process's default database connection at ``settings_dict`` for a while."""
    original = connections["default"]
    wrapper = ConnectionHandler({"default": settings_dict})["default"]
    connections["default"] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        connections["default"] = original


class RealHost:
    """MariaDB + Redis + SMTP for a test session; workers are started per test."""

    def __init__(self):
        self.mariadb = MariaDBServer()
        self.redis = RedisServer()
        self.smtp = SMTPSink()
        self.workers: list[CeleryWorker] = []

    def start(self) -> "RealHost":
        self.mariadb.start()
        self.mariadb.create_database(DATABASE)
        self.redis.start()
        self.smtp.start()
        with default_database(mysql_settings(self.mariadb.port)):
            call_command("migrate", verbosity=0)
        return self

    def stop(self) -> None:
        self.stop_workers()
        for service in (self.smtp, self.redis, self.mariadb):
            service.stop()

    def reset(self) -> None:
        """Empty the plugin's tables, the broker and the mailbox between tests."""
        from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement  # noqa: PLC0415

        OutboxStatement.objects.all().delete()
        CourseSettings.objects.all().delete()
        LRSConnection.objects.all().delete()
        with self.redis_client() as client:
            client.flushall()
        with self.smtp._lock:
            self.smtp.messages.clear()

    @contextmanager
    def redis_client(self):
        import redis  # noqa: PLC0415

        client = redis.Redis(host="127.0.0.1", port=self.redis.port)
        try:
            yield client
        finally:
            client.close()

    def worker_env(self, **settings_overrides) -> dict:
        return {
            "DJANGO_SETTINGS_MODULE": "tests.host.lms_settings",
            "XAPI_HOST_BROKER_URL": self.redis.url,
            "XAPI_HOST_CACHE_URL": self.cache_url,
            "XAPI_HOST_MYSQL_PORT": self.mariadb.port,
            "XAPI_HOST_MYSQL_DB": DATABASE,
            "XAPI_HOST_SETTINGS_JSON": json.dumps(
                {
                    **WORKER_SETTINGS,
                    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "EMAIL_HOST": "127.0.0.1",
                    "EMAIL_PORT": self.smtp.port,
                    **settings_overrides,
                }
            ),
        }

    @property
    def cache_url(self) -> str:
        """The Django cache web and worker processes share, as a deployment's memcached or Redis."""
        return self.redis.url.rsplit("/", 1)[0] + "/1"

    @contextmanager
    def learner_rows_locked(self, table: str, user_id: int):
        """Hold ``FOR UPDATE`` locks on a learner's rows of ``table`` from a connection outside Django's.

        A worker that reaches those rows inside its fold waits there: the moment to kill it.
        """
        import pymysql  # noqa: PLC0415

        holder = pymysql.connect(
            host="127.0.0.1", port=int(self.mariadb.port), user="root", password="", database=DATABASE
        )
        try:
            with holder.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(f"SELECT id FROM {table} WHERE user_id = %s FOR UPDATE", [user_id])
            yield
        finally:
            holder.rollback()
            holder.close()

    def start_worker(self, name: str, *, beat: bool = False, **settings_overrides) -> CeleryWorker:
        worker = CeleryWorker(CELERY_APP, name=name, env=self.worker_env(**settings_overrides), beat=beat)
        self.workers.append(worker)
        return worker.start()

    def stop_workers(self) -> None:
        while self.workers:
            self.workers.pop().stop()


def folded_by(worker: CeleryWorker) -> int:
    """Rows a worker's fold tasks folded, from the results they log when they end."""
    return sum(int(n) for n in re.findall(r"'folded': (\d+)", worker.log_text()))


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it is truthy (returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {value!r}")
        time.sleep(interval)
