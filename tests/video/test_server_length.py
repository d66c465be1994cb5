"""#13.1: the video's length comes from the server (edx-val through the platform adapter) when it knows it.

The stand-in reads the real edx-val tables (``edxval.models.Video``), as the LMS's VideoBlock does
through ``edxval.api.get_video_info``; the block's ``edx_video_id`` is set with ``set_edx_video_id``.
"""

import pytest
from django.core.cache import cache

from tests.conftest import COURSE_KEY
from tests.video.conftest import VIDEO_ID, ScriptedPlayer, outbox_statements, verbs
from xapi_plugin import platform
from xapi_plugin.core import metrics
from xapi_plugin.models import VideoViewingState
from xapi_plugin.platform import EdxPlatformBackend, edxval_duration
from xapi_plugin.testing import standin_platform
from xapi_plugin.video import fold_pending

VIDEO_KEY = "block-v1:" + COURSE_KEY.split(":", 1)[1] + "+type@video+block@" + VIDEO_ID
SERVER_LENGTH = 600.0


def _edxval_video(edx_video_id: str, duration: float):
    from edxval.models import Video  # noqa: PLC0415  (real edx-val, installed in the test host)

    return Video.objects.create(
        edx_video_id=edx_video_id, status="ready", client_video_id="lecture.mp4", duration=duration
    )


@pytest.fixture
def server_known_video(db):
    _edxval_video("lecture-600", SERVER_LENGTH)
    standin_platform.set_edx_video_id(VIDEO_KEY, "lecture-600")
    cache.clear()  # the cached length of an earlier test
    yield
    standin_platform.reset()


def _forged_short_viewing(player: ScriptedPlayer) -> list[dict]:
    # The learner's page claims the video is 2 s long, "watches" it all, and waits long enough
    # on the server's clock (100 s) for a 2 s video to count.
    return [
        player.event("load_video", 0, duration=2),
        player.event("play_video", 1, currentTime=0, duration=2),
        player.event("pause_video", 101, currentTime=2, duration=2),
        player.event("complete_video", 101, currentTime=2, duration=2),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["worker", "inline"])
def test_a_learner_claiming_2_s_for_a_600_s_video_cannot_complete_it(
    video_course, learner, settings, server_known_video, mode
):
    settings.XAPI_VIDEO_INTAKE = mode
    video_course()
    player = ScriptedPlayer(learner.pk)
    ignored_before = metrics.read_counters()[metrics.VIDEO_LENGTHS_IGNORED]
    for raw in _forged_short_viewing(player):
        player.send(raw)
    if mode == "worker":
        assert fold_pending()["folded"] == 4
    state = VideoViewingState.objects.get()
    assert state.length == SERVER_LENGTH and state.completed_at is None
    assert state.progress < 0.01
    statements = outbox_statements()
    assert "completed" not in verbs(statements)
    lengths = {
        s["context"]["extensions"].get("https://w3id.org/xapi/video/extensions/length")
        for s in statements
        if s["verb"]["display"]["en-US"] == "initialized"
    }
    assert lengths == {SERVER_LENGTH}
    assert metrics.read_counters()[metrics.VIDEO_LENGTHS_IGNORED] == ignored_before + 4


@pytest.mark.django_db
def test_without_a_server_length_the_first_browser_length_is_pinned(video_course, learner, settings):
    """A YouTube-only block (no edx_video_id): the browser's first plausible length stays, as before."""
    settings.XAPI_VIDEO_INTAKE = "worker"
    video_course()
    cache.clear()
    assert platform.get_video_duration(VIDEO_KEY) is None
    player = ScriptedPlayer(learner.pk)
    player.send(player.event("load_video", 0, duration=60))
    player.send(player.event("play_video", 1, currentTime=0, duration=2))
    fold_pending()
    assert VideoViewingState.objects.get().length == 60


@pytest.mark.django_db
def test_the_server_length_replaces_a_length_pinned_before_it_was_known(video_course, learner, settings):
    settings.XAPI_VIDEO_INTAKE = "worker"
    video_course()
    cache.clear()
    player = ScriptedPlayer(learner.pk)
    player.send(player.event("load_video", 0, duration=2))
    fold_pending()
    assert VideoViewingState.objects.get().length == 2
    _edxval_video("late-encode", SERVER_LENGTH)
    standin_platform.set_edx_video_id(VIDEO_KEY, "late-encode")
    cache.clear()
    player.send(player.event("play_video", 1, currentTime=0, duration=2))
    fold_pending()
    assert VideoViewingState.objects.get().length == SERVER_LENGTH
    standin_platform.reset()


@pytest.mark.django_db
def test_the_length_is_read_once_per_video_and_cached(server_known_video, monkeypatch):
    calls = []
    backend = platform.get_backend()
    real = type(backend).get_video_duration
    monkeypatch.setattr(type(backend), "get_video_duration", lambda self, key: calls.append(key) or real(self, key))
    assert platform.get_video_duration(VIDEO_KEY) == SERVER_LENGTH
    assert platform.get_video_duration(VIDEO_KEY) == SERVER_LENGTH
    assert calls == [VIDEO_KEY]


@pytest.mark.django_db
def test_a_platform_error_reads_as_unknown_and_is_not_cached(server_known_video, monkeypatch):
    backend = platform.get_backend()

    def broken(self, key):
        raise RuntimeError("modulestore down")

    monkeypatch.setattr(type(backend), "get_video_duration", broken)
    assert platform.get_video_duration(VIDEO_KEY) is None
    monkeypatch.undo()
    assert platform.get_video_duration(VIDEO_KEY) == SERVER_LENGTH


@pytest.mark.django_db
def test_edxval_duration_reads_the_real_rows():
    _edxval_video("encoding", 0)  # edx-val's row before the encode pipeline reports a length
    _edxval_video("ready", 12.5)
    assert edxval_duration("ready") == 12.5
    assert edxval_duration(" ready ") == 12.5  # VideoBlock strips the id too
    assert edxval_duration("encoding") is None
    assert edxval_duration("no-such-video") is None
    assert edxval_duration("") is None


def test_the_edx_backend_asks_only_for_video_blocks():
    # Neither a malformed key nor a non-video block reaches the modulestore (not installed here).
    backend = EdxPlatformBackend()
    assert backend.get_video_duration("not a key") is None
    assert backend.get_video_duration(VIDEO_KEY.replace("type@video", "type@problem")) is None
