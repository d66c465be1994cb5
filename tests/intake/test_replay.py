"""``xapi_replay``: tracking logs (plain or gzipped) replayed into the outbox; twice gives nothing new."""

import gzip
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import COURSE_KEY
from xapi_plugin.delivery import outbox
from xapi_plugin.models import LearnerCourseState, OutboxStatement, VideoViewingState
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.validation import assert_valid_video_profile, assert_valid_xapi

OTHER_COURSE = "course-v1:Other+Course+2026"
START = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
VIDEO = "5c90cffecd9b48b188cbfea176bf7fe9"


def _at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def _browser_line(name: str, at: float, user_id: int, course: str = COURSE_KEY, **data) -> str:
    """A line as the LMS's tracking log writes browser events: ``event`` is a JSON string."""
    event = {"id": VIDEO, "code": "html5", "duration": 40.0, **data}
    return json.dumps(
        {
            "name": name,
            "event_type": name,
            "event_source": "browser",
            "event": json.dumps(event),
            "time": _at(at),
            "context": {"user_id": user_id, "course_id": course, "session": "s1", "page": "p1", "org_id": "edX"},
            "username": f"u{user_id}",
        }
    )


def _completion_line(at: float, user_id: int, block: str) -> str:
    """A server event line: ``event`` is an object."""
    return json.dumps(
        {
            "name": "edx.completion.block_completion.changed",
            "event_type": "edx.completion.block_completion.changed",
            "event_source": "server",
            "event": {"user_id": user_id, "course_id": COURSE_KEY, "context_key": COURSE_KEY, "block_id": block,
                      "block_type": "vertical", "completion": 1.0, "is_new": True},  # fmt: skip
            "time": _at(at),
            "context": {"user_id": user_id, "course_id": COURSE_KEY, "org_id": "edX"},
        }
    )


@pytest.fixture
def replay_log(tmp_path, make_course_settings, django_user_model, monkeypatch):
    """A course with xAPI on, a learner, and a log of 16 lines: good, duplicate, foreign, malformed."""
    monkeypatch.setattr(outbox, "_schedule_delivery", lambda connection_id: None)
    make_course_settings(COURSE_KEY)
    outline = standin_platform.make_course(COURSE_KEY, sections=1, units=2)
    user = django_user_model.objects.create(id=4242, username="u4242", email="u4242@example.com")
    for unit in outline.sections[0].units:  # the LMS's completion records, as replay finds them
        standin_platform.record_completion(user.id, COURSE_KEY, unit)
    lines = [
        _browser_line("load_video", 0, user.id),
        _browser_line("play_video", 1, user.id, currentTime=0.0),
        _browser_line("pause_video", 21, user.id, currentTime=20.0),
        _browser_line("pause_video", 21, user.id, currentTime=20.0),  # duplicate line
        "",  # blank: ignored
        "{this is not json",  # malformed (line 6)
        json.dumps({"event_type": "edx.ui.lms.link_clicked", "event": "{}", "time": _at(22)}),  # not ours
        _browser_line("seek_video", 23, user.id, old_time="x", new_time=30),  # malformed data (line 8)
        _browser_line("play_video", 24, user.id, course=OTHER_COURSE, currentTime=0.0),  # course without xAPI
        _completion_line(30, user.id, outline.sections[0].units[0]),
        _completion_line(31, user.id, outline.sections[0].units[1]),
        _browser_line("play_video", 40, user.id, currentTime=20.0),
        _browser_line("stop_video", 61, user.id, currentTime=40.0),
        "[1, 2, 3]",  # valid JSON, not an event (line 14)
        _browser_line("play_video", 3600, user.id, currentTime=0.0),  # an hour later: for --until
        _completion_line(32, user.id, outline.sections[0].units[1]),  # repeated completion: nothing new
    ]
    plain = tmp_path / "tracking.log"
    plain.write_text("\n".join(lines) + "\n")
    gzipped = tmp_path / "tracking.log-20260504.gz"
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))
    return plain, gzipped


def _replay(*args) -> str:
    out = io.StringIO()
    call_command("xapi_replay", *args, "--no-progress", stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db
def test_replay_queues_statements_once_and_reports_malformed_lines(replay_log):
    plain, _ = replay_log
    report = _replay(str(plain))
    rows = list(OutboxStatement.objects.order_by("pk"))
    verbs = [row.verb for row in rows]
    assert {"initialized", "played", "paused", "progressed", "completed", "terminated"} <= set(verbs)
    assert f"{len(rows)} statements queued" in report
    assert "15 lines" in report  # the blank line is not counted
    assert "3 malformed" in report
    for number in (6, 8, 14):
        assert f"tracking.log:{number}:" in report, report
    assert all(row.course_key == COURSE_KEY for row in rows)

    again = _replay(str(plain))
    assert "0 statements queued" in again
    assert OutboxStatement.objects.count() == len(rows)


@pytest.mark.django_db
def test_gzipped_log_gives_the_same_statements(replay_log):
    plain, gzipped = replay_log
    _replay(str(gzipped))
    from_gzip = set(OutboxStatement.objects.values_list("statement_id", flat=True))
    assert from_gzip
    assert "0 statements queued" in _replay(str(plain))
    assert set(OutboxStatement.objects.values_list("statement_id", flat=True)) == from_gzip


@pytest.mark.django_db
def test_dry_run_prints_valid_statements_and_keeps_nothing(replay_log):
    plain, _ = replay_log
    out = io.StringIO()
    call_command("xapi_replay", str(plain), "--dry-run", "--no-progress", stdout=out, stderr=io.StringIO())
    statements = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert len(statements) >= 8
    for statement in statements:
        if v.CATEGORY_VIDEO_PROFILE in json.dumps(statement.get("context", {})):
            assert_valid_video_profile(statement)
        else:
            assert_valid_xapi(statement)
    assert len({statement["id"] for statement in statements}) == len(statements)
    assert not OutboxStatement.objects.exists()
    assert not VideoViewingState.objects.exists()
    assert not LearnerCourseState.objects.exists()


@pytest.mark.django_db
def test_filters_by_course_and_time(replay_log):
    plain, _ = replay_log
    _replay(str(plain), "--course", OTHER_COURSE)
    assert not OutboxStatement.objects.exists()  # that course sends nothing, and ours was filtered out
    report = _replay(str(plain), "--since", _at(0), "--until", _at(25))
    assert "filtered out" in report
    late = OutboxStatement.objects.filter(payload__contains="2026-05-04T09:00:00")  # the play an hour later
    assert OutboxStatement.objects.exists() and not late.exists()
    assert not OutboxStatement.objects.filter(verb="completed").exists()  # completions at 30 s+ filtered


@pytest.mark.django_db
def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _replay(str(tmp_path / "missing.log"))
    (tmp_path / "x.log").write_text("")
    with pytest.raises(CommandError, match="ISO 8601"):
        _replay(str(tmp_path / "x.log"), "--since", "yesterday")
