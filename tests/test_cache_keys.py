"""Every cache key the plugin builds is one memcached accepts, whatever course or video key it is made from.

Course keys are up to 255 characters (a valid 232-character one is below) and events can carry
anything, spaces included. Memcached refuses keys over 250 bytes or with spaces or control
characters; Django's ``memcache_key_warnings`` says what it would refuse. Part one walks every key
builder with such values; part two finds every ``cache.<op>(...)`` call in the package so that a
new call site cannot appear without its key builder being walked here.
"""

import ast
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import memcache_key_warnings
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

from xapi_plugin import platform
from xapi_plugin.aside import video_aside
from xapi_plugin.core import metrics
from xapi_plugin.delivery import tasks
from xapi_plugin.intake import event_intake
from xapi_plugin.routing import targets as routing_targets
from xapi_plugin.studio import course_settings
from xapi_plugin.video import intake as video_intake
from xapi_plugin.video import live_playback, overrides

ROOT = Path(__file__).resolve().parent.parent / "xapi_plugin"
LONG_COURSE_KEY = "course-v1:" + "O" * 70 + "+" + "C" * 80 + "+" + "R" * 70
assert len(LONG_COURSE_KEY) == 232
HOSTILE = [
    LONG_COURSE_KEY,
    "course-v1:edX+Demo X+2026 with spaces",
    "block-v1:" + "x" * 245 + "+type@video+block@" + "v" * 40,
    "tab\tnew\nline\r\x00 é ✓",
]


def _full_key(key: str) -> str:
    return cache.make_key(key)  # with the host's KEY_PREFIX and version, as memcached gets it


def _built_keys(value: str) -> list[str]:
    page_key, budget_key = video_aside._guard_keys(7, value, "a" * 64)
    return [
        course_settings._cache_key(value),
        overrides._cache_key(value),
        live_playback._key(7, value),
        page_key,
        budget_key,
        event_intake.FOLD_QUEUE.flag_key,
        tasks._QUEUED_KEY.format(2**63),
        course_settings._GENERATION_KEY,
        routing_targets._GENERATION_KEY,
        video_intake.FOLD_QUEUE.flag_key,
        platform._duration_cache_key(value),
        f"xapi_aside:allowance:{2**63}",  # allow_report's key: the learner's integer id
        *(metrics._PREFIX + name for name in metrics.COUNTERS),
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_key_builder_gives_memcached_safe_keys(value):
    for key in _built_keys(value):
        warnings = list(memcache_key_warnings(_full_key(key)))
        assert not warnings, f"{key!r}: {warnings}"


class StrictKeyCache(LocMemCache):
    """A local-memory cache that refuses, as memcached does, the keys memcached refuses."""

    def validate_key(self, key):
        problems = list(memcache_key_warnings(key))
        assert not problems, problems


STRICT = {"default": {"BACKEND": "tests.test_cache_keys.StrictKeyCache"}}


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE[:2])
def test_course_settings_lookup_with_hostile_keys_uses_safe_keys(value):
    with override_settings(CACHES=STRICT):
        assert course_settings.get_course_settings(value) is None
        assert course_settings.get_course_settings(value) is None  # from the cache this time
        course_settings.invalidate_course_settings(value)


# Each cache call site's key argument, as written, in the modules whose builders are walked above.
KNOWN_CALL_KEYS = {
    "delivery/tasks.py": {"key", "_QUEUED_KEY.format(int(connection_id))"},
    "aside/video_aside.py": {
        "page_cache_key",
        "budget_cache_key",
        "_guard_keys(user_id, video_key, page_key)[0]",
        "key",
    },
    "video/live_playback.py": {"_key(user_id, video_key)"},
    "video/overrides.py": {"key", "_cache_key(video_key)"},
    "intake/leases.py": {"self.flag_key"},
    "core/metrics.py": {"key", "_PREFIX + name"},
    "studio/course_settings.py": {"_GENERATION_KEY", "key", "_cache_key(str(course_key))"},
    "routing/targets.py": {"_GENERATION_KEY"},
    "platform/__init__.py": {"key"},
}


def test_no_cache_call_escapes_the_walk():
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if "testing" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "cache"
                and node.args
            ):
                found.setdefault(str(path.relative_to(ROOT)), set()).add(ast.unparse(node.args[0]))
    assert found == KNOWN_CALL_KEYS, "a cache call site changed: walk its key builder in this test, then update"


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE[:2])
def test_visible_blocks_lookup_with_hostile_keys_uses_safe_keys(value):
    from xapi_plugin import platform  # noqa: PLC0415

    with override_settings(CACHES=STRICT):
        first = platform.get_visible_blocks(7, value, version="v1")
        assert platform.get_visible_blocks(7, value, version="v1") == first  # from the cache this time


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_video_duration_lookup_with_hostile_keys_uses_safe_keys(value):
    with override_settings(CACHES=STRICT):
        assert platform.get_video_duration(value) is None
        assert platform.get_video_duration(value) is None  # from the cache this time
