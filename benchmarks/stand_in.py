"""Start Django as the stand-in LMS for a benchmark script, on a throw-away SQLite file.

Import and call :func:`start_stand_in_lms` before anything that needs Django's settings. The
environment wins where it is set (``XAPI_HOST_MYSQL_PORT`` for MariaDB, ``XAPI_HOST_SQLITE``).
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_stand_in_lms(name: str) -> tempfile.TemporaryDirectory:
    """Point Django at the stand-in LMS (database in a temporary folder) and set it up; keep the folder."""
    sys.path.insert(0, str(ROOT))
    folder = tempfile.TemporaryDirectory(prefix=f"xapi-bench-{name}-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.host.lms_settings")
    os.environ.setdefault("XAPI_HOST_SQLITE", str(Path(folder.name) / "bench.sqlite3"))
    import django  # noqa: PLC0415

    django.setup()
    return folder


def start_bench_worker(**settings):
    """One real Celery worker of the stand-in host (solo pool) on this run's database, broker and cache.

    ``settings`` are Django setting overrides for the worker (e.g. ``XAPI_VIDEO_INTAKE="worker"``).
    """
    import json  # noqa: PLC0415

    from xapi_plugin.testing.services import CeleryWorker  # noqa: PLC0415

    host = {key: value for key, value in os.environ.items() if key.startswith("XAPI_HOST_")}
    return CeleryWorker(
        "tests.host.celery_app",
        name="bench",
        env={
            **host,
            "DJANGO_SETTINGS_MODULE": "tests.host.lms_settings",
            "XAPI_HOST_SETTINGS_JSON": json.dumps(settings),
        },
        cwd=str(ROOT),
    ).start()
