"""Base settings of a stand-in LMS or Studio (the test host and the demo build on these).

A host module imports this, adds its own app, then asks the plugin framework for plugin apps
(``get_plugin_apps``) and plugin settings (``add_plugins``), as ``lms/envs/common.py`` does.
The plugin framework here does not load xblocks-contrib's plugin apps (the platform's block
packages, installed for the tests; see :func:`leave_out_block_packages`): they only contribute
templates (put in ``TEMPLATES["DIRS"]`` instead), and loading them makes every host process
import every block and numpy, scipy... at start-up (2-5 s per process and Celery worker here).
Environment variables choose the database: SQLite (``XAPI_HOST_SQLITE``, a file path) by
default, MariaDB/MySQL when ``XAPI_HOST_MYSQL_PORT`` is set.
"""

import importlib.util
import os
from pathlib import Path

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


def _block_template_dirs() -> list[str]:
    # find_spec locates the package without importing it (importing it loads every block).
    spec = importlib.util.find_spec("xblocks_contrib")
    if spec is None or not spec.submodule_search_locations:
        return []
    capa = Path(next(iter(spec.submodule_search_locations))) / "problem" / "capa" / "templates"
    return [str(capa)] if capa.is_dir() else []


BLOCK_PACKAGES = ("xblocks_contrib",)


def leave_out_block_packages() -> None:
    """Make the plugin framework's app registry skip entry points of ``BLOCK_PACKAGES``, unloaded.

    edx-django-utils loads every entry point of a project type to find plugin apps (settings,
    URLs, signals); this loads only the others (by name), so the block packages are never
    imported unless a test uses a block.
    """
    from collections import OrderedDict  # noqa: PLC0415
    from importlib.metadata import entry_points  # noqa: PLC0415

    from edx_django_utils.plugins.registry import DjangoAppRegistry  # noqa: PLC0415
    from stevedore import NamedExtensionManager  # noqa: PLC0415

    # Per namespace, cached as the framework caches it (drop_unhosted_plugin_apps edits the dict).
    found: dict[str, OrderedDict] = {}

    def get_available_plugins(cls, namespace=None):
        namespace = namespace or cls.NAMESPACE
        if namespace not in found:
            names = [ep.name for ep in entry_points(group=namespace) if not ep.value.startswith(BLOCK_PACKAGES)]
            manager = NamedExtensionManager(namespace=namespace, names=names, name_order=True)
            found[namespace] = OrderedDict((name, manager[name].plugin) for name in manager.names())
        return found[namespace]

    DjangoAppRegistry.get_available_plugins = classmethod(get_available_plugins)


leave_out_block_packages()


TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": _block_template_dirs(),
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
# Apps without their own default_auto_field (learning_paths) keep the AutoField of their migrations.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("XAPI_HOST_CACHE_URL"):
    # A cache shared by web and worker processes, as in a real deployment (benchmarks).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["XAPI_HOST_CACHE_URL"],
        }
    }
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

# Plugin apps a stand-in host does not run although they are installed: learning-paths-plugin
# (whose real models the tests and the demo use) requires openedx-completion-aggregator, which
# requires event-routing-backends (and edx-completion, which the stand-in runs), each an lms.djangoapp plugin that
# the plugin framework would add with its settings hooks (ERB rewrites the tracking settings).
# None of them is part of the platform the stand-in plays. (Entry-point names.)
NOT_HOSTED_PLUGIN_APPS = frozenset({"completion_aggregator", "event_routing_backends"})


def drop_unhosted_plugin_apps(project_type: str, names=NOT_HOSTED_PLUGIN_APPS) -> None:
    """Leave ``names`` out of the plugin apps (and plugin settings) the framework finds for ``project_type``.

    Call before ``get_plugin_apps``/``add_plugins``: edx-django-utils caches the entry points it
    found per project type in one dict, which this edits.
    """
    from edx_django_utils.plugins.registry import DjangoAppRegistry  # noqa: PLC0415

    plugins = DjangoAppRegistry.get_available_plugins(project_type)
    for name in names:
        plugins.pop(name, None)
