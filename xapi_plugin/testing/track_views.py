"""The stand-in LMS's ``/event``: browser tracking events handed to the tracking backends as the LMS does.

Modelled on edx-platform's ``common/djangoapps/track/views/__init__.py`` (``user_track``), its
``track/contexts.py`` (``course_context_from_url``) and ``track/middleware.py`` (the request
context): a backend's ``send(event)`` gets ``name`` = the ``event_type`` field, ``data`` already
parsed from the ``event`` JSON string (kept as the raw string when it is not JSON, ``{}`` when
empty), and a ``context`` with the request's user, session, ip, agent, path ``/event``, and the
course from ``courserun_key`` or the page URL, ``event_source: 'browser'`` and ``page``.
"""

import hashlib
import json
import re

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from eventtracking import tracker
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

# openedx/core/lib/request_utils.py: COURSE_REGEX over settings.COURSE_ID_PATTERN.
COURSE_ID_PATTERN = r"(?P<course_id>[^/+]+(/|\+)[^/+]+(/|\+)[^/?]+)"
COURSE_REGEX = re.compile(rf"^(.*?/course(s)?/)(?!v[0-9]+/[^/]+){COURSE_ID_PATTERN}")


def course_context_from_url(url: str, course_id_string: str | None = None) -> dict:
    """``{'course_id', 'org_id', 'enterprise_uuid'}`` from ``courserun_key`` or the page URL ('' if none)."""
    if not course_id_string and url:
        match = COURSE_REGEX.match(url)
        course_id_string = match.group("course_id") if match else None
    course_key = None
    if course_id_string:
        try:
            course_key = CourseKey.from_string(course_id_string)
        except InvalidKeyError:
            course_key = None
    return {
        "course_id": str(course_key) if course_key else "",
        "org_id": course_key.org if course_key else "",
        "enterprise_uuid": "",
    }


def request_context(request) -> dict:
    """What ``TrackMiddleware.enter_request_context`` puts in ``edx.request`` for this request."""
    user = getattr(request, "user", None)
    session_key = request.session.session_key if hasattr(request, "session") else None
    session = ""
    if session_key:
        session = hashlib.shake_128((settings.SECRET_KEY + session_key).encode()).hexdigest(16)
    return {
        "session": session,
        "user_id": user.pk if user is not None and user.is_authenticated else "",
        "username": user.username if user is not None and user.is_authenticated else "",
        "ip": request.META.get("REMOTE_ADDR", ""),
        "host": request.META.get("SERVER_NAME", ""),
        "agent": request.META.get("HTTP_USER_AGENT", ""),
        "path": request.path,
        "referer": request.META.get("HTTP_REFERER", ""),
        "accept_language": request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
        "client_id": None,
        **course_context_from_url(request.build_absolute_uri()),
    }


def _field(request, name, default=None):
    return request.GET.get(name, request.POST.get(name, default))


@csrf_exempt  # as the LMS's /event (the platform's Logger posts without a CSRF token)
def user_track(request):
    """``POST /event`` with ``event_type``, ``event`` (JSON string), ``courserun_key``, ``page``."""
    name = _field(request, "event_type")
    data = _field(request, "event", {})
    page = _field(request, "page")
    if isinstance(data, str) and len(data) > 0:
        try:
            data = json.loads(data)
            if isinstance(data, dict) and "username" in data:  # _add_user_id_for_username
                data["user_id"] = request.user.pk if request.user.username == data["username"] else None
        except ValueError:
            pass
    course_context = course_context_from_url(page or "", _field(request, "courserun_key"))
    course_context["username"] = request.user.username if request.user.is_authenticated else ""
    course_context["event_source"] = "browser"
    course_context["page"] = page
    with tracker.get_tracker().context("edx.request", request_context(request)):
        with tracker.get_tracker().context("edx.course.browser", course_context):
            tracker.emit(name=name, data=data)
    return HttpResponse("success")
