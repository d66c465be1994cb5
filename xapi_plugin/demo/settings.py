"""Settings of the demo's stand-in LMS: the plugin found through its entry point, like in the LMS.

The demo CLI sets the environment before Django starts: ``XAPI_HOST_SQLITE`` (database file),
``XAPI_DEMO_BROKER_URL`` (``filesystem://`` by default, or ``redis://...``) and
``XAPI_DEMO_BROKER_DIR`` (folder of the embedded filesystem broker).
"""

import os

from edx_django_utils.plugins import add_plugins, get_plugin_apps

from xapi_plugin.testing.host_settings import *  # noqa: F403
from xapi_plugin.testing.host_settings import BASE_INSTALLED_APPS, drop_unhosted_plugin_apps

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # The demo's LMS and its Celery worker write one SQLite file: a transaction that reads then
    # writes (edx-completion's get_or_create) waits for the other's write instead of failing with
    # "database is locked" (Django >= 5.1).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"  # noqa: F405

HOST_PROJECT_TYPE = "lms.djangoapp"
drop_unhosted_plugin_apps(HOST_PROJECT_TYPE)  # learning_paths (when installed) comes in, its dependencies not
INSTALLED_APPS = BASE_INSTALLED_APPS + ["xapi_plugin.demo"] + get_plugin_apps(HOST_PROJECT_TYPE)
ROOT_URLCONF = "xapi_plugin.demo.urls"
# The demo process and its Celery worker write to one SQLite file: a transaction that reads and then
# writes fails at once ("database is locked") when the other wrote in between, unless it takes the
# write lock when it begins (and then waits up to the timeout, as MySQL's row locks would).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"  # noqa: F405
LMS_ROOT_URL = os.environ.get("XAPI_HOST_LMS_ROOT_URL", "http://lms.demo.example")

# Celery: an embedded broker (a folder) unless a real one is given.
CELERY_BROKER_URL = os.environ.get("XAPI_DEMO_BROKER_URL", "filesystem://")
_BROKER_DIR = os.environ.get("XAPI_DEMO_BROKER_DIR", "")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _BROKER_DIR,
        "data_folder_out": _BROKER_DIR,
        "control_folder": os.path.join(_BROKER_DIR, "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
# The beat entries the README asks operators to add, at demo pace.
XAPI_SWEEP_INTERVAL = 5
CELERY_BEAT_SCHEDULE = {
    "xapi-delivery-sweep": {"task": "xapi_plugin.delivery.tasks.sweep", "schedule": 5.0},
    "xapi-close-idle-video-sessions": {"task": "xapi_plugin.video.tasks.close_idle_sessions", "schedule": 60.0},
    "xapi-video-intake-fold": {"task": "xapi_plugin.video.tasks.fold_video_intake", "schedule": 5.0},
    "xapi-event-intake-fold": {"task": "xapi_plugin.intake.tasks.fold_event_intake", "schedule": 5.0},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Short backoff so that a demo against a flaky LRS finishes in minutes, not hours.
XAPI_RETRY_BASE_DELAY = 1
XAPI_RETRY_MAX_DELAY = 10

add_plugins(__name__, HOST_PROJECT_TYPE, "common")
add_plugins(__name__, HOST_PROJECT_TYPE, "production")
