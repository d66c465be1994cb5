"""Fixtures of the learning path tests: the course tests' own (a real LRS for unittest classes,
a fresh identity cache per test), shared rather than copied."""

from tests.course.conftest import _forget_cached_identities, lrs_for_class  # noqa: F401
