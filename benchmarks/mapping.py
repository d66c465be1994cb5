"""Course statements: mapping speed, and the time the receivers add to the code that sends a signal.

Run: ``.venv/bin/python benchmarks/mapping.py`` (about a minute; starts its own MariaDB on 127.0.0.1).

1. Mapping only (one core, no I/O): the course events of ``shared/fixtures/tracking-events``
   (enrolment activated/deactivated, passed/failed, grade calculated, block completion) turned
   into statements: read the raw event, pick its values, build the statements (the learner's
   identity is looked up once per learner, as the receivers' database read would give it).
   Baseline in the same run: ``json.dumps`` of the same statements.
2. Receivers in the signal sender: ``send_event`` of real openedx-events signals (a new
   enrolment, a grade change, a passing status) and a completion tracking event through the
   eventtracking backend, each with its outbox write and commit, on SQLite (a file) and on
   MariaDB. Baseline in the same run: the same ``send_event`` with a no-op receiver instead.

Each figure is printed as ``name=value``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "tracking-events"
COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"
COURSE_EVENTS = (
    "edx.course.enrollment.activated",
    "edx.course.enrollment.deactivated",
    "edx.course.grade.now_passed",
    "edx.course.grade.now_failed",
    "edx.grades.course.grade_calculated_letter_grade",
    "edx.completion.block_completion.changed",
)

sys.path.insert(0, str(ROOT))


def _django(env: dict | None = None) -> None:
    os.environ.update(env or {})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.host.lms_settings")
    import django  # noqa: PLC0415

    django.setup()


# --- 1. mapping ---------------------------------------------------------------------------------


def _mapper():
    """A pure function raw tracking event -> statements, as the receivers map (identity given)."""
    from xapi_plugin.course.progress import compute_progress  # noqa: PLC0415
    from xapi_plugin.intake.tracking import normalise_event  # noqa: PLC0415
    from xapi_plugin.platform import CourseOutline, OutlineSection  # noqa: PLC0415
    from xapi_plugin.statements import course as build  # noqa: PLC0415
    from xapi_plugin.statements.actor import build_agent  # noqa: PLC0415
    from xapi_plugin.statements.formatting import language_tag  # noqa: PLC0415
    from xapi_plugin.statements.ids import deterministic_uuid, statement_id  # noqa: PLC0415
    from xapi_plugin.statements.vocabulary import (  # noqa: PLC0415
        VERB_EARNED,
        VERB_FAILED,
        VERB_PASSED,
        VERB_PROGRESSED,
        VERB_REGISTERED,
        VERB_UNREGISTERED,
    )

    root = "http://lms.stand-in.test"
    problem = "block-v1:edX+DemoX+Demo_Course+type@problem+block@7c54b16c8ed34f9f8772015178c7a175"
    outline = CourseOutline(
        course_key=COURSE_KEY,
        display_name="Demonstration Course",
        version="1",
        sections=tuple(
            OutlineSection(
                f"block-v1:edX+DemoX+Demo_Course+type@chapter+block@c{s}",
                f"Section {s}",
                tuple(f"block-v1:edX+DemoX+Demo_Course+type@vertical+block@s{s}u{u}" for u in range(8)),
            )
            for s in range(6)
        ),  # fmt: skip
        unit_blocks={"block-v1:edX+DemoX+Demo_Course+type@vertical+block@s0u0": (problem,)},
    )
    identities = {}

    def identity(user_id):
        if user_id not in identities:
            agent = build_agent(user_id, f"learner{user_id}@example.com", "email", root, "salt")
            identities[user_id] = (agent, deterministic_uuid("registration", user_id, COURSE_KEY))
        return identities[user_id]

    def basis(event, user_id):
        agent, registration = identity(user_id)
        return build.CourseBasis(
            actor=agent,
            registration=registration,
            course_key=event.course_key,
            course_name=outline.display_name,
            root_url=root,
            language=language_tag(outline.language),
            timestamp=event.timestamp,
            source_event_id=event.fingerprint,
        )

    def map_event(raw: dict) -> list[dict]:
        event = normalise_event(raw)
        name = event.name
        if name == "edx.completion.block_completion.changed":
            user_id = int(event.data["user_id"])
            progress = compute_progress(outline, {event.data["block_id"]})
            b = basis(event, user_id)
            key = (name, user_id, event.data["block_id"], event.timestamp, VERB_PROGRESSED)
            section, value = progress.sections[0]
            section_ref = (section.usage_key, section.display_name)
            return [
                build.progressed(b, statement_id(*key, section.usage_key), value, section_ref),
                build.progressed(b, statement_id(*key, "course"), progress.course),
            ]
        user_id = int(event.data.get("user_id") or event.user_id)
        b = basis(event, user_id)
        source = (name, user_id, event.course_key, event.timestamp)
        if name == "edx.course.enrollment.activated":
            return [build.registered(b, statement_id(*source, VERB_REGISTERED), event.data.get("mode"))]
        if name == "edx.course.enrollment.deactivated":
            return [build.unregistered(b, statement_id(*source, VERB_UNREGISTERED), event.data.get("mode"))]
        if name in ("edx.course.grade.now_passed", "edx.course.grade.now_failed"):
            passing = name.endswith("passed")
            verb = VERB_PASSED if passing else VERB_FAILED
            return [build.passed_or_failed(b, statement_id(*source, verb), passing, None)]
        data = event.data
        return [build.earned(b, statement_id(*source, VERB_EARNED), data["percent_grade"], data["letter_grade"])]

    return map_event


def bench_mapping(seconds: float = 3.0) -> dict:
    events = [json.loads((FIXTURES / f"{name}.json").read_text()) for name in COURSE_EVENTS]
    map_event = _mapper()
    for raw in events:  # warm up, and prove every fixture maps
        assert map_event(raw), raw["name"]

    def run(body) -> float:
        """Statements per second of ``body`` over ``seconds``."""
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(200):
                count += body()
        return count / (time.perf_counter() - start)

    def mapping() -> int:
        return sum(len(map_event(raw)) for raw in events)

    statements = [statement for raw in events for statement in map_event(raw)]

    def dumps() -> int:
        for statement in statements:
            json.dumps(statement, separators=(",", ":"), ensure_ascii=False)
        return len(statements)

    mapped = run(mapping)
    serialised = run(dumps)
    return {
        "mapping_statements_per_s": round(mapped),
        "baseline_json_dumps_statements_per_s": round(serialised),
        "mapping_vs_json_dumps_ratio": round(mapped / serialised, 3),
    }


# --- 2. receivers in the sender -----------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def bench_receivers(learners: int) -> dict:
    """Runs in a child process whose DATABASES the parent chose through the environment."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from opaque_keys.edx.keys import CourseKey  # noqa: PLC0415
    from openedx_events.learning import signals  # noqa: PLC0415
    from openedx_events.learning.data import (  # noqa: PLC0415
        CourseData,
        CourseEnrollmentData,
        CoursePassingStatusData,
        PersistentCourseGradeData,
    )

    from xapi_plugin.course import events as course_events  # noqa: PLC0415
    from xapi_plugin.intake.tracking import XapiTrackingBackend  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings, LRSConnection, OutboxStatement  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415
    from xapi_plugin.testing.events import user_data  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    connection = LRSConnection(
        name="bench", endpoint="http://127.0.0.1:9/xAPI", contact_email="o@example.com", available_to_all=True
    )
    connection.key, connection.secret = "k", "s"
    connection.save()
    CourseSettings.objects.create(course_key=COURSE_KEY, enabled=True, connection=connection)
    outline = standin_platform.make_course(COURSE_KEY, "Demonstration Course", sections=6, units=8)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"l{n}", email=f"l{n}@example.com") for n in range(learners)]
    )
    users = list(get_user_model().objects.order_by("pk"))
    course = CourseData(course_key=CourseKey.from_string(COURSE_KEY), display_name="Demonstration Course")
    backend = XapiTrackingBackend()
    now = datetime.now(UTC)


    def enrol(user):
        signals.COURSE_ENROLLMENT_CREATED.send_event(
            enrollment=CourseEnrollmentData(
                user=user_data(user), course=course, mode="audit", is_active=True, creation_date=now
            )
        )

    def grade(user, base=0.5, letter="Pass"):
        signals.PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(
            grade=PersistentCourseGradeData(
                user_id=user.id, course=course, course_edited_timestamp=now, course_version="1",
                grading_policy_hash="h", percent_grade=base + (user.id % 50) / 100, letter_grade=letter,
                passed_timestamp=None,
            )
        )  # fmt: skip

    def passing(user):
        signals.COURSE_PASSING_STATUS_UPDATED.send_event(
            course_passing_status=CoursePassingStatusData(is_passing=True, course=course, user=user_data(user))
        )

    def complete_unit(user, unit=0):
        block = outline.sections[0].units[unit]
        standin_platform.record_completion(user.id, COURSE_KEY, block)
        backend.send(
            {
                "name": "edx.completion.block_completion.changed",
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {"user_id": user.id, "course_id": COURSE_KEY, "block_id": block, "completion": 1.0},
                "context": {"user_id": user.id, "course_id": COURSE_KEY},
            }
        )

    cpu: list[float] = []

    def timed(action, population) -> list[float]:
        samples = []
        for user in population:
            start, start_cpu = time.perf_counter(), time.process_time()
            action(user)
            samples.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        return samples

    warm, measured = users[:50], users[50:]
    for action in (enrol, grade, passing, complete_unit):
        timed(action, warm)
    results = {name: timed(action, measured) for name, action in
               (("enrol", enrol), ("grade", grade), ("passing", passing), ("progress", complete_unit))}  # fmt: skip
    receiver_cpu = list(cpu)
    expected_rows = len(users) * 5  # registered, earned, passed, 2 x progressed
    rows = OutboxStatement.objects.count()
    assert rows == expected_rows, (rows, expected_rows)

    # The same receivers when the sender is already inside a transaction (an atomic view, a grading
    # task): the outbox row joins the caller's commit, so the time added is ours alone, up to it.
    from django.db import transaction  # noqa: PLC0415

    def regrade(user):  # a second, different grade
        grade(user, base=0.1, letter="Fail")

    def complete_next_unit(user):
        complete_unit(user, unit=1)

    in_caller_transaction = []
    for action in (regrade, complete_next_unit):
        for user in measured:
            with transaction.atomic():
                start = time.perf_counter()
                action(user)
                in_caller_transaction.append((time.perf_counter() - start) * 1000)

    # Baseline: the same send_event with our receivers swapped for a no-op one.
    def noop(sender=None, **kwargs):
        return None

    receivers = {
        signals.COURSE_ENROLLMENT_CREATED: course_events.course_enrollment_created_receiver,
        signals.PERSISTENT_GRADE_SUMMARY_CHANGED: course_events.persistent_grade_summary_changed_receiver,
    }
    for signal, receiver in receivers.items():
        signal.disconnect(receiver, dispatch_uid=f"{receiver.__module__}.{receiver.__name__}")
        signal.connect(noop)
    baseline = timed(enrol, measured) + timed(grade, measured)

    # The outbox write alone (delivery/outbox.py), in its own transaction as the receivers do it.
    from xapi_plugin.delivery.outbox import enqueue_statements  # noqa: PLC0415

    sample = json.loads(OutboxStatement.objects.filter(verb="earned").first().payload)
    outbox_only = []
    for n in range(len(measured)):
        statement = dict(sample, id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{n}")))
        start = time.perf_counter()
        with transaction.atomic():
            enqueue_statements([statement], connection_id=connection.pk, course_key=COURSE_KEY, user_id=users[0].id)
        outbox_only.append((time.perf_counter() - start) * 1000)

    figures = {}
    every = [value for samples in results.values() for value in samples]
    figures["receiver_median_ms"] = statistics.median(every)
    figures["receiver_p99_ms"] = _percentile(every, 0.99)
    for name, samples in results.items():
        figures[f"receiver_{name}_median_ms"] = statistics.median(samples)
        figures[f"receiver_{name}_p99_ms"] = _percentile(samples, 0.99)
    figures["receiver_in_caller_transaction_median_ms"] = statistics.median(in_caller_transaction)
    figures["receiver_in_caller_transaction_p99_ms"] = _percentile(in_caller_transaction, 0.99)
    figures["receiver_cpu_median_ms"] = statistics.median(receiver_cpu)
    figures["outbox_write_alone_median_ms"] = statistics.median(outbox_only)
    figures["baseline_noop_receiver_median_ms"] = statistics.median(baseline)
    figures["receiver_vs_noop_median_ratio"] = (
        figures["receiver_median_ms"] / figures["baseline_noop_receiver_median_ms"]
    )
    figures["samples"] = len(every)
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in figures.items()}


def _child(database: str, env: dict, learners: int) -> dict:
    """Run the receiver benchmark in a fresh process configured for ``database``; returns its figures."""
    env = dict(os.environ, **env, DJANGO_SETTINGS_MODULE="tests.host.lms_settings", XAPI_LOG_LEVEL="ERROR")
    done = subprocess.run(
        [sys.executable, __file__, "--receivers", str(learners)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode:
        raise RuntimeError(f"receiver benchmark on {database} failed:\n{done.stderr[-3000:]}")
    return {f"{database}_{key}": value for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receivers", type=int, help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each mapping run")
    args = parser.parse_args()

    if args.receivers:
        _django()
        print(json.dumps(bench_receivers(args.receivers)))
        return

    try:  # one core for the mapping figure
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    _django()
    figures = bench_mapping(args.seconds)
    try:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    except (AttributeError, OSError):
        pass

    from xapi_plugin.testing.services import MariaDBServer  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="xapi-bench-") as tmp:
        sqlite_env = {"XAPI_HOST_SQLITE": str(Path(tmp) / "bench.sqlite3")}
        figures.update(_child("sqlite", sqlite_env, args.learners))
    with MariaDBServer() as mariadb:
        mariadb.create_database("xapi_bench")
        mariadb_env = {"XAPI_HOST_MYSQL_PORT": str(mariadb.port), "XAPI_HOST_MYSQL_DB": "xapi_bench"}
        figures.update(_child("mariadb", mariadb_env, args.learners))
    for name, value in figures.items():
        print(f"{name}={value}")


if __name__ == "__main__":
    main()
