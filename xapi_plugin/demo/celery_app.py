"""The demo LMS's Celery app; workers start with ``celery -A xapi_plugin.demo.celery_app worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xapi_plugin.demo.settings")

app = Celery("xapi_demo")
app.config_from_object("django.conf:settings", namespace="CELERY")
# As in the LMS: every installed app's ``tasks`` module, the plugin's included.
app.autodiscover_tasks()
