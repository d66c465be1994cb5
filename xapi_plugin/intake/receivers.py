"""Receivers of platform signals. Listed in ``apps.py``; connected by the plugin framework.

Receivers are thin and never raise into the code that sent the signal, except the retirement
receivers: a failed retirement step must fail so the platform's pipeline re-runs it.
"""

from xapi_plugin.course import (  # noqa: F401  (listed in apps.py)
    block_completion_saved,  # noqa: F401  (listed in apps.py)
    ccx_course_passing_status_updated_receiver,
    certificate_changed_receiver,
    certificate_created_receiver,
    course_enrollment_changed_receiver,
    course_enrollment_created_receiver,
    course_passing_status_updated_receiver,
    course_unenrollment_completed_receiver,
    persistent_grade_summary_changed_receiver,
)
from xapi_plugin.intake.tracking import tracking_event_emitted_receiver  # noqa: F401  (listed in apps.py)
from xapi_plugin.paths import (  # noqa: F401  (listed in apps.py)
    course_grade_changed,
    course_progress_changed,
    learning_path_deleted,
    learning_path_saved,
)
from xapi_plugin.privacy import (  # noqa: F401  (listed in apps.py)
    user_retire_lms_critical_receiver,
    user_retire_lms_misc_receiver,
)
from xapi_plugin.studio import apply_studio_settings_on_publish  # noqa: F401  (listed in apps.py)
