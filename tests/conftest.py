"""Shared fixtures: the stand-in platform, LRS connections, course settings, a real local LRS."""

import pytest
from django.core.cache import cache

from xapi_plugin import platform
from xapi_plugin.privacy import identity as learners
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.local_lrs import LocalLRS
from xapi_plugin.video.state import forget_memoised_settings

COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"


@pytest.fixture(autouse=True)
def _fresh_platform_and_cache():
    """Each test starts with no registered courses and empty caches (user ids repeat across tests)."""
    standin_platform.reset()
    platform.clear_outline_cache()
    learners.forget_learner()
    forget_memoised_settings()
    cache.clear()
    yield
    standin_platform.reset()
    platform.clear_outline_cache()
    learners.forget_learner()
    cache.clear()


@pytest.fixture(scope="session")
def local_lrs():
    """A real LRS (Learning Locker's statement service) on 127.0.0.1 for the whole session."""
    with LocalLRS() as lrs:
        yield lrs


@pytest.fixture
def make_connection(db):
    """Create an LRS connection; credentials go through the encrypting setters."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    def _make(name="Test LRS", endpoint="http://127.0.0.1:9/xAPI", key="k", secret="s", **fields):
        fields.setdefault("available_to_all", True)  # scoped connections: tests/routing
        connection = LRSConnection(name=name, endpoint=endpoint, contact_email="ops@example.com", **fields)
        connection.key = key
        connection.secret = secret
        connection.full_clean()
        connection.save()
        return connection

    return _make


@pytest.fixture
def make_course_settings(db, make_connection):
    """Turn xAPI on for a course (creating a connection unless one is given)."""
    from xapi_plugin.models import CourseSettings  # noqa: PLC0415

    def _make(course_key=COURSE_KEY, connection=None, **fields):
        fields.setdefault("enabled", True)
        row = CourseSettings(course_key=course_key, connection=connection or make_connection(), **fields)
        row.full_clean()
        row.save()
        return row

    return _make
