"""Privacy: who a learner is in statements, and forgetting them.

``identity.py`` gives each learner one agent and registration per course (email or an opaque
account, fixed at their first statement) and refuses retired learners; ``retirement.py`` deletes a
retired learner's rows when the platform's retirement signals fire; ``retention.py`` purges
delivered statements and finished viewing state after their retention periods (``tasks.py`` runs
it nightly).

Public API: ``LearnerIdentity``, ``LearnerRetired``, ``get_learner_identity``, ``registration_for``,
``forget_learner``, ``retire_learner``, ``user_retire_lms_critical_receiver``,
``user_retire_lms_misc_receiver``, ``purge``, ``DEFAULT_BATCH_SIZE``, ``purge_expired_data``.
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "LearnerIdentity": "identity",
    "LearnerRetired": "identity",
    "get_learner_identity": "identity",
    "registration_for": "identity",
    "forget_learner": "identity",
    "retire_learner": "retirement",
    "user_retire_lms_critical_receiver": "retirement",
    "user_retire_lms_misc_receiver": "retirement",
    "purge": "retention",
    "DEFAULT_BATCH_SIZE": "retention",
    "purge_expired_data": "tasks",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
