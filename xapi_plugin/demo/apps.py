"""The demo host's own app: connects the plugin's receivers when Django is ready."""

from xapi_plugin.testing.host_app import StandInHostConfig


class DemoHostConfig(StandInHostConfig):
    name = "xapi_plugin.demo"
    label = "xapi_demo"
    default = True

    def ready(self):
        super().ready()
        # The LMS loads its Celery app at start-up (lms/__init__.py); so does the demo LMS, so that
        # shared tasks are sent to the demo's broker.
        from xapi_plugin.demo import celery_app  # noqa: F401, PLC0415
        from xapi_plugin.demo.cli import publish_demo_courses  # noqa: PLC0415

        # The stand-in keeps course outlines in memory; a real LMS reads them from the modulestore
        # every process shares. Every demo process (web, Celery worker) publishes the same courses,
        # so the worker that reports progress sees the units the learners complete.
        publish_demo_courses()
