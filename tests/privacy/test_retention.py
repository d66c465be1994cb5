"""Retention: exactly the rows past their window go, in bounded batches; the task and command run it."""

import re
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from xapi_plugin.core.constants import OutboxState
from xapi_plugin.models import OutboxStatement, VideoViewingState
from xapi_plugin.privacy import retention
from xapi_plugin.privacy import tasks as privacy_tasks

NOW = timezone.now().replace(microsecond=0)
DAY = timedelta(days=1)
DELIVERED_WINDOW = timedelta(days=14)
VIEWING_WINDOW = timedelta(days=180)
PRIVACY_PAGE = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"


def _outbox_row(connection, name: str, state: str, delivered_at=None) -> OutboxStatement:
    return OutboxStatement.objects.create(
        connection=connection,
        course_key="course-v1:edX+Ret+1",
        user_id=7,
        statement_id=uuid.uuid5(uuid.NAMESPACE_URL, name),
        verb=name,
        payload="{}",
        state=state,
        next_attempt_at=NOW - timedelta(days=30),
        delivered_at=delivered_at,
    )


def _viewing_state(name: str, modified, last_event_at) -> VideoViewingState:
    row = VideoViewingState.objects.create(
        user_id=7,
        course_key="course-v1:edX+Ret+1",
        video_key=name,
        registration=uuid.uuid4(),
        last_event_at=last_event_at,
    )
    VideoViewingState.objects.filter(pk=row.pk).update(modified=modified)  # auto_now would override it
    return row


@pytest.fixture
def outbox_rows(make_connection):
    """Rows on both sides of the delivered-retention boundary, and rows that are never purged."""
    connection = make_connection()
    cutoff = NOW - DELIVERED_WINDOW
    expired = {
        _outbox_row(connection, "delivered_long_ago", OutboxState.DELIVERED, NOW - timedelta(days=60)).pk,
        _outbox_row(
            connection, "delivered_just_before_cutoff", OutboxState.DELIVERED, cutoff - timedelta(seconds=1)
        ).pk,
    }
    kept = {
        _outbox_row(connection, "delivered_at_cutoff", OutboxState.DELIVERED, cutoff).pk,
        _outbox_row(connection, "delivered_just_after_cutoff", OutboxState.DELIVERED, cutoff + timedelta(seconds=1)).pk,
        _outbox_row(connection, "delivered_today", OutboxState.DELIVERED, NOW).pk,
        # Not delivered: kept whatever their age (delivery and operators decide about those).
        _outbox_row(connection, "old_pending", OutboxState.PENDING).pk,
        _outbox_row(connection, "old_rejected", OutboxState.REJECTED).pk,
        _outbox_row(connection, "old_expired", OutboxState.EXPIRED).pk,
        _outbox_row(connection, "old_held", OutboxState.HELD).pk,
    }
    OutboxStatement.objects.update(created=NOW - timedelta(days=90))
    return expired, kept


@pytest.fixture
def viewing_rows(db):
    """Viewing states on both sides of the viewing-retention boundary."""
    cutoff = NOW - VIEWING_WINDOW
    second = timedelta(seconds=1)
    expired = {
        _viewing_state("finished_long_ago", NOW - 2 * VIEWING_WINDOW, NOW - 2 * VIEWING_WINDOW).pk,
        _viewing_state("last_event_just_before_cutoff", cutoff - second, cutoff - second).pk,
        _viewing_state("never_had_an_event", cutoff - DAY, None).pk,
    }
    kept = {
        _viewing_state("last_event_at_cutoff", cutoff - second, cutoff).pk,
        _viewing_state("last_event_just_after_cutoff", cutoff - DAY, cutoff + second).pk,
        # Saved recently without a new event time (e.g. a completion recorded): still in use.
        _viewing_state("modified_after_cutoff", cutoff + second, cutoff - DAY).pk,
        _viewing_state("watched_today", NOW, NOW).pk,
    }
    return expired, kept


@pytest.mark.django_db
@override_settings(XAPI_DELIVERED_RETENTION=14 * 24 * 3600, XAPI_VIEWING_STATE_RETENTION=180 * 24 * 3600)
def test_purge_removes_exactly_the_rows_past_the_window(outbox_rows, viewing_rows):
    (outbox_expired, outbox_kept), (viewing_expired, viewing_kept) = outbox_rows, viewing_rows

    counts = retention.purge(now=NOW)

    assert counts == {
        "delivered_statements": len(outbox_expired),
        "viewing_states": len(viewing_expired),
        "folded_video_intake": 0,
        "reported_event_intake": 0,
    }
    assert set(OutboxStatement.objects.values_list("pk", flat=True)) == outbox_kept
    assert set(VideoViewingState.objects.values_list("pk", flat=True)) == viewing_kept
    assert retention.purge(now=NOW) == {
        "delivered_statements": 0,
        "viewing_states": 0,
        "folded_video_intake": 0,
        "reported_event_intake": 0,
    }


@pytest.mark.django_db
def test_deletes_in_batches_of_bounded_size(make_connection):
    connection = make_connection()
    for n in range(25):
        _outbox_row(connection, f"old{n}", OutboxState.DELIVERED, NOW - timedelta(days=30))
    with CaptureQueriesContext(db_connection) as queries:
        deleted = retention.delete_in_batches(retention.expired_delivered_statements(NOW, DELIVERED_WINDOW), 10)
    deletes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DELETE")]
    assert deleted == 25
    assert len(deletes) == 3  # 10 + 10 + 5, each statement naming at most 10 ids
    assert [len(re.search(r"IN \(([^)]*)\)", sql).group(1).split(",")) for sql in deletes] == [10, 10, 5]
    assert not OutboxStatement.objects.exists()


@pytest.mark.django_db
def test_a_row_touched_between_select_and_delete_stays(make_connection, monkeypatch):
    connection = make_connection()
    row = _outbox_row(connection, "requeued", OutboxState.DELIVERED, NOW - timedelta(days=30))
    queryset = retention.expired_delivered_statements(NOW, DELIVERED_WINDOW)
    real_values_list = type(queryset).values_list

    def select_then_requeue(self, *args, **kwargs):
        ids = list(real_values_list(self, *args, **kwargs))
        OutboxStatement.objects.filter(pk=row.pk).update(state=OutboxState.PENDING)  # an operator replays it
        return ids

    monkeypatch.setattr(type(queryset), "values_list", select_then_requeue)
    assert retention.delete_in_batches(queryset, 10) == 0
    monkeypatch.undo()
    assert OutboxStatement.objects.filter(pk=row.pk, state=OutboxState.PENDING).exists()


@pytest.mark.django_db
@override_settings(XAPI_DELIVERED_RETENTION=None, XAPI_VIEWING_STATE_RETENTION=None)
def test_none_keeps_the_data_for_ever(outbox_rows, viewing_rows):
    assert retention.purge(now=NOW) == {
        "delivered_statements": 0,
        "viewing_states": 0,
        "folded_video_intake": 0,
        "reported_event_intake": 0,
    }
    assert OutboxStatement.objects.count() == len(outbox_rows[0] | outbox_rows[1])


@pytest.mark.parametrize("value", [0, -1, "14 days", True])
def test_invalid_retention_settings_are_refused_with_how_to_fix(value):
    with override_settings(XAPI_DELIVERED_RETENTION=value):
        with pytest.raises(ImproperlyConfigured, match="XAPI_DELIVERED_RETENTION must be a positive number of seconds"):
            retention.retention_period("XAPI_DELIVERED_RETENTION")


@pytest.mark.django_db
def test_task_and_command_run_the_purge(make_connection):
    # These use the real clock: rows far from the boundaries.
    connection = make_connection()
    old = [_outbox_row(connection, f"old{n}", OutboxState.DELIVERED, NOW - timedelta(days=60)).pk for n in range(3)]
    recent = _outbox_row(connection, "recent", OutboxState.DELIVERED, NOW - DAY).pk
    stale = _viewing_state("stale", NOW - 2 * VIEWING_WINDOW, NOW - 2 * VIEWING_WINDOW).pk
    fresh = _viewing_state("fresh", NOW, NOW).pk

    dry = StringIO()
    call_command("xapi_purge", "--dry-run", stdout=dry)
    assert dry.getvalue().splitlines() == [
        "delivered statements would delete: 3",
        "viewing states would delete: 1",
        "folded video intake rows would delete: 0",
        "reported event intake rows would delete: 0",
    ]
    assert OutboxStatement.objects.count() == 4 and VideoViewingState.objects.count() == 2

    out = StringIO()
    call_command("xapi_purge", "--batch-size", "2", stdout=out)
    assert out.getvalue().splitlines() == [
        "delivered statements deleted: 3",
        "viewing states deleted: 1",
        "folded video intake rows deleted: 0",
        "reported event intake rows deleted: 0",
    ]
    assert list(OutboxStatement.objects.values_list("pk", flat=True)) == [recent]
    assert list(VideoViewingState.objects.values_list("pk", flat=True)) == [fresh]
    assert old and stale

    _outbox_row(connection, "old_again", OutboxState.DELIVERED, NOW - timedelta(days=60))
    assert privacy_tasks.purge_expired_data.apply().get() == {
        "delivered_statements": 1,
        "viewing_states": 0,
        "folded_video_intake": 0,
        "reported_event_intake": 0,
    }
    with pytest.raises(CommandError, match="at least 1"):
        call_command("xapi_purge", "--batch-size", "0")


def test_the_beat_entry_in_the_readme_names_the_registered_task():
    assert privacy_tasks.purge_expired_data.name == "xapi_plugin.privacy.tasks.purge_expired_data"
    readme = PRIVACY_PAGE.read_text()
    privacy = readme[readme.index("<!-- section: privacy -->") : readme.index("<!-- /section: privacy -->")]
    assert '"task": "xapi_plugin.privacy.tasks.purge_expired_data"' in privacy
