"""Retention purge and retirement on a large outbox: throughput and how long one DELETE holds locks.

Run: ``.venv/bin/python benchmarks/retention.py [expired_rows]``. Uses the stand-in LMS on a
throw-away SQLite file (set ``XAPI_HOST_MYSQL_PORT`` to measure MariaDB instead). Each figure is
printed as ``name=value``. The baseline, measured in the same run on the same data, is one
unbatched ``DELETE`` of all expired rows: what a naive purge would do, holding its locks for the
whole statement. The purge's longest batch is the longest time it holds any lock.
"""

import sys
import time
import uuid
from datetime import timedelta

from stand_in import start_stand_in_lms  # noqa: E402  (benchmarks/ is on sys.path when run)

_DB_DIR = start_stand_in_lms("retention")

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from xapi_plugin.core.constants import OutboxState  # noqa: E402
from xapi_plugin.models import LRSConnection, OutboxStatement  # noqa: E402
from xapi_plugin.privacy import retention, retirement  # noqa: E402

PAYLOAD = '{"actor":{"objectType":"Agent","account":{"homePage":"http://lms","name":"%032x"}},"verb":{}}'
LEARNERS = 500


def seed(connection: LRSConnection, expired: int) -> None:
    """``expired`` delivered rows past the window, half as many recent ones, a quarter pending."""
    now = timezone.now()
    old, recent = now - timedelta(days=30), now - timedelta(days=1)
    rows = []
    for n in range(expired + expired // 2 + expired // 4):
        delivered = n < expired + expired // 2
        rows.append(
            OutboxStatement(
                connection=connection,
                course_key="course-v1:Bench+Ret+1",
                user_id=n % LEARNERS,
                statement_id=uuid.uuid4(),
                verb="progressed",
                payload=PAYLOAD % n,
                state=OutboxState.DELIVERED if delivered else OutboxState.PENDING,
                next_attempt_at=now,
                delivered_at=(old if n < expired else recent) if delivered else None,
            )
        )
    OutboxStatement.objects.bulk_create(rows, batch_size=2000)


def main(expired: int) -> None:
    call_command("migrate", verbosity=0)
    connection = LRSConnection.objects.create(name="bench", endpoint="http://127.0.0.1:9/xAPI", contact_email="a@b.co")
    period = timedelta(days=14)

    seed(connection, expired)
    queryset = retention.expired_delivered_statements(timezone.now(), period)
    started = time.perf_counter()
    baseline_deleted, _ = queryset.delete()
    single_delete = time.perf_counter() - started
    OutboxStatement.objects.all().delete()

    seed(connection, expired)
    batch_times, last = [], [time.perf_counter()]

    def on_batch(count: int) -> None:
        now = time.perf_counter()
        batch_times.append(now - last[0])
        last[0] = now

    started = last[0] = time.perf_counter()
    purged = retention.delete_in_batches(
        retention.expired_delivered_statements(timezone.now(), period), retention.DEFAULT_BATCH_SIZE, on_batch
    )
    purge_total = time.perf_counter() - started
    assert purged == baseline_deleted == expired, (purged, baseline_deleted, expired)

    remaining = OutboxStatement.objects.count()
    started = time.perf_counter()
    counts = retirement.retire_learner(7)
    retire_one = time.perf_counter() - started

    print(f"expired_rows={expired}")
    print(f"table_rows_before={expired + remaining}")
    print(f"batch_size={retention.DEFAULT_BATCH_SIZE}")
    print(f"baseline_single_delete_s={single_delete:.3f}")
    print(f"purge_total_s={purge_total:.3f}")
    print(f"purge_rows_per_s={expired / purge_total:.0f}")
    print(f"purge_batches={len(batch_times)}")
    print(f"purge_longest_batch_ms={max(batch_times) * 1000:.1f}")
    print(f"purge_total_vs_baseline={purge_total / single_delete:.3f}")
    print(f"longest_lock_vs_baseline={max(batch_times) / single_delete:.4f}")
    print(f"retire_one_learner_rows={counts['outboxstatement']}")
    print(f"retire_one_learner_ms={retire_one * 1000:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
