"""Receivers of platform signals. Listed in ``apps.py``; connected by the plugin framework.

Receivers are thin and never raise into the code that sent the signal, except the retirement
receivers: a failed retirement step must fail so the platform's pipeline re-runs it.
"""

from xapi_plugin.retirement import (  # noqa: F401  (listed in apps.py)
    user_retire_lms_critical_receiver,
    user_retire_lms_misc_receiver,
)
from xapi_plugin.tracking import tracking_event_emitted_receiver  # noqa: F401  (listed in apps.py)
