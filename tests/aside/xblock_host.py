"""A small XBlock runtime for tests, shaped like the LMS's where the aside can tell.

* Usage ids are real opaque keys (``block-v1:...+type@video+block@...``) and aside ids are
  ``AsideUsageKeyV2``, as in edx-platform, so the aside finds its course and video keys the same way.
* The current user comes from a ``user`` service returning an ``XBlockUser`` with the
  ``edx-platform.user_id`` attribute, as the LMS's does.
* Handler URLs point at :func:`aside_handler`, a Django view that rebuilds the aside and calls
  ``runtime.handle`` with a webob request, as the LMS's ``handle_xblock_callback`` does.

``urlpatterns`` adds these views (and a page playing a test video through the stand-in video block)
to the stand-in LMS's own; the browser test points ``ROOT_URLCONF`` at this module.
"""

from pathlib import Path

import webob
from django.http import FileResponse, Http404, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from opaque_keys.edx.asides import AsideUsageKeyV2
from opaque_keys.edx.keys import UsageKey
from web_fragments.fragment import Fragment
from xblock.core import XBlock
from xblock.fields import ScopeIds, String
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import DictKeyValueStore, IdGenerator, IdReader, KvsFieldData
from xblock.test.tools import TestRuntime

from tests.host.urls import urlpatterns as host_urlpatterns

ASIDE_TYPE = "xapi_video"

# Settings-scope fields (the aside's per-video choices) live here for the whole test process,
# as the modulestore keeps them between requests.
FIELD_STORE = DictKeyValueStore()

# Where the browser test puts its video file.
MEDIA: dict[str, Path] = {}


class StandInVideoBlock(XBlock):
    """A stand-in for the platform's video block: a plain HTML5 ``<video>`` element."""

    display_name = String(default="Test video")
    source = String(default="")

    def student_view(self, context=None):
        return Fragment(
            f'<div class="video"><video id="the-video" src="{self.source}" preload="auto" muted playsinline '
            'controls width="320" height="240"></video></div>'
        )


class OpaqueKeyIds(IdReader, IdGenerator):
    """Ids as edx-platform has them: opaque usage keys, ``AsideUsageKeyV2`` for asides."""

    def get_usage_id_from_aside(self, aside_id):
        return aside_id.usage_key

    def get_definition_id_from_aside(self, aside_id):
        return aside_id[1]

    def get_definition_id(self, usage_id):
        return ("definition", str(usage_id))

    def get_block_type(self, def_id):
        return UsageKey.from_string(def_id[1]).block_type

    def get_aside_type_from_usage(self, aside_id):
        return aside_id.aside_type

    def get_aside_type_from_definition(self, aside_id):
        return aside_id[2]

    def create_aside(self, definition_id, usage_id, aside_type):
        return ("aside-definition", definition_id, aside_type), AsideUsageKeyV2(usage_id, aside_type)

    def create_usage(self, def_id):
        raise NotImplementedError("usages are made from opaque keys in these tests")

    def create_definition(self, block_type, slug=None):
        raise NotImplementedError("definitions are derived from usage keys in these tests")


class StandInUserService(UserService):
    """The current user as the LMS's user service describes them."""

    def __init__(self, user_id: int | None, **kwargs):
        super().__init__(**kwargs)
        self.user_id = user_id

    def get_current_user(self):
        user = XBlockUser(is_current_user=True)
        user.opt_attrs["edx-platform.is_authenticated"] = self.user_id is not None
        user.opt_attrs["edx-platform.user_id"] = self.user_id
        return user


class StandInLmsRuntime(TestRuntime):
    """A ``TestRuntime`` with opaque-key ids, a user service, and handler URLs served by Django."""

    def __init__(self, user_id: int | None = None, field_store: DictKeyValueStore = FIELD_STORE):
        ids = OpaqueKeyIds()
        super().__init__(
            ids,
            id_generator=ids,
            services={"field-data": KvsFieldData(field_store), "user": StandInUserService(user_id)},
        )
        self.current_user_id = user_id

    def handler_url(self, block, handler_name, suffix="", query="", thirdparty=False):
        # The path of ``xblock_test_handler`` below (built by hand: tests may run with another urlconf).
        usage = block.scope_ids.usage_id
        url = f"/xblock-test/handler/{usage.usage_key}/{usage.aside_type}/{handler_name}/"
        return url + (f"?{query}" if query else "")

    def resource_url(self, resource):
        return f"/static/{resource}"

    def local_resource_url(self, block, uri):
        return f"/static/{uri}"

    def publish(self, block, event_type, event_data):
        pass


def video_block(runtime: StandInLmsRuntime, usage_key: str, source: str = "") -> StandInVideoBlock:
    """The stand-in video block at ``usage_key``."""
    key = UsageKey.from_string(usage_key)
    ids = ScopeIds(runtime.current_user_id, "video", ("definition", usage_key), key)
    block = runtime.construct_xblock_from_class(StandInVideoBlock, ids)
    block.source = source
    return block


def video_aside(runtime: StandInLmsRuntime, usage_key: str):
    """The xAPI aside decorating the video at ``usage_key`` (found through its entry point)."""
    block = video_block(runtime, usage_key)
    return runtime.get_aside_of_type(block, ASIDE_TYPE)


def _user_id(request) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


@csrf_exempt  # as the LMS's xblock handler view; the script sends the CSRF header anyway
def aside_handler(request, usage_key: str, aside_type: str, handler: str):
    """Call one handler of the aside, as the LMS's handle_xblock_callback does."""
    if aside_type != ASIDE_TYPE:
        raise Http404
    runtime = StandInLmsRuntime(_user_id(request))
    aside = video_aside(runtime, usage_key)
    webob_request = webob.Request.blank(
        request.get_full_path(),
        method=request.method,
        body=request.body,
        headers={"Content-Type": request.content_type or "application/octet-stream"},
    )
    response = runtime.handle(aside, handler, webob_request)
    return HttpResponse(response.body, status=response.status_code, content_type=response.content_type)


def video_page(request, usage_key: str):
    """A courseware-like page: the video block's student view followed by its asides' views."""
    runtime = StandInLmsRuntime(_user_id(request))
    block = video_block(runtime, usage_key, source="/xblock-test/media/video.webm")
    fragment = runtime.render(block, "student_view")
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Unit</title>"
        f"{fragment.head_html()}</head><body><main>{fragment.body_html()}</main>{fragment.foot_html()}</body></html>"
    )
    return HttpResponse(html)


def media(request, name: str):
    """The test's video file (Chromium plays it from a plain, complete response)."""
    if name not in MEDIA:
        raise Http404
    return FileResponse(open(MEDIA[name], "rb"), content_type="video/webm")  # noqa: SIM115 - FileResponse closes it


urlpatterns = host_urlpatterns + [
    path("xblock-test/unit/<str:usage_key>/", video_page, name="xblock_test_unit"),
    path(
        "xblock-test/handler/<str:usage_key>/<str:aside_type>/<str:handler>/", aside_handler, name="xblock_test_handler"
    ),
    path("xblock-test/media/<str:name>", media, name="xblock_test_media"),
]
