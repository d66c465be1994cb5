"""Base settings of a stand-in LMS or Studio (the test host and the demo build on these).

A host module imports this, adds its own app, then asks the plugin framework for plugin apps
(``get_plugin_apps``) and plugin settings (``add_plugins``), as ``lms/envs/common.py`` does.
Environment variables choose the database: SQLite (``XAPI_HOST_SQLITE``, a file path) by
default, MariaDB/MySQL when ``XAPI_HOST_MYSQL_PORT`` is set.
"""

import os

SECRET_KEY = "stand-in-host-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
LMS_ROOT_URL = os.environ.get("XAPI_HOST_LMS_ROOT_URL", "http://lms.stand-in.test")

_DB_NAME = os.environ.get("XAPI_HOST_SQLITE", "xapi-host.sqlite3")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _DB_NAME,
        "OPTIONS": {"timeout": 30},
        "TEST": {"NAME": os.environ.get("XAPI_HOST_TEST_SQLITE") or None},
    }
}
if os.environ.get("XAPI_HOST_MYSQL_PORT"):
    # Real MariaDB, as Open edX runs MySQL: used by concurrency tests and benchmarks.
    # mysqlclient (the C driver Open edX uses) when installed, else the pure-Python PyMySQL.
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        import pymysql

        pymysql.install_as_MySQLdb()
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.mysql",
        "HOST": "127.0.0.1",
        "PORT": os.environ["XAPI_HOST_MYSQL_PORT"],
        "NAME": os.environ.get("XAPI_HOST_MYSQL_DB", "xapi_host"),
        "USER": os.environ.get("XAPI_HOST_MYSQL_USER", "root"),
        "PASSWORD": os.environ.get("XAPI_HOST_MYSQL_PASSWORD", ""),
        "OPTIONS": {"charset": "utf8mb4", "isolation_level": "read committed"},
        "TEST": {"NAME": os.environ.get("XAPI_HOST_MYSQL_DB", "xapi_host")},
    }

BASE_INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Registers the default tracker from EVENT_TRACKING_BACKENDS, as in edx-platform.
    "eventtracking.django.apps.EventTrackingConfig",
    # django-waffle: edx-completion's switch ``completion.enable_completion_tracking`` lives here.
    # The LMS host gets edx-completion itself (app ``completion``) from its lms.djangoapp entry point.
    "waffle",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "lms@stand-in.test"

# The platform adapter is served by the stand-in.
XAPI_PLATFORM_BACKEND = "xapi_plugin.testing.standin_platform.StandInPlatformBackend"

# openedx-events raises receiver errors only for listed events; the plugin's receivers must
# never raise anyway, and the tests check that with the events listed.
EVENT_TRACKING_ENABLED = True
EVENT_TRACKING_BACKENDS = {}
EVENT_TRACKING_PROCESSORS = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"xapi_plugin": {"handlers": ["console"], "level": os.environ.get("XAPI_LOG_LEVEL", "WARNING")}},
}
