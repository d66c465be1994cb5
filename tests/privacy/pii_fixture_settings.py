"""The stand-in LMS plus an app with an unannotated model, to prove the PII check fails on it."""

from tests.host.lms_settings import *  # noqa: F403
from tests.host.lms_settings import INSTALLED_APPS

INSTALLED_APPS = INSTALLED_APPS + ["tests.privacy.pii_fixture_app"]
