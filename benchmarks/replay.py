"""Replaying a big tracking log: lines per second and memory along the way (it must stay flat).

Run: ``.venv/bin/python benchmarks/replay.py [size in MB, default 200]`` (1024 for the 1 GB
case). Generates a gzipped log in a temporary folder: mostly events the plugin does not map (as
in real logs), one line in 500 a video event of one of 200 learners, a few malformed lines.
Replays it with ``xapi_replay``'s engine into a throw-away SQLite stand-in LMS (queueing the
delivery task switched off), sampling the process's resident memory every 5 % of the file.

Baseline, measured in the same run: reading and JSON-parsing the same file with nothing else.
Figures are printed as ``name=value``.
"""

import gzip
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stand_in import start_stand_in_lms  # noqa: E402  (benchmarks/ is on sys.path when run)

_DIR = start_stand_in_lms("replay")

from django.core.management import call_command  # noqa: E402

COURSE = "course-v1:Bench+Replay+2026"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_log(path: Path, size_mb: int) -> int:
    """A gzipped tracking log of about ``size_mb`` MB uncompressed; returns its line count."""
    rng = random.Random(7)
    target = size_mb * 1024 * 1024
    written = lines = 0
    positions = {}
    filler = "x" * 600  # real lines carry user agents, referers, course metadata...
    # Most lines of a real log are events the plugin does not route (here: bookmarks listed).
    with gzip.open(path, "wt", compresslevel=1) as log:
        while written < target:
            at = START + timedelta(seconds=lines * 0.01)
            if lines % 500 == 0:
                user = 1000 + rng.randrange(200)
                position = positions.get(user, 0.0)
                positions[user] = position + 10
                name = "play_video" if int(position / 10) % 2 == 0 else "pause_video"
                event = {"id": f"video{user % 5}", "currentTime": position % 600, "duration": 600}
                context = {"user_id": user, "course_id": COURSE, "session": f"s{user}", "page": "p"}
                record = {"name": name, "event_type": name, "event": json.dumps(event), "time": at.isoformat(),
                          "context": context}  # fmt: skip
            elif lines % 100_003 == 0:
                record = None
            else:
                record = {"event_type": "edx.bookmark.listed", "event": {"widget": filler},
                          "time": at.isoformat(), "context": {"user_id": 1, "course_id": COURSE}}  # fmt: skip
            line = "{broken\n" if record is None else json.dumps(record) + "\n"
            log.write(line)
            written += len(line)
            lines += 1
    return lines


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    from xapi_plugin.delivery import outbox  # noqa: PLC0415
    from xapi_plugin.intake.replay import ReplayFilter, iter_log_lines, replay_files  # noqa: PLC0415
    from xapi_plugin.models import CourseSettings, LRSConnection  # noqa: PLC0415
    from xapi_plugin.testing import standin_platform  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    outbox._schedule_delivery = lambda connection_id: None
    connection = LRSConnection(
        name="bench", endpoint="http://127.0.0.1:9/xAPI", contact_email="a@b.co", available_to_all=True
    )
    connection.key, connection.secret = "k", "s"
    connection.save()
    CourseSettings.objects.create(course_key=COURSE, enabled=True, connection=connection)
    standin_platform.make_course(COURSE)
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    get_user_model().objects.bulk_create(
        [get_user_model()(id=1000 + n, username=f"u{n}", email=f"u{n}@example.com") for n in range(200)]
    )

    path = Path(_DIR.name) / "tracking.log.gz"
    lines = write_log(path, size_mb)

    started = time.perf_counter()
    for _, line in iter_log_lines(path):
        try:
            json.loads(line)
        except ValueError:
            pass
    bare_seconds = time.perf_counter() - started

    samples: list[float] = []
    next_mark = [0.0]

    def on_progress(name: str, done: int, total: int) -> None:
        if done / total >= next_mark[0]:
            samples.append(rss_mib())
            next_mark[0] += 0.05

    rss_before = rss_mib()
    started = time.perf_counter()
    report = replay_files([path], ReplayFilter(), on_progress=on_progress)
    seconds = time.perf_counter() - started

    print(f"log_uncompressed_mb={size_mb}")
    print(f"log_lines={lines}")
    print(f"events_replayed={report.events}")
    print(f"statements_queued={report.statements}")
    print(f"malformed_lines={report.malformed_count}")
    print(f"baseline_read_parse_lines_per_s={lines / bare_seconds:.0f}")
    print(f"replay_lines_per_s={lines / seconds:.0f}")
    print(f"replay_vs_baseline={bare_seconds / seconds:.2f}")
    print(f"rss_before_mib={rss_before:.1f}")
    print(f"rss_at_10pct_mib={samples[2]:.1f}")
    print(f"rss_at_end_mib={samples[-1]:.1f}")
    print(f"rss_growth_10pct_to_end_mib={samples[-1] - samples[2]:.1f}")


if __name__ == "__main__":
    main()
