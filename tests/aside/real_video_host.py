"""The real ``VideoBlock`` (xblocks-contrib) and its compiled player, served by the stand-in LMS.

A unit page renders one or more real ``VideoBlock.student_view`` fragments (with the plugin's
aside, through the XBlock runtime's ``render``), inside the scripts an LMS page provides
(``static/lms_page.js``: jQuery, underscore, i18n, the global ``Logger``, the XBlock JS runtime).
The player's ``Logger.log`` posts to ``/event``, the stand-in's ``user_track``
(``xapi_plugin.testing.track_views``), which hands events to the tracking backends as the LMS does.

What ``VideoBlock.get_html`` needs (platform-facts §8): a ``user`` service whose user has
``edx-platform.request_country_code`` and ``edx-platform.user_id``; the settings ``FEATURES``,
``COMPLETION_VIDEO_COMPLETE_PERCENTAGE`` (edx-completion's plugin settings), ``LMS_ROOT_URL``,
``AI_TRANSLATIONS_API_URL`` and ``YOUTUBE``; ``runtime.handler_url`` and ``local_resource_url``;
an optional ``video_config`` service (here: everything off, no translations).
"""

import functools
import json
import threading
from importlib import resources
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse
from django.urls import include, path
from opaque_keys.edx.keys import UsageKey
from xblock.fields import ScopeIds
from xblock.reference.user_service import XBlockUser

from tests.aside import xblock_host
from xapi_plugin.testing.track_views import user_track

# The rest of what the block reads is in tests/host/settings_base.py (edx-val reads it at import).
VIDEO_SETTINGS = {
    "PIPELINE": {"PIPELINE_ENABLED": False},
    "REQUIRE_DEBUG": True,
}
STATIC = Path(__file__).resolve().parent / "static"
# jQuery as Django's admin ships it; underscore from Debian's libjs-underscore (scripts/install-system-deps).
JQUERY = Path(__import__("django").__file__).parent / "contrib/admin/static/admin/js/vendor/jquery/jquery.min.js"
UNDERSCORE = Path("/usr/share/javascript/underscore/underscore.min.js")
JQUERY_UI = Path("/usr/share/javascript/jquery-ui/jquery-ui.min.js")  # Debian libjs-jquery-ui: the slider

# The units the test serves: unit id -> [(video usage key, html5 sources)].
UNITS: dict[str, list[tuple[str, list[str]]]] = {}
# The course's video bumper (course setting ``video_bumper``, inherited by every video), or None.
BUMPER: dict = {}
COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"


class SerialRequests:
    """One request at a time. The live server's threads share the test's in-memory SQLite
    connection, which refuses two writers at once ("table is locked"), and the player's /event
    posts and the aside's reports come together. (The live server's handler is built once per
    session, so this wraps the views, not the middleware.)"""

    lock = threading.Lock()

    @classmethod
    def wrap(cls, view):
        @functools.wraps(view)
        def serial(request, *args, **kwargs):
            with cls.lock:
                return view(request, *args, **kwargs)

        return serial


class RealVideoUserService(xblock_host.StandInUserService):
    """The LMS's user service as ``VideoBlock`` reads it (country code of the request included)."""

    def get_current_user(self):
        user = XBlockUser(is_current_user=True)
        user.opt_attrs["edx-platform.is_authenticated"] = self.user_id is not None
        user.opt_attrs["edx-platform.user_id"] = self.user_id
        user.opt_attrs["edx-platform.request_country_code"] = ""
        return user


class VideoConfigOff:
    """The ``video_config`` service with every option off (no HLS, YouTube allowed, no translations)."""

    def available_translations(self, block, transcripts_info, verify_assets=True, **kwargs):
        return []

    def is_hls_playback_enabled(self, course_id):
        return False

    def is_youtube_blocked_for_course(self, course_id):
        return False

    def is_youtube_deprecated(self, course_id):
        return False

    def is_transcript_feedback_enabled(self, course_id):
        return False

    def get_public_sharing_context(self, block, course_id):
        return {}

    def get_public_video_url(self, block):
        return None


class RealVideoRuntime(xblock_host.StandInLmsRuntime):
    """The stand-in LMS runtime with the services ``VideoBlock`` asks for."""

    def __init__(self, user_id=None):
        super().__init__(user_id)
        self._services["user"] = RealVideoUserService(user_id)
        self._services["video_config"] = VideoConfigOff()

    def handler_url(self, block, handler_name, suffix="", query="", thirdparty=False):
        usage = block.scope_ids.usage_id
        if hasattr(usage, "aside_type"):
            return super().handler_url(block, handler_name, suffix, query, thirdparty)
        return f"/xblock-test/block-handler/{usage}/{handler_name}/{suffix}"

    def local_resource_url(self, block, uri):
        return f"/xblock-test/resource/{block.scope_ids.block_type}/{uri}"


def real_video_block(runtime, usage_key: str, sources: list[str]):
    """xblocks-contrib's ``VideoBlock`` at ``usage_key`` playing ``sources`` (HTML5)."""
    from xblocks_contrib.video import VideoBlock  # noqa: PLC0415

    key = UsageKey.from_string(usage_key)
    block = runtime.construct_xblock_from_class(
        VideoBlock, ScopeIds(runtime.current_user_id, "video", ("definition", usage_key), key)
    )
    block.html5_sources = sources
    block.youtube_id_1_0 = ""
    block.display_name = f"Video {key.block_id}"
    if BUMPER:
        block.video_bumper = dict(BUMPER)  # inherited from the course in the LMS
    return block


def unit_page(request, unit: str):
    """A courseware-like unit: each video block's student view (with its aside) in its own ``.vert``."""
    if unit not in UNITS:
        raise Http404
    runtime = RealVideoRuntime(request.user.pk if request.user.is_authenticated else None)
    verts, head, foot = [], [], []
    for index, (usage_key, sources) in enumerate(UNITS[unit]):
        fragment = runtime.render(real_video_block(runtime, usage_key, sources), "student_view")
        verts.append(f'<div class="vert vert-{index}" data-id="{usage_key}">{fragment.body_html()}</div>')
        head.append(fragment.head_html())
        foot.append(fragment.foot_html())
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Unit</title>"
        f"<script>var $$course_id = {json.dumps(COURSE_KEY)};</script>"
        "<script src='/xblock-test/lib/jquery.js'></script><script src='/xblock-test/lib/jquery-ui.js'></script>"
        "<script src='/xblock-test/lib/underscore.js'></script>"
        "<script src='/xblock-test/lib/lms_page.js'></script>"
        f"{''.join(head)}</head><body><main class='sequence'>{''.join(verts)}</main>{''.join(foot)}</body></html>"
    )
    return HttpResponse(html)


def resource(request, block_type: str, uri: str):
    """A block's public resource (``public/js/video-xblock.js``...), as the LMS serves xblock resources."""
    if block_type != "video" or ".." in uri or not uri.startswith("public/"):
        raise Http404
    target = resources.files("xblocks_contrib.video").joinpath(uri)
    if not target.is_file():
        raise Http404
    content_type = "text/css" if uri.endswith(".css") else "application/javascript"
    return HttpResponse(target.read_bytes(), content_type=content_type)


def library(request, name: str):
    files = {
        "jquery.js": JQUERY,
        "jquery-ui.js": JQUERY_UI,
        "underscore.js": UNDERSCORE,
        "lms_page.js": STATIC / "lms_page.js",
    }
    if name not in files or not files[name].exists():
        raise Http404
    return FileResponse(open(files[name], "rb"), content_type="application/javascript")  # noqa: SIM115


def block_handler(request, usage_key: str, handler: str, suffix: str = ""):
    """The block's own handlers (save_user_state, transcripts...): answered empty; not under test."""
    return HttpResponse(json.dumps({}), content_type="application/json")


_own_patterns = [
    path("event", user_track, name="user_track"),
    path("xblock-test/real-unit/<str:unit>/", unit_page),
    path("xblock-test/resource/<str:block_type>/<path:uri>", resource),
    path("xblock-test/lib/<str:name>", library),
    path("xblock-test/block-handler/<str:usage_key>/<str:handler>/<path:suffix>", block_handler),
    path("xblock-test/block-handler/<str:usage_key>/<str:handler>/", block_handler),
]


for _pattern in xblock_host.urlpatterns + _own_patterns:
    if hasattr(_pattern, "callback"):  # views, not included URL sets (admin, plugins)
        _pattern.callback = SerialRequests.wrap(_pattern.callback)
# edx-val's API, mounted as the LMS mounts it: its serializers reverse 'video-detail'.
urlpatterns = xblock_host.urlpatterns + _own_patterns + [path("api/val/v0/", include("edxval.urls"))]
