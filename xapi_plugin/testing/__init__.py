"""Public helpers for tests and the demo; every module here is public.

``standin_platform`` (a stand-in platform backend that produces only shapes the real platform
produces), ``events`` (openedx-events data and tracking events as the platform sends them),
``local_lrs`` (a real LRS on 127.0.0.1), ``services`` (Redis, MariaDB, Celery workers, an SMTP sink),
``fault_proxy`` (an HTTP proxy that fails on purpose), ``hostile_lrs`` (an LRS that echoes
credentials, trickles or floods), ``validation`` (xAPI and Video Profile checks),
``host_settings``/``host_app`` (the stand-in LMS and Studio), ``track_views`` (the stand-in LMS's
``/event``, as edx-platform's ``user_track``), ``doc_samples`` (statement samples kept in docs/, checked
by tests).
"""
