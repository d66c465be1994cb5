"""Shared settings of the stand-in LMS and Studio used by the tests.

``lms_settings`` and ``cms_settings`` import this, then ask the plugin framework for plugin apps
(``get_plugin_apps``) and plugin settings (``add_plugins``), as ``lms/envs/common.py`` does.
"""

from xapi_plugin.testing.host_settings import *  # noqa: F403
from xapi_plugin.testing.host_settings import BASE_INSTALLED_APPS as _PLATFORM_APPS

# edx-val: the platform's video pipeline app, which xblocks-contrib's VideoBlock reads durations
# and encoded sources from (installed as a dependency of xblocks-contrib; its models need the app).
BASE_INSTALLED_APPS = _PLATFORM_APPS + ["edxval", "tests.host"]
ROOT_URLCONF = "tests.host.urls"

# Unit tests read the outbox right after sending an event: fold in the request. The real-worker
# tests (tests/video/test_intake_workers.py) switch to "worker", the plugin's default.
XAPI_VIDEO_INTAKE = "inline"
XAPI_EVENT_INTAKE = "inline"
# Settings edx-val and xblocks-contrib's VideoBlock read, with lms/envs/common.py's values.
TRANSCRIPT_LANG_CACHE_TIMEOUT = 60 * 60 * 24
FEATURES = {}
AI_TRANSLATIONS_API_URL = ""
YOUTUBE = {"API": "https://www.youtube.com/iframe_api", "TEST_TIMEOUT": 1500, "METADATA_URL": ""}
ALL_LANGUAGES = [["en", "English"]]
LANGUAGE_DICT = {"en": "English"}
YOUTUBE_API_KEY = ""
