"""Receivers of platform signals. Listed in ``apps.py``; connected by the plugin framework.

Receivers are thin and never raise into the code that sent the signal.
"""

from xapi_plugin.tracking import tracking_event_emitted_receiver  # noqa: F401  (listed in apps.py)
