"""Fixtures of the routing tests: two real LRSs (the course's own and an operator's), a fault proxy."""

import pytest

from xapi_plugin.testing.fault_proxy import FaultProxy
from xapi_plugin.testing.local_lrs import LocalLRS


@pytest.fixture
def course_lrs():
    with LocalLRS() as lrs:
        yield lrs


@pytest.fixture
def site_lrs():
    with LocalLRS() as lrs:
        yield lrs


@pytest.fixture
def site_proxy(site_lrs):
    """The operator's LRS behind a proxy that can go down."""
    with FaultProxy.for_lrs(site_lrs) as proxy:
        yield proxy


@pytest.fixture(autouse=True)
def _fresh_caches():
    from xapi_plugin.delivery.lrs_client import clear_caches  # noqa: PLC0415
    from xapi_plugin.privacy import forget_learner  # noqa: PLC0415

    clear_caches()
    forget_learner()
    yield
    clear_caches()
    forget_learner()
