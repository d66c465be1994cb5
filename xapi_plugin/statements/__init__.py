"""Pure statement builders: plain data in, xAPI 1.0.3 statement dicts out; no I/O, no Django models.

``vocabulary`` holds every IRI the plugin sends (verbs, activity types, extensions, categories);
``course``, ``video``, ``paths``, ``problems`` and ``navigation`` build the families' statements;
``common`` the shared activity and context parts; ``actor`` agents; ``ids`` deterministic statement
ids; ``formatting`` timestamps, language tags and IRIs.

Public API: the modules ``vocabulary``, ``course``, ``video``, ``paths`` (learning paths), ``problems``
and ``navigation``, and ``build_agent``,
``opaque_account_name``, ``is_valid_email``, ``needs_account``, ``block_activity_id``, ``course_activity``,
``build_context``, ``build_statement``, ``CourseBasis``, ``VideoTarget``, ``build_video_statement``,
``language_tag``, ``deterministic_uuid``, ``deterministic_uuid4_shaped``, ``statement_id``,
``statement_problems`` (a structural xAPI 1.0.3 check, ``validation``).
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "vocabulary": "vocabulary",
    "course": "course",
    "video": "video",
    "paths": "paths",
    "problems": "problems",
    "navigation": "navigation",
    "build_agent": "actor",
    "opaque_account_name": "actor",
    "is_valid_email": "actor",
    "needs_account": "actor",
    "block_activity_id": "common",
    "course_activity": "common",
    "build_context": "common",
    "build_statement": "common",
    "CourseBasis": "course",
    "VideoTarget": "video",
    "build_video_statement": "video",
    "language_tag": "formatting",
    "deterministic_uuid": "ids",
    "deterministic_uuid4_shaped": "ids",
    "statement_id": "ids",
    "statement_problems": "validation",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
