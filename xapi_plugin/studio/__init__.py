"""Course staff's side: a course's xAPI settings, from Studio's Advanced Settings and the xAPI page.

``course_settings.py`` is the one cached accessor every other package reads a course's settings
through; ``advanced_settings.py`` validates the Advanced Settings ``xapi`` entry and applies it on
publish; ``views.py``/``urls.py`` are the course's xAPI page in Studio (``/xapi/course/<key>/``),
with its template in ``xapi_plugin/templates/xapi_plugin/``.

Public API: ``CourseXapiSettings``, ``get_course_settings``, ``invalidate_course_settings``,
``invalidate_all_course_settings``, ``connect_cache_invalidation``, ``validate_xapi_entry``,
``sync_course_settings``, ``apply_studio_settings_on_publish``.
"""

from xapi_plugin.core.lazy import lazy_exports

_EXPORTS = {
    "CourseXapiSettings": "course_settings",
    "get_course_settings": "course_settings",
    "invalidate_course_settings": "course_settings",
    "invalidate_all_course_settings": "course_settings",
    "connect_cache_invalidation": "course_settings",
    "validate_xapi_entry": "advanced_settings",
    "sync_course_settings": "advanced_settings",
    "apply_studio_settings_on_publish": "advanced_settings",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
