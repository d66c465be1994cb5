"""Two web workers update one viewing state at once, on MariaDB: no segment, beacon or completion lost or doubled.

Each worker is a separate process of the stand-in LMS (``XAPI_HOST_MYSQL_PORT``) feeding the
real intake (``XapiTrackingBackend.send``) with one tab's events; both start at the same
instant and interleave their writes to the same ``VideoViewingState`` row.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import COURSE_KEY
from xapi_plugin.testing.services import MariaDBServer
from xapi_plugin.testing.validation import assert_valid_video_profile

ROOT = Path(__file__).resolve().parents[2]
DB = "xapi_video_concurrency"
LENGTH = 195
USER_ID = 4242

_SETUP = """
import django
django.setup()
from django.contrib.auth import get_user_model
from xapi_plugin.models import CourseSettings, LRSConnection
connection = LRSConnection(
    name="LRS", endpoint="http://127.0.0.1:9/xAPI", contact_email="ops@example.com", available_to_all=True
)
connection.key, connection.secret = "k", "s"
connection.save()
CourseSettings.objects.create(course_key=%(course)r, enabled=True, connection=connection, video_end_percent=90)
get_user_model().objects.create(id=%(user)d, username="racer", email="racer@example.com")
"""

_WORKER = """
import json, sys, time
from datetime import datetime, timedelta, UTC
import django
django.setup()
from xapi_plugin.core import metrics
from xapi_plugin.delivery import outbox
from xapi_plugin.intake.tracking import XapiTrackingBackend
outbox._schedule_delivery = lambda connection_id: None  # no broker here: delivery is not under test
tab, first, start_at = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
def event(name, at, **data):
    return {"name": name, "timestamp": (base + timedelta(seconds=at)).isoformat(),
            "data": dict(id="0b9e39477cf34507a7a48f74be381fdd", duration=%(length)d, **data),
            "context": {"user_id": %(user)d, "course_id": %(course)r, "session": "s", "page": "/unit?tab=" + tab}}
events = [event("load_video", 0)]
for second in range(90):  # one-second play/pause pairs over 90 s of the video
    position = first + second
    events.append(event("play_video", 1 + 2 * second, currentTime=position))
    events.append(event("pause_video", 2 + 2 * second, currentTime=position + 1))
while time.time() < start_at:
    time.sleep(0.001)
backend = XapiTrackingBackend()
for raw in events:
    backend.send(raw)
print(json.dumps(metrics.read_counters()))
"""


def _host_env(port: int) -> dict:
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.host.lms_settings",
        XAPI_HOST_MYSQL_PORT=str(port),
        XAPI_HOST_MYSQL_DB=DB,
        PYTHONPATH=str(ROOT),
    )


def _run(code: str, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen, timeout: float = 180) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


@pytest.fixture(scope="module")
def mariadb():
    with MariaDBServer() as server:
        server.create_database(DB)
        env = _host_env(server.port)
        migrate = subprocess.run(
            [sys.executable, "-m", "django", "migrate", "-v", "0"], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        params = {"course": COURSE_KEY, "user": USER_ID, "length": LENGTH}
        _finish(_run(_SETUP % params, env))
        yield server, env, params


@pytest.mark.integration
def test_two_workers_one_viewing_state(mariadb):
    server, env, params = mariadb
    start_at = time.time() + 3  # both workers are imported and waiting by then
    workers = [_run(_WORKER % params, env, tab, first, str(start_at)) for tab, first in (("a", "0"), ("b", "100"))]
    counters = [json.loads(_finish(worker).strip().splitlines()[-1]) for worker in workers]
    assert all(c["events_failed"] == 0 and c["events_skipped"] == 0 for c in counters), counters

    connection = server.connect(DB)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT segments, played_time, progress, completed_at IS NOT NULL, version, sessions"
                " FROM xapi_plugin_videoviewingstate"
            )
            rows = cursor.fetchall()
            cursor.execute("SELECT payload FROM xapi_plugin_outboxstatement ORDER BY id")
            statements = [json.loads(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()

    assert len(rows) == 1, rows
    segments, played_time, progress, completed, version, sessions = rows[0]
    segments = json.loads(segments)
    # Every one-second segment of both tabs is there exactly once: nothing lost to a race.
    expected = sorted([float(s), float(s + 1)] for s in list(range(0, 90)) + list(range(100, 190)))
    assert sorted(segments) == expected
    assert played_time == pytest.approx(180)
    assert progress == pytest.approx(180 / LENGTH)
    assert completed  # 90 % of 195 s = 175.5 s, reached
    # A fold may take in the other tab's observations too (one write for several): never more than one per event.
    assert 0 < version <= 2 * 181
    assert len(json.loads(sessions)) == 2  # one open session per tab

    verbs = [s["verb"]["display"]["en-US"] for s in statements]
    assert verbs.count("initialized") == 2
    assert verbs.count("played") == 180 and verbs.count("paused") == 180
    assert verbs.count("completed") == 1
    beacons = [s["result"]["extensions"]["https://w3id.org/xapi/video/extensions/progress"] for s in statements
               if s["verb"]["display"]["en-US"] == "progressed"]  # fmt: skip
    assert sorted(beacons) == [0.25, 0.5, 0.75]
    assert len({s["id"] for s in statements}) == len(statements)
    # The workers really ran at the same time: their statements interleave in the outbox.
    sessions_in_order = [
        s["context"]["extensions"]["https://w3id.org/xapi/video/extensions/session-id"] for s in statements
    ]
    switches = sum(1 for a, b in zip(sessions_in_order, sessions_in_order[1:], strict=False) if a != b)
    assert switches > 10, switches
    for statement in statements:
        assert_valid_video_profile(statement)
