"""Fixtures of the course-statement tests: a real LRS handed to the unittest-style test classes."""

import pytest


@pytest.fixture
def lrs_for_class(request, local_lrs):
    """Expose the session's real LRS to ``unittest`` classes as ``self.lrs``."""
    request.cls.lrs = local_lrs
    return local_lrs
