"""Fixtures of the learning path tests: a real LRS handed to the unittest-style test classes."""

import pytest


@pytest.fixture
def lrs_for_class(request, local_lrs):
    """Expose the session's real LRS to ``unittest`` classes as ``self.lrs``."""
    request.cls.lrs = local_lrs
    return local_lrs


@pytest.fixture(autouse=True)
def _forget_cached_identities():
    """Each test's database starts empty (same user ids, other emails): so must the identity cache."""
    from xapi_plugin.privacy.identity import forget_learner  # noqa: PLC0415

    forget_learner()
    yield
    forget_learner()
