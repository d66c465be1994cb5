"""A real browser: headless Chromium plays a real video with the aside's script, then shows the Studio page.

The stand-in LMS runs in pytest-django's live server (a thread of this process), serving a unit
page that renders the stand-in video block and its asides' student views, the aside's handler,
and an 8 s WebM made by ffmpeg. The test watches what reached the handler and the outbox.
"""

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.aside import xblock_host
from tests.conftest import COURSE_KEY
from xapi_plugin.aside import video_aside as aside_module
from xapi_plugin.delivery import outbox
from xapi_plugin.models import OutboxStatement, VideoViewingState
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.validation import assert_video_sessions

VIDEO = "block-v1:edX+DemoX+Demo_Course+type@video+block@intro"
LENGTH = 8.0
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
EXT = "https://w3id.org/xapi/video/extensions/"

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _require(path: str, package: str) -> None:
    if not Path(path).exists() and not shutil.which(Path(path).name):
        pytest.fail(f"{path} is missing: install the Debian package {package} (scripts/install-system-deps)")


@pytest.fixture(scope="module")
def test_video(tmp_path_factory):
    """An 8 s VP8 WebM test pattern (Chromium plays VP8 without proprietary codecs)."""
    _require("/usr/bin/ffmpeg", "ffmpeg")
    target = tmp_path_factory.mktemp("media") / "video.webm"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc=duration={LENGTH:g}:size=320x240:rate=25",
         "-c:v", "libvpx", "-b:v", "300k", "-deadline", "realtime", "-cpu-used", "8", "-an", str(target)],
        check=True, timeout=60,
    )  # fmt: skip
    return target


@pytest.fixture
def browser():
    """Headless Chromium with a fresh profile, closed (and its profile removed) after the test."""
    _require(CHROMIUM, "chromium")
    _require(CHROMEDRIVER, "chromium-driver")
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    profile = tempfile.mkdtemp(prefix="xapi-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        "--autoplay-policy=no-user-gesture-required", "--window-size=1200,1800", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _login(driver, base_url: str, user) -> None:
    """Give the browser the session of ``user`` (the live server shares the test database)."""
    client = Client()
    client.force_login(user)
    driver.get(base_url + "/xblock-test/media/none")  # any page of the host, to set a cookie on
    driver.delete_all_cookies()
    driver.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_real_browser_beacons_completion_and_studio_page(
    browser, live_server, settings, test_video, make_course_settings, monkeypatch
):
    settings.ROOT_URLCONF = "tests.aside.xblock_host"
    monkeypatch.setitem(xblock_host.MEDIA, "video.webm", test_video)
    monkeypatch.setattr(outbox, "_schedule_delivery", lambda connection_id: None)  # delivery is not under test

    # What reached the handler (after its checks), with the server's clock.
    received = []
    feed = aside_module.feed_viewing_state

    def recording_feed(user_id, course_key, video_key, page_key, report):
        received.append((time.monotonic(), report))
        return feed(user_id, course_key, video_key, page_key, report)

    monkeypatch.setattr(aside_module, "feed_viewing_state", recording_feed)

    make_course_settings(beacon_interval="quarters", video_end_percent=75, video_end_seconds=0)
    users = get_user_model().objects
    learner = users.create_user("learner", "learner@example.com")
    staff = users.create_user("author", "author@example.com")
    standin_platform.make_course(COURSE_KEY, display_name="Demo Course")
    standin_platform.add_course_staff(COURSE_KEY, staff.pk)

    # -- a learner watches the whole video ----------------------------------------------------------
    _login(browser, live_server.url, learner)
    browser.get(f"{live_server.url}/xblock-test/unit/{VIDEO}/")
    _wait(lambda: browser.execute_script("return document.getElementById('the-video').readyState >= 1"), 15, "video")
    assert browser.find_element("css selector", ".xapi-video-beacon").get_attribute("data-xapi-initialized") == "1"
    duration = browser.execute_script("return document.getElementById('the-video').duration")
    assert duration == pytest.approx(LENGTH, abs=0.1)
    browser.execute_script("document.getElementById('the-video').play()")
    _wait(lambda: browser.execute_script("return document.getElementById('the-video').ended"), 25, "the video's end")
    _wait(lambda: any(report.kind == "ended" for _, report in received), 10, "the ended report")

    kinds = [report.kind for _, report in received]
    assert kinds[0] == "load" and kinds[1] == "play" and kinds[-1] == "ended", kinds
    positions = [(at, report.position) for at, report in received if report.kind == "position"]
    # Quarters of an 8 s video: a report as playback passes 2, 4 and 6 s (timeupdate fires every ~250 ms).
    assert [round(position / 2) * 2 for _, position in positions] == [2, 4, 6], positions
    assert all(0 <= position % 2 < 0.6 for _, position in positions), positions
    gaps = [later[0] - earlier[0] for earlier, later in zip(positions, positions[1:], strict=False)]
    assert all(1.4 < gap < 2.8 for gap in gaps), gaps  # live, while playing: no pause needed

    # The statements that reached the outbox.
    rows = list(OutboxStatement.objects.filter(user_id=learner.pk).order_by("id"))
    verbs = [row.verb for row in rows]
    assert verbs[:2] == ["initialized", "played"], verbs
    assert verbs[-1] == "terminated" and verbs.count("completed") == 1, verbs
    payloads = [json.loads(row.payload) for row in rows]
    assert assert_video_sessions(payloads) == 1  # templates and primary pattern (JSON-LD), Ralph's models
    beacons = [p["result"]["extensions"][EXT + "progress"] for p in payloads if p["verb"]["id"].endswith("progressed")]
    state = VideoViewingState.objects.get(user_id=learner.pk, video_key=VIDEO)
    assert beacons == pytest.approx([0.25, 0.5, 0.75, 1.0], abs=0.02), (beacons, state.segments)
    completed = next(p for p in payloads if p["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed")
    assert completed["result"]["completion"] is True
    assert completed["context"]["extensions"][EXT + "completion-threshold"] == 0.75
    assert completed["result"]["extensions"][EXT + "time"] == pytest.approx(0.75 * LENGTH, abs=0.3)
    assert completed["object"]["id"].endswith(VIDEO)
    assert state.segments == [[0.0, LENGTH]]
    assert state.progress == pytest.approx(1.0, abs=0.01) and state.completed_at is not None

    # -- course staff open the Studio page ----------------------------------------------------------
    _login(browser, live_server.url, staff)
    browser.get(f"{live_server.url}/xapi/course/{COURSE_KEY}/")
    find = browser.find_element
    assert "Demo Course" in find("css selector", "header h1").text
    assert find("id", "in-force-enabled").text == "On"
    assert "at 75 % watched" in find("id", "in-force-threshold").text
    assert find("id", "lrs-status-value").text.startswith("Not used yet")
    pending = find("css selector", '#statement-counts .count[data-state="Pending"] strong').text
    assert int(pending) == len(rows)
    form = find("id", "settings-form")
    assert form.find_element("name", "video_end_percent").get_attribute("value") == "75"
    assert form.find_element("name", "lrs").get_attribute("value") == "Test LRS"
    assert '"xapi"' in find("id", "example-entry").text
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "studio_course_page.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
