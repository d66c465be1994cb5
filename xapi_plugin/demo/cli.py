"""``xapi-demo``: the whole plugin at work on one machine, with real parts.

Starts a stand-in LMS (Django + the plugin, found through its entry point; SQLite), a real LRS
on 127.0.0.1 (Learning Locker's statement service) unless ``--lrs-url`` names one, and a Celery
worker (embedded filesystem broker unless ``--broker redis://...``). Then simulated learners
study, the statements are delivered, read back from the LRS and counted. Exits non-zero if a
statement was lost or rejected.
"""

import argparse
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

COURSE_KEY = "course-v1:DemoOrg+XAPI101+2026"
# The learning path (when learning-paths-plugin is installed): the demo course, then a short second one.
SECOND_COURSE_KEY = "course-v1:DemoOrg+XAPI102+2026"
PATH_KEY = "path-v1:DemoOrg+XAPI+2026+Demo"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="xapi-demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=20, help="simulated learners (default 20)")
    parser.add_argument("--lrs-url", help="send to this LRS (its xAPI endpoint) instead of starting one")
    parser.add_argument("--lrs-key", default="demo-key", help="LRS key (HTTP Basic user)")
    parser.add_argument("--lrs-secret", default="demo-secret", help="LRS secret")
    parser.add_argument("--broker", default="filesystem://", help="Celery broker URL (default: embedded)")
    parser.add_argument("--keep", action="store_true", help="leave the stand-in LMS and the LRS running")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for delivery (default 300)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the simulation")
    args = parser.parse_args(argv)
    if args.learners < 1:
        parser.error("--learners must be at least 1")
    if args.lrs_url and not args.lrs_url.startswith(("http://", "https://")):
        parser.error("--lrs-url must be the LRS's xAPI endpoint, e.g. https://lrs.example.com/xapi")
    return args


def _prepare_environment(workdir: Path, broker: str, lms_url: str) -> None:
    broker_dir = workdir / "broker"
    (broker_dir / "control").mkdir(parents=True, exist_ok=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="xapi_plugin.demo.settings",
        XAPI_HOST_SQLITE=str(workdir / "lms.sqlite3"),
        XAPI_DEMO_BROKER_URL=broker,
        XAPI_DEMO_BROKER_DIR=str(broker_dir),
        XAPI_HOST_LMS_ROOT_URL=lms_url,
    )


def _start_lms_server(port: int) -> threading.Thread:
    """Serve the stand-in LMS (Django admin: LRS connections, outbox) on 127.0.0.1."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server  # noqa: PLC0415

    from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: PLC0415
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", port, StaticFilesHandler(get_wsgi_application()), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="stand-in-lms", daemon=True)
    thread.start()
    return thread


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _print(message: str = "") -> None:
    print(message, flush=True)


def run(args) -> int:
    from xapi_plugin.testing.local_lrs import LocalLRS, free_port  # noqa: PLC0415
    from xapi_plugin.testing.services import CeleryWorker  # noqa: PLC0415

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="xapi-demo-"))
    lms_port = free_port()
    lms_url = f"http://127.0.0.1:{lms_port}"
    _prepare_environment(workdir, args.broker, lms_url)

    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:  # the worker process writes to the same file
        cursor.execute("PRAGMA journal_mode=WAL")

    lrs = None
    worker = None
    try:
        if args.lrs_url:
            endpoint, auth = args.lrs_url.rstrip("/"), (args.lrs_key, args.lrs_secret)
            _print(f"LRS: {endpoint} (given)")
        else:
            lrs = LocalLRS().start()
            endpoint, auth = lrs.endpoint, (args.lrs_key, args.lrs_secret)
            _print(f"LRS: {endpoint} (Learning Locker statement service, in memory)")
        from xapi_plugin.delivery import check_passed, check_summary  # noqa: PLC0415

        checks = _check_lrs(endpoint, auth)
        if not check_passed(checks):
            _print(f"the LRS at {endpoint} failed the connection check: {check_summary(checks)}")
            return 2
        _print(f"LRS check: {check_summary(checks)}")

        _start_lms_server(lms_port)
        admin_password = secrets.token_urlsafe(12)
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        get_user_model().objects.create_superuser("admin", "admin@demo.example", admin_password)
        _print(f"stand-in LMS: {lms_url}/admin/ (Django admin)")

        worker_env = {
            key: os.environ[key]
            for key in ("DJANGO_SETTINGS_MODULE", "XAPI_HOST_SQLITE", "XAPI_DEMO_BROKER_URL", "XAPI_DEMO_BROKER_DIR")
        }
        worker_env["XAPI_HOST_LMS_ROOT_URL"] = lms_url
        worker = CeleryWorker("xapi_plugin.demo.celery_app", name="demo", env=worker_env, beat=True).start()
        _print(f"Celery worker with beat on {args.broker.split('://')[0]} broker: ready")

        connection_row, outline, videos = _set_up_course(endpoint, auth)
        _print(f"course {COURSE_KEY}: {outline.unit_count} units in {len(outline.sections)} sections, "
               f"{len(videos)} videos; xAPI on, LRS connection {connection_row.name!r}")  # fmt: skip

        path = _set_up_path(connection_row)
        if path is None:
            _print("learning path: none (install learning-paths-plugin for one)")
        else:
            _print(f"learning path {PATH_KEY}: {COURSE_KEY}, then {SECOND_COURSE_KEY} "
                   f"({path.second.unit_count} units); every other learner joins it")  # fmt: skip

        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 5)) + "Z"
        produce_started = time.monotonic()
        _simulate(args, outline, videos, path)
        counts = _wait_for_delivery(connection_row, args.timeout)
        delivered_at = time.monotonic()
        return _summarise(args, connection_row, endpoint, auth, since, produce_started, delivered_at, counts, started)
    finally:
        if args.keep:
            _keep_running(lms_url, endpoint if "endpoint" in locals() else "", locals().get("admin_password"))
        if worker:
            worker.stop()
        if lrs:
            lrs.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _check_lrs(endpoint: str, auth: tuple[str, str]) -> list[tuple[str, bool, str]]:
    """The connection check the admin and the delivery probe use, on a connection not saved yet."""
    from xapi_plugin.delivery import LRSClient  # noqa: PLC0415
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    connection = LRSConnection(name="Demo LRS (check)", endpoint=endpoint)
    connection.key, connection.secret = auth
    return LRSClient(connection).check()


def publish_demo_courses() -> tuple:
    """The demo's two courses in the stand-in platform (the same in every process); their outlines."""
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    first = standin_platform.make_course(
        COURSE_KEY, display_name="xAPI for Open edX — a demo course", sections=3, units=3, blocks_per_unit=2
    )
    second = standin_platform.make_course(SECOND_COURSE_KEY, display_name="xAPI, part two", sections=1, units=2)
    return first, second


def _set_up_course(endpoint: str, auth: tuple[str, str]):
    from xapi_plugin.demo.simulation import DemoVideo  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings, LRSConnection  # noqa: PLC0415

    connection_row = LRSConnection(
        name="Demo LRS", endpoint=endpoint, contact_email="ops@demo.example", available_to_all=True
    )
    connection_row.key, connection_row.secret = auth
    connection_row.full_clean()
    connection_row.save()
    settings_row = CourseSettings(
        course_key=COURSE_KEY, enabled=True, connection=connection_row, video_end_percent=90, video_end_seconds=5
    )
    settings_row.full_clean()
    settings_row.save()
    outline, _ = publish_demo_courses()
    key_body = COURSE_KEY.split(":", 1)[1]
    videos = [DemoVideo(f"block-v1:{key_body}+type@video+block@intro{n}", 120.0 + 60 * n) for n in range(2)]
    return connection_row, outline, videos


def _set_up_path(connection_row):
    """A two-course learning path in the real Learning Paths models; None when the app is not installed."""
    from xapi_plugin import platform  # noqa: PLC0415
    from xapi_plugin.demo.simulation import DemoPath  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    if not platform.learning_paths_installed():
        return None
    from learning_paths.models import LearningPath, LearningPathStep  # noqa: PLC0415

    CourseSettings.objects.create(course_key=SECOND_COURSE_KEY, enabled=True, connection=connection_row)
    _, second = publish_demo_courses()
    path = LearningPath.objects.create(key=PATH_KEY, display_name="xAPI for Open edX — the learning path")
    criteria = path.grading_criteria
    criteria.required_completion, criteria.required_grade = 1.0, 0.75
    criteria.save()
    for order, course_key in enumerate((COURSE_KEY, SECOND_COURSE_KEY)):
        LearningPathStep.objects.create(learning_path=path, course_key=course_key, order=order)
    return DemoPath(key=PATH_KEY, second=second)


def _simulate(args, outline, videos, path=None) -> None:
    import random  # noqa: PLC0415

    from xapi_plugin.demo.simulation import simulate_learner  # noqa: PLC0415

    rng = random.Random(args.seed)
    for index in range(args.learners):
        simulate_learner(index, outline, videos, rng, path)
        sys.stdout.write(f"\rlearners {_bar(index + 1, args.learners)} {index + 1}/{args.learners}")
        sys.stdout.flush()
    sys.stdout.write("\n")


def _outbox_counts(connection_row) -> Counter:
    from django.db.models import Count  # noqa: PLC0415

    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    rows = OutboxStatement.objects.filter(connection=connection_row).values("state").annotate(n=Count("id"))
    return Counter({row["state"]: row["n"] for row in rows})


def _wait_for_delivery(connection_row, timeout: float) -> Counter:
    from xapi_plugin.core.constants import OutboxState  # noqa: PLC0415
    from xapi_plugin.models import EventIntake, VideoIntake  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    while True:
        # Observations and events still waiting for the worker's fold become statements later: wait for them too.
        unfolded = VideoIntake.objects.filter(folded_at__isnull=True).count()
        unfolded += EventIntake.objects.filter(folded_at__isnull=True).count()
        counts = _outbox_counts(connection_row)
        total = sum(counts.values())
        settled = counts[OutboxState.DELIVERED] + counts[OutboxState.REJECTED]
        sys.stdout.write(f"\rdelivery {_bar(settled, total)} {settled}/{total}")
        sys.stdout.flush()
        if (settled == total and not unfolded) or time.monotonic() > deadline:
            sys.stdout.write("\n")
            return counts
        time.sleep(0.25)


def _summarise(args, connection_row, endpoint, auth, since, produce_started, delivered_at, counts, started) -> int:
    from django.db.models import Count  # noqa: PLC0415

    from xapi_plugin.core.constants import OutboxState  # noqa: PLC0415
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    rows = OutboxStatement.objects.filter(connection=connection_row)
    produced_ids = {str(statement_id) for statement_id in rows.values_list("statement_id", flat=True)}
    from xapi_plugin.testing.local_lrs import fetch_statements  # noqa: PLC0415

    stored = fetch_statements(endpoint, auth, since)
    stored_ids = Counter(statement["id"] for statement in stored)
    found = produced_ids & set(stored_ids)
    lost = len(produced_ids - found)
    duplicated = sum(1 for statement_id in found if stored_ids[statement_id] > 1)
    delivered = counts[OutboxState.DELIVERED]
    rejected = counts[OutboxState.REJECTED]
    seconds = max(delivered_at - produce_started, 1e-6)

    _print()
    _print("statements by verb:")
    for row in rows.values("verb").annotate(n=Count("id")).order_by("-n", "verb"):
        _print(f"  {row['verb'] or '(other)':14} {row['n']:6}")
    path_rows = rows.filter(course_key=PATH_KEY)
    if path_rows.exists():
        by_verb = path_rows.values("verb").annotate(n=Count("id")).order_by("-n", "verb")
        detail = ", ".join(f"{row['verb']} {row['n']}" for row in by_verb)
        _print(f"learning path statements: {path_rows.count()} ({detail})")
    for line in _learning_summary(rows):
        _print(line)
    _print(f"learners:               {args.learners}")
    _print(f"produced:               {len(produced_ids)}")
    _print(f"delivered (outbox):     {delivered}")
    _print(f"rejected by the LRS:    {rejected}")
    _print(f"read back from the LRS: {len(found)} (duplicates: {duplicated})")
    _print(f"elapsed:                {time.monotonic() - started:.1f} s in all, "
           f"{seconds:.1f} s from first event to last delivery")  # fmt: skip
    _print(f"rate:                   {delivered / seconds:.0f} statements/s end to end")
    for reason in rows.filter(state=OutboxState.REJECTED).values_list("last_answer", flat=True)[:5]:
        _print(f"  rejected: {reason[:300]}")
    profile_ok = _report_profile([statement for statement in stored if statement["id"] in produced_ids])
    _print(f"produced={len(produced_ids)} delivered={delivered} rejected={rejected} lost={lost}")
    delivered_all = lost == 0 and rejected == 0 and duplicated == 0 and delivered == len(produced_ids)
    return 0 if delivered_all and profile_ok else 1


def _report_profile(statements: list[dict]) -> bool:
    """Check the video statements read back from the LRS against the Video Profile's templates."""
    from xapi_plugin.testing import video_profile  # noqa: PLC0415

    try:
        report = video_profile.profile_report(statements)
    except FileNotFoundError as error:
        _print(f"Video Profile check skipped: {error}")
        return True
    _print(f"video statements declaring the Video Profile: {report.declaring}, "
           f"matching one of its templates: {report.matching}")  # fmt: skip
    _print(f"video sessions: {report.sessions}, following its primary pattern: {report.following}")
    for problem in report.problems[:5]:
        _print(f"  not as the profile says: {problem[:300]}")
    return report.ok


def _learning_summary(rows) -> list[str]:
    """What the problem and navigation families sent: answers right and wrong, submissions, attempts, moves."""
    import json  # noqa: PLC0415

    from xapi_plugin.statements import vocabulary as v  # noqa: PLC0415

    right = wrong = asked = navigated = 0
    submissions, max_attempt = set(), 0
    for payload in rows.values_list("payload", flat=True).iterator():
        statement = json.loads(payload)
        verb = statement["verb"]["id"]
        if verb == v.VERB_EVALUATED:
            attempt = statement["object"]["definition"]["extensions"][v.EXT_ATTEMPT_ID]
            if statement["result"]["success"]:
                right += 1
            else:
                wrong += 1
            source = statement["context"]["extensions"]
            submissions.add((statement["actor"].get("mbox") or str(statement["actor"].get("account")), str(source)))
            max_attempt = max(max_attempt, attempt)
        elif verb == v.VERB_ASKED:
            asked += 1
        elif verb == v.VERB_NAVIGATED:
            navigated += 1
    return [
        f"problem answers:        {right + wrong} evaluated ({right} right, {wrong} wrong) in "
        f"{len(submissions)} submissions, attempts up to {max_attempt}; {asked} hints/answers asked",
        f"navigation:             {navigated} navigated",
    ]


def _keep_running(lms_url: str, endpoint: str, admin_password: str | None) -> None:
    _print()
    _print("--keep: still running. Press Ctrl-C to stop.")
    _print(f"  stand-in LMS admin: {lms_url}/admin/  (user admin, password {admin_password})")
    if endpoint:
        _print(f"  LRS endpoint:       {endpoint}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass


def main(argv=None) -> int:
    """Console entry point."""
    return run(parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
