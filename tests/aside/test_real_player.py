"""The real video player (xblocks-contrib's ``VideoBlock`` and its compiled ``video-xblock.js``) in Chromium.

The stand-in LMS renders the real block's student view with the plugin's aside; the player's
``Logger.log`` posts to ``/event`` (the stand-in's ``user_track``), which hands each event to the
tracking backends as the LMS does; the test checks what reached the outbox: the learner's
statements, each once, whichever of the player and the aside reported them.
"""

import json

import pytest
from django.contrib.auth import get_user_model

from tests.aside import real_video_host, xblock_host
from tests.aside.test_browser import LENGTH, _login, _wait, browser, test_video  # noqa: F401 - fixtures
from tests.conftest import COURSE_KEY
from xapi_plugin.delivery import outbox
from xapi_plugin.models import OutboxStatement
from xapi_plugin.testing import standin_platform

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BODY = COURSE_KEY.split(":", 1)[1]
FIRST = f"block-v1:{BODY}+type@video+block@first"
SECOND = f"block-v1:{BODY}+type@video+block@second"
SOURCE = "/xblock-test/media/video.webm"


@pytest.fixture
def lms(live_server, settings, test_video, make_course_settings, monkeypatch):  # noqa: F811
    """The stand-in LMS serving real video units; xAPI on for the course; a learner."""
    settings.ROOT_URLCONF = "tests.aside.real_video_host"
    for name, value in real_video_host.VIDEO_SETTINGS.items():
        setattr(settings, name, value)
    monkeypatch.setitem(xblock_host.MEDIA, "video.webm", test_video)
    monkeypatch.setattr(outbox, "_schedule_delivery", lambda connection_id: None)
    make_course_settings(video_end_percent=75, video_end_seconds=0)
    standin_platform.make_course(COURSE_KEY, display_name="Demo Course")
    return get_user_model().objects.create_user("learner", "learner@example.com")


def statements(user) -> list[dict]:
    with real_video_host.SerialRequests.lock:  # not while the live server writes (shared SQLite connection)
        rows = list(OutboxStatement.objects.filter(user_id=user.pk).order_by("id"))
    return [json.loads(row.payload) for row in rows]


def verbs_for(user, video_key) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements(user) if s["object"]["id"].endswith(video_key)]


def wait_for_player(driver, count: int = 1):
    """Until the page holds ``count`` players' ``<video>`` elements with metadata (page errors shown if not)."""
    script = "var v = document.querySelectorAll('.video video'); return v.length >= %d && v[%d].readyState >= 1"
    try:
        _wait(lambda: driver.execute_script(script % (count, count - 1)), 15, "the player's <video>")
    except BaseException:
        print("page errors:", driver.execute_script("return window.__pageErrors"))  # noqa: T201
        print(driver.execute_script("return document.body.innerHTML")[:3000])  # noqa: T201
        raise


def play_to_end(driver, index: int = 0):
    """Press play on the index-th player of the page (through its element, as its play button does)."""
    driver.execute_script(f"document.querySelectorAll('.video video')[{index}].play()")
    _wait(lambda: driver.execute_script(f"return document.querySelectorAll('.video video')[{index}].ended"), 25, "end")


def test_the_real_player_logs_through_event_and_statements_arrive_once(browser, live_server, lms, monkeypatch):  # noqa: F811
    monkeypatch.setitem(real_video_host.UNITS, "one", [(FIRST, [SOURCE])])
    _login(browser, live_server.url, lms)
    browser.get(f"{live_server.url}/xblock-test/real-unit/one/")
    wait_for_player(browser)
    # The aside's script found the player's <video>, made by the player after the aside started.
    _wait(lambda: browser.execute_script("return document.querySelector('.xapi-video-beacon').dataset.xapiAttached"),
          5, "the aside attached")  # fmt: skip
    play_to_end(browser)
    assert_watched_once(lms, FIRST)
    logged = browser.execute_script("return window.__logged")
    assert {"load_video", "play_video"} <= set(logged), logged  # the real player logged through Logger


def assert_watched_once(user, video_key):
    """One viewing, each statement once (the player and the aside both reported it)."""
    _wait(lambda: "completed" in verbs_for(user, video_key), 15, f"completed for {video_key}")
    verbs = verbs_for(user, video_key)
    assert verbs.count("initialized") == 1, verbs
    assert verbs.count("played") == 1, verbs
    assert verbs.count("completed") == 1, verbs
    completed = next(
        s for s in statements(user) if s["verb"]["id"].endswith("completed") and s["object"]["id"].endswith(video_key)
    )
    assert completed["result"]["extensions"]["https://w3id.org/xapi/video/extensions/time"] == pytest.approx(
        0.75 * LENGTH, abs=0.5
    )


def test_two_videos_in_one_unit_each_once(browser, live_server, lms, monkeypatch):  # noqa: F811
    monkeypatch.setitem(real_video_host.UNITS, "two", [(FIRST, [SOURCE]), (SECOND, [SOURCE + "?copy=2"])])
    _login(browser, live_server.url, lms)
    browser.get(f"{live_server.url}/xblock-test/real-unit/two/")
    wait_for_player(browser, count=2)
    _wait(lambda: browser.execute_script(
        "return Array.from(document.querySelectorAll('.xapi-video-beacon')).every(e => e.dataset.xapiAttached)"),
        5, "both asides attached")  # fmt: skip
    play_to_end(browser, index=1)  # the second video only
    assert_watched_once(lms, SECOND)
    assert verbs_for(lms, FIRST).count("played") == 0, verbs_for(lms, FIRST)


def test_a_player_without_an_html5_element_keeps_its_own_events(browser, live_server, lms, monkeypatch):  # noqa: F811
    """An iframe player (YouTube) has no <video> the aside can attach to: its events must still count.

    The block has no HTML5 source (the player shows "No playable video sources found"), so the
    page's ``Logger`` is called as the player's YouTube path calls it (``code`` = the YouTube id).
    Before the fix the aside's render alone silenced these events for 30 minutes.
    """
    monkeypatch.setitem(real_video_host.UNITS, "iframe", [(FIRST, [])])
    _login(browser, live_server.url, lms)
    browser.get(f"{live_server.url}/xblock-test/real-unit/iframe/")
    _wait(lambda: browser.execute_script("return !!window.Logger && !!document.querySelector('.xapi-video-beacon')"),
          10, "the page and the aside")  # fmt: skip
    assert not browser.execute_script("return document.querySelector('.video video')")
    browser.execute_script("""
        var d = {id: 'first', code: 'dQw4w9WgXcQ', duration: 8};
        var log = (name, extra) => Logger.log(name, Object.assign({}, d, extra));
        log('load_video', {});
        setTimeout(() => log('play_video', {currentTime: 0}), 300);
        setTimeout(() => log('pause_video', {currentTime: 6.5}), 2600);  // real time enough (see video.md)
    """)
    _wait(lambda: "paused" in verbs_for(lms, FIRST), 10, "the player's statements")
    assert browser.execute_script("return document.querySelector('.xapi-video-beacon').dataset.xapiAttached") is None
    verbs = verbs_for(lms, FIRST)
    assert verbs[:2] == ["initialized", "played"] and verbs.count("paused") == 1, verbs
    assert verbs.count("played") == 1 and verbs.count("completed") == 1, verbs  # 6.5 s of 8 s: past 75 %


def test_a_bumper_first_then_the_video_made_after_the_click(browser, live_server, lms, settings, monkeypatch):  # noqa: F811
    """A course bumper: the page shows a poster, the bumper plays in its own <video> after the click,
    and the block's <video> is created only after that. The aside attaches to the block's own video
    only; the learner's viewing arrives once."""
    from edxval.models import EncodedVideo, Profile, Video  # noqa: PLC0415

    # edx-val's rows for the bumper, as Studio's video upload makes them (one WebM encoding).
    video = Video.objects.create(
        edx_video_id="bumper-1", status="ready", client_video_id="bumper.webm", duration=LENGTH
    )
    profile, _ = Profile.objects.get_or_create(profile_name="desktop_webm")
    EncodedVideo.objects.create(video=video, profile=profile, url=f"{SOURCE}?bumper=1", file_size=1, bitrate=1)
    settings.FEATURES = {"ENABLE_VIDEO_BUMPER": True, "SHOW_BUMPER_PERIODICITY": 0}
    monkeypatch.setitem(real_video_host.BUMPER, "video_id", "bumper-1")
    monkeypatch.setitem(real_video_host.BUMPER, "transcripts", {})
    monkeypatch.setitem(real_video_host.UNITS, "bumper", [(FIRST, [SOURCE])])
    _login(browser, live_server.url, lms)
    browser.get(f"{live_server.url}/xblock-test/real-unit/bumper/")
    _wait(lambda: browser.execute_script("return !!document.querySelector('.video .btn-pre-roll')"), 15, "the poster")
    assert not browser.execute_script("return document.querySelector('.video video')")  # none before the click
    browser.execute_script("document.querySelector('.video .btn-pre-roll').click()")
    bumper_ready = "var v = document.querySelector('.video video'); return v && v.readyState >= 1"
    _wait(lambda: browser.execute_script(bumper_ready), 15, "the bumper's <video>")
    assert browser.execute_script("return document.querySelector('.video video').currentSrc").__contains__("bumper=1")
    assert not browser.execute_script("return document.querySelector('.xapi-video-beacon').dataset.xapiAttached")
    # The bumper plays to its end; then the player makes the block's own <video>.
    browser.execute_script("var v = document.querySelector('.video video'); v.muted = true; v.play()")
    own_ready = "var v = document.querySelector('.video video'); return v && !/bumper=1/.test(v.currentSrc)"
    _wait(
        lambda: browser.execute_script(own_ready + " && v.readyState >= 1"), 25, "the block's <video> after the bumper"
    )
    _wait(lambda: browser.execute_script("return document.querySelector('.xapi-video-beacon').dataset.xapiAttached"),
          5, "the aside attached to the block's video")  # fmt: skip
    play_to_end(browser)
    assert_watched_once(lms, FIRST)
