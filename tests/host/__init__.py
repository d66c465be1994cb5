# The host's Celery app is loaded with the host, as edx-platform's lms/__init__.py loads its own.
from tests.host.celery_app import app as celery_app  # noqa: F401
