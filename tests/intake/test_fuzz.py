"""Fuzz: thousands of hostile tracking events through every door, with good events among them.

Doors: the eventtracking backend's ``send()``, the ``TRACKING_EVENT_EMITTED`` receiver (through the
real signal, with receiver errors raised), the video aside's handler over HTTP, and the replay
reader. Nothing may escape; every event the intake cannot read is counted once
(``core/metrics``) and logged at most once, by a fingerprint, never with its content; the good
events of the same run still give their statements. A seeded generator (``hostile_events.py``):
a failure names its seed and index, and replays.
"""

import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from openedx_events.analytics.data import TrackingLogData
from openedx_events.analytics.signals import TRACKING_EVENT_EMITTED

from tests.conftest import COURSE_KEY
from tests.intake.hostile_events import Booby, HostileEvents, deep
from xapi_plugin.core import metrics
from xapi_plugin.delivery import outbox
from xapi_plugin.intake import event_fingerprint, replay_files, tracking
from xapi_plugin.intake.tracking import MalformedEvent, XapiTrackingBackend, normalise_event
from xapi_plugin.models import OutboxStatement
from xapi_plugin.testing import standin_platform

pytestmark = pytest.mark.django_db
SEED = 13
HOSTILE_USER, GOOD_USER = 5, 6
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FINGERPRINT = re.compile(r"\b[0-9a-f]{24}\b")


@pytest.fixture
def course(make_course_settings, monkeypatch):
    monkeypatch.setattr(outbox, "_schedule_delivery", lambda connection_id: None)  # no broker: not under test
    standin_platform.make_course(COURSE_KEY, display_name="Fuzz course")
    tracking._handler.cache_clear()
    make_course_settings(beacon_interval="quarters", video_end_percent=90)
    users = get_user_model().objects
    for user_id in (HOSTILE_USER, GOOD_USER, 7, 8):
        users.create(id=user_id, username=f"user{user_id}", email=f"user{user_id}@example.com")
    tracking._logged.clear()
    yield
    tracking._handler.cache_clear()


def good_events(user_id: int, videos: int, offset: int = 0) -> list[dict]:
    """load, play, pause of ``videos`` distinct videos: initialized, played, paused each."""
    events = []
    for number in range(videos):
        at = START + timedelta(minutes=offset + number)
        for name, seconds, data in (("load_video", 0, {}), ("play_video", 1, {"currentTime": 0.0}),
                                    ("pause_video", 6, {"currentTime": 5.0})):
            events.append(
                {
                    "name": name,
                    "timestamp": (at + timedelta(seconds=seconds)).isoformat(),
                    "data": {"id": f"fuzzgood{offset + number:04d}", "code": "html5", "duration": 120, **data},
                    "context": {"user_id": user_id, "course_id": COURSE_KEY, "session": "s",
                                "page": f"http://lms.test/unit/{offset + number}"},
                }
            )
    return events


def verbs_of(user_id: int) -> list[str]:
    return list(OutboxStatement.objects.filter(user_id=user_id).order_by("pk").values_list("verb", flat=True))


def counted() -> int:
    counters = metrics.read_counters()
    return counters[metrics.SKIPPED_EVENTS] + counters[metrics.FAILED_EVENTS] + counters[metrics.DUPLICATE_EVENTS]


def unreadable(raw) -> bool:
    """Whether the intake must refuse this event (it is ours, but cannot be read)."""
    if isinstance(raw, dict) and raw.get("name") is None and raw.get("event_type") is None:
        return False
    name = tracking.event_name(raw)
    if name is not None and name not in tracking.TRACKING_ROUTES:
        return False
    try:
        normalise_event(raw)
    except MalformedEvent:
        return True
    return False


def assert_logs_are_fingerprints_only(records) -> None:
    """Each bad-event line names a fingerprint, once, and none carries event content."""
    bad = [record for record in records if record.name.startswith("xapi_plugin.intake")]
    fingerprints = []
    for record in bad:
        message = record.getMessage()
        assert len(message) < 400, message[:400]
        assert "lone surrogate" not in message and "xxxxxxxxxx" not in message
        found = FINGERPRINT.findall(message)
        assert found, message
        fingerprints.append(found[0])
    assert len(fingerprints) == len(set(fingerprints)), "a bad event was logged more than once"


def test_backend_send_never_raises_counts_each_bad_event_and_keeps_good_ones(course, caplog):
    caplog.set_level(logging.INFO, logger="xapi_plugin")
    generator = HostileEvents(SEED)
    backend = XapiTrackingBackend()
    good = good_events(GOOD_USER, 20)
    escaped, uncounted, bad_total = [], [], 0
    for index in range(2000):
        if index % 100 == 0 and good:
            for event in good[:3]:
                backend.send(event)
            good = good[3:]
        raw = generator.event()
        must_count = unreadable(raw)
        before = counted()
        try:
            backend.send(raw)
        except BaseException as error:  # noqa: BLE001 - that is what is under test
            escaped.append((SEED, index, type(error).__name__))
            continue
        if must_count:
            bad_total += 1
            if counted() != before + 1:
                uncounted.append((SEED, index))
    assert not escaped, f"{len(escaped)} events escaped send(), e.g. {escaped[:5]}"
    assert not uncounted, f"{len(uncounted)} unreadable events were not counted once, e.g. {uncounted[:5]}"
    assert bad_total > 500  # the generator did its job
    assert verbs_of(GOOD_USER) == ["initialized", "played", "paused"] * 20
    assert_logs_are_fingerprints_only(caplog.records)


def test_tracking_event_emitted_receiver_never_raises(course):
    generator = HostileEvents(SEED + 1)
    escaped = []
    good = good_events(7, 10)
    texts = ["{broken", "[" * 5000 + "]" * 5000, "1" + "0" * 5000, "[1, 2]", "null", '{"user_id": ' + "9" * 400 + "}"]
    for index in range(600):
        if index % 60 == 0 and good:
            for event in good[:3]:
                _emit(event["name"], event["data"], event["context"])
            good = good[3:]
        try:  # the event bus's side: hostile values as JSON text (values json cannot write are skipped)
            if index % 3 == 0:
                data = generator.rng.choice(texts)
            else:
                data = json.dumps(generator.video_data(), default=_text, check_circular=False, skipkeys=True)
            context = generator.rng.choice(
                [json.dumps({"user_id": HOSTILE_USER, "course_id": COURSE_KEY}), generator.rng.choice(texts)]
            )
        except (RecursionError, ValueError):
            continue
        try:
            _emit(generator.rng.choice(sorted(tracking.TRACKING_ROUTES)), data, context)
        except BaseException as error:  # noqa: BLE001
            escaped.append((SEED + 1, index, type(error).__name__, str(error)[:200]))
    for hostile_log in (None, object(), Booby()):
        try:
            tracking.tracking_event_emitted_receiver(tracking_log=hostile_log)
        except BaseException as error:  # noqa: BLE001
            escaped.append(("receiver", type(hostile_log).__name__, type(error).__name__))
    assert not escaped, escaped[:5]
    assert verbs_of(7) == ["initialized", "played", "paused"] * 10


def _text(value):
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return "?"


def _emit(name, data, context) -> None:
    """As the event bus does (JSON strings), with receiver errors raised instead of logged."""
    data = data if isinstance(data, str) else json.dumps(data)
    context = context if isinstance(context, str) else json.dumps(context)
    TRACKING_EVENT_EMITTED.send_event(
        send_robust=False,
        tracking_log=TrackingLogData(name=name, timestamp=START, data=data, context=context),
    )


def test_replay_reads_past_hostile_lines(course, tmp_path, caplog):
    generator = HostileEvents(SEED + 2)
    log_file = tmp_path / "tracking.log"
    good = good_events(8, 12, offset=100)
    bad_lines = 0
    with open(log_file, "wb") as out:
        for index in range(1000):
            if index % 80 == 0 and good:
                for event in good[:3]:
                    line = dict(event, event_type=event["name"], time=event["timestamp"], event=event["data"])
                    out.write(json.dumps({k: v for k, v in line.items() if k not in ("name", "data")}).encode() + b"\n")
                good = good[3:]
            line = generator.json_line()
            try:
                raw = json.loads(line)
                bad_lines += unreadable(raw) or not isinstance(raw, dict)
            except (ValueError, RecursionError):
                bad_lines += 1
            out.write(line.replace(b"\n", b" ") + b"\n")
    report = replay_files([log_file])  # must not raise
    assert report.lines == 1000 + 36
    assert report.malformed_count + report.failed >= bad_lines > 100
    assert verbs_of(8) == ["initialized", "played", "paused"] * 12
    assert_logs_are_fingerprints_only(caplog.records)


def test_fingerprint_never_raises_and_is_stable():
    generator = HostileEvents(SEED + 3)
    values = [generator.event() for _ in range(300)] + [deep(50_000), Booby(), {1: "a", "b": 2}, 10**5000]
    for value in values:
        first = event_fingerprint(value)
        assert len(first) == 24
    assert event_fingerprint({"a": [1, {2}]}) == event_fingerprint({"a": [1, {2}]})
    assert event_fingerprint({"a": 1}) != event_fingerprint({"a": 2})


def test_aside_handler_over_http_answers_every_hostile_report_without_a_500(course, client, settings):
    settings.ROOT_URLCONF = "tests.aside.xblock_host"
    user = get_user_model().objects.get(id=HOSTILE_USER)
    client.force_login(user)
    video = "block-v1:edX+DemoX+Demo_Course+type@video+block@fuzz"
    url = f"/xblock-test/handler/{video}/xapi_video/beacon/"
    generator = HostileEvents(SEED + 4)
    bodies = [
        b"", b"\xff\xfe", b"{", b"null", b"[]", b'"str"', ("[" * 50_000 + "]" * 50_000).encode(),
        b'{"kind": "play", "seq": 1, "position": 1' + b"0" * 5000 + b', "page": "page0001"}',
        b'{"kind": "play", "seq": 1, "position": 1e400, "page": "page0001"}',
    ]
    for _ in range(250):
        report = {"kind": generator.rng.choice(["load", "play", "pause", "seek", "position", "ended", 7, None]),
                  "seq": generator.rng.choice([1, -1, 10**400, "1", None, 2.5]),
                  "position": generator.rng.choice([0.0, -1, 10**400, "x", None, [1], {"a": 1}, 1e308]),
                  "duration": generator.rng.choice([60, 0.0004, 10**400, -5, None, "60", 9.2e18]),
                  "page": generator.rng.choice(["page0001", "", "x" * 500, 5, None, "päge0001"])}
        if generator.rng.random() < 0.3:
            report[generator.rng.choice(["time_from", "time_to", "extra"])] = generator.rng.choice([10**400, "a", {}])
        bodies.append(json.dumps(report).encode())
    statuses = []
    for body in bodies:
        answer = client.post(url, data=body, content_type="application/json")
        statuses.append(answer.status_code)
    assert all(status < 500 for status in statuses), sorted(set(statuses))
    # A good report in the same run is still accepted.
    good = {"kind": "load", "seq": 1, "position": 0.0, "duration": 120.0, "page": "goodpage01"}
    answer = client.post(url, data=json.dumps(good), content_type="application/json")
    assert answer.status_code == 200, answer.content
