"""Video events per second: through the whole intake, through the state machine alone, and mapping alone.

Run: ``.venv/bin/python benchmarks/video.py [events]``. Uses the stand-in LMS on a throw-away
SQLite file (set ``XAPI_HOST_MYSQL_PORT`` to measure MariaDB instead). Each figure is printed
as ``name=value``; ratios are against the baseline measured in the same run: normalising a
tracking event (what the intake does to every event before any of our work).

* ``ingest``: ``XapiTrackingBackend.send`` end to end: dedupe, reading the event, course
  settings, learner identity, viewing state read/locked/written, statements built, outbox rows
  written (queueing the delivery task is switched off: no broker here).
* ``state_step``: the pure viewing state machine (segments, sessions, beacons, completion).
* ``mapping``: building statement dicts from the state machine's intents.
"""

import sys
import time
from datetime import UTC, datetime, timedelta

from stand_in import start_stand_in_lms  # noqa: E402  (benchmarks/ is on sys.path when run)

_DB_DIR = start_stand_in_lms("video")

from django.core.management import call_command  # noqa: E402

COURSE = "course-v1:Bench+Video+2026"
LENGTH = 600
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def session_events(user_id: int, count: int) -> list[dict]:
    """One learner watching in 10-second play/pause stretches, with a seek now and then."""
    events = [_event("load_video", user_id, 0, duration=LENGTH)]
    position, wall = 0.0, 1.0
    while len(events) < count:
        events.append(_event("play_video", user_id, wall, currentTime=position, duration=LENGTH))
        position, wall = min(LENGTH, position + 10), wall + 10
        events.append(_event("pause_video", user_id, wall, currentTime=position, duration=LENGTH))
        if len(events) % 7 == 0:
            events.append(_event("seek_video", user_id, wall + 1, old_time=position, new_time=max(0, position - 5)))
            position = max(0, position - 5)
        wall += 2
        if position >= LENGTH:
            position = 0.0
    return events[:count]


def _event(name: str, user_id: int, at: float, **data) -> dict:
    return {
        "name": name,
        "timestamp": (START + timedelta(seconds=at)).isoformat(),
        "data": {"id": "benchvideo", "code": "html5", **data},
        "context": {"user_id": user_id, "course_id": COURSE, "session": f"s{user_id}", "page": "/unit"},
    }


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def main(total: int) -> None:
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from xapi_plugin.delivery import outbox  # noqa: PLC0415
    from xapi_plugin.intake.tracking import XapiTrackingBackend, normalise_event  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement  # noqa: PLC0415
    from xapi_plugin.statements.common import course_activity  # noqa: PLC0415
    from xapi_plugin.statements.video import VideoTarget, build_video_statement  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415
    from xapi_plugin.video.ingest import observation_from_event  # noqa: PLC0415
    from xapi_plugin.video.viewing import VideoSettings, Viewing, step  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    outbox._schedule_delivery = lambda connection_id: None  # no broker: delivery is not measured here
    connection = LRSConnection(name="bench", endpoint="http://127.0.0.1:9/xAPI", contact_email="ops@example.com")
    connection.key, connection.secret = "k", "s"
    connection.save()
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=connection, beacon_interval="one_percent")
    standin_platform.make_course(COURSE, display_name="Bench course")
    learners = 20
    for user_id in range(1, learners + 1):
        get_user_model().objects.create(id=user_id, username=f"u{user_id}", email=f"u{user_id}@example.com")
    per_learner = total // learners
    streams = [session_events(user_id, per_learner) for user_id in range(1, learners + 1)]
    # Interleave learners, as a busy LMS would.
    events = [stream[i] for i in range(per_learner) for stream in streams]

    # Baseline: normalising each event (the intake's first step for every event).
    started = time.perf_counter()
    normalised = [normalise_event(raw) for raw in events]
    for event in normalised:
        _ = event.fingerprint
    baseline = rate(len(events), time.perf_counter() - started)

    # The pure state machine alone.
    observations = [observation_from_event(event) for event in normalised]
    settings = VideoSettings(True, 100, 0, "one_percent")
    viewings = {
        user_id: Viewing(user_id=user_id, video_key=observations[0].video_key, registration=f"reg{user_id}")
        for user_id in range(1, learners + 1)
    }
    started = time.perf_counter()
    intents = []
    for obs in observations:
        intents.extend(step(viewings[obs.user_id], obs, settings))
    state_step = rate(len(observations), time.perf_counter() - started)

    # Mapping alone: intents to statement dicts.
    target = VideoTarget(
        actor={"objectType": "Agent", "mbox": "mailto:u1@example.com"},
        registration="6a1f5e0c-8d2b-4c47-9a51-3f0e2b7d9c10",
        video_id="http://lms.example/xblock/block-v1:Bench+Video+2026+type@video+block@benchvideo",
        video_name=None,
        course=course_activity(COURSE, "Bench course", "http://lms.example"),
        language="en",
        root_url="http://lms.example",
    )
    started = time.perf_counter()
    for intent in intents:
        build_video_statement(intent, target)
    mapping = rate(len(intents), time.perf_counter() - started)

    # The whole intake, database included.
    backend = XapiTrackingBackend()
    started = time.perf_counter()
    for raw in events:
        backend.send(raw)
    ingest = rate(len(events), time.perf_counter() - started)
    queued = OutboxStatement.objects.count()

    print(f"events={len(events)}")
    print(f"statements_per_event={queued / len(events):.2f}")
    print(f"baseline_normalise_events_per_s={baseline:.0f}")
    print(f"ingest_events_per_s={ingest:.0f}")
    print(f"state_step_events_per_s={state_step:.0f}")
    print(f"mapping_statements_per_s={mapping:.0f}")
    print(f"ingest_vs_baseline={ingest / baseline:.4f}")
    print(f"state_step_vs_baseline={state_step / baseline:.4f}")
    print(f"mapping_vs_baseline={mapping / baseline:.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
