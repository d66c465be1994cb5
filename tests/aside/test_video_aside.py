"""The video aside in an XBlock test runtime: views, the overrides handler, the live playback handler."""

import json

import pytest
from django.contrib.auth import get_user_model
from webob import Request

from tests.aside import xblock_host
from tests.aside.xblock_host import StandInLmsRuntime, video_aside, video_block
from tests.conftest import COURSE_KEY
from xapi_plugin.aside import video_aside as aside_module
from xapi_plugin.aside.video_aside import VideoXapiAside
from xapi_plugin.models import OutboxStatement, VideoTrackingOverride, VideoViewingState
from xapi_plugin.studio.course_settings import get_course_settings
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.validation import assert_video_sessions
from xapi_plugin.video.overrides import resolve_video_settings

VIDEO = "block-v1:edX+DemoX+Demo_Course+type@video+block@intro"
OTHER_VIDEO = "block-v1:edX+DemoX+Demo_Course+type@video+block@outro"


@pytest.fixture(autouse=True)
def _video_statements_match_the_profile(request):
    """After each test with a database: every video statement it queued is sound by the profile's templates."""
    uses_db = "db" in request.fixturenames
    if uses_db:
        request.getfixturevalue("db")  # set up first, so it is still there at this teardown
    yield
    if uses_db:
        statements = [json.loads(row.payload) for row in OutboxStatement.objects.order_by("pk")]
        assert_video_sessions(statements, closed=False)


@pytest.fixture(autouse=True)
def _fresh_fields():
    xblock_host.FIELD_STORE.db_dict.clear()
    yield
    xblock_host.FIELD_STORE.db_dict.clear()


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("author", "author@example.com")
    standin_platform.make_course(COURSE_KEY)
    standin_platform.add_course_staff(COURSE_KEY, user.pk)
    return user


@pytest.fixture
def learner(db):
    return get_user_model().objects.create_user("learner", "learner@example.com")


def call(aside, handler, payload):
    """Call a JSON handler as the runtime does; (status, decoded body)."""
    request = Request.blank("/", method="POST", body=json.dumps(payload).encode())
    response = aside.runtime.handle(aside, handler, request)
    return response.status_code, json.loads(response.body)


class FakeClock:
    """Server time for the playback guard, moved by the test."""

    def __init__(self, start=1_000_000.0):
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(aside_module.time, "time", fake)
    return fake


# -- identity and rendering ------------------------------------------------------------------------------


def test_aside_found_through_entry_point_for_videos_only():
    runtime = StandInLmsRuntime(user_id=1)
    aside = video_aside(runtime, VIDEO)
    assert isinstance(aside, VideoXapiAside)
    assert aside.video_key == VIDEO and aside.course_key == COURSE_KEY
    assert VideoXapiAside.should_apply_to_block(video_block(runtime, VIDEO))

    class Html:
        scope_ids = type("Ids", (), {"block_type": "html"})()

    assert not VideoXapiAside.should_apply_to_block(Html())


@pytest.mark.django_db
def test_student_view_has_script_only_when_tracked(make_course_settings):
    runtime = StandInLmsRuntime(user_id=1)
    block = video_block(runtime, VIDEO)
    assert "xapi-video-beacon" not in runtime.render(block, "student_view").body_html()  # course not configured

    make_course_settings(beacon_interval="one_percent")
    fragment = runtime.render(video_block(runtime, VIDEO), "student_view")
    html = fragment.body_html()
    assert 'data-beacon-interval="one_percent"' in html
    assert f"/xblock-test/handler/{VIDEO}/xapi_video/beacon/" in html
    assert "XapiVideoAside" in fragment.foot_html() and "<video" in html

    aside = video_aside(runtime, VIDEO)
    aside.tracking_enabled = False
    aside.save()
    assert "xapi-video-beacon" not in runtime.render(video_block(runtime, VIDEO), "student_view").body_html()


# -- per-video overrides ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_save_overrides_applied_by_resolver(staff, make_course_settings):
    make_course_settings(video_end_percent=100, video_end_seconds=0)
    aside = video_aside(StandInLmsRuntime(user_id=staff.pk), VIDEO)
    status, body = call(aside, "save_overrides", {"tracking_enabled": True, "video_end_percent": 75})
    assert status == 200 and body["saved"]
    # Settings-scope fields are stored (a fresh runtime reads them back) ...
    assert video_aside(StandInLmsRuntime(user_id=None), VIDEO).video_end_percent == 75
    # ... and so is the row the server-side tracking path reads.
    course = get_course_settings(COURSE_KEY)
    resolved = resolve_video_settings(course, VIDEO)
    assert (resolved.tracking_enabled, resolved.end_percent, resolved.end_seconds) == (True, 75, 0)
    assert resolve_video_settings(course, OTHER_VIDEO).end_percent == 100

    status, _ = call(aside, "save_overrides", {"tracking_enabled": False, "video_end_percent": None})
    assert status == 200
    assert not resolve_video_settings(course, VIDEO).tracking_enabled  # cache was dropped on save

    # Back to the course's values: no row left.
    call(aside, "save_overrides", {"tracking_enabled": True, "video_end_percent": "", "video_end_seconds": None})
    assert not VideoTrackingOverride.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, words",
    [
        ({"video_end_percent": 0}, '"video_end_percent" must be a whole number from 1 to 100'),
        ({"video_end_percent": "lots"}, '"video_end_percent" must be a whole number from 1 to 100'),
        ({"video_end_seconds": -3}, '"video_end_seconds" must be a whole number of seconds'),
        ({"tracking_enabled": "no"}, '"tracking_enabled" must be true or false'),
        ({"colour": "red"}, "Unknown fields: colour"),
    ],
)
def test_invalid_overrides_refused(staff, payload, words):
    aside = video_aside(StandInLmsRuntime(user_id=staff.pk), VIDEO)
    status, body = call(aside, "save_overrides", payload)
    assert status == 400 and words in body["error"]
    assert not VideoTrackingOverride.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["learner", "anonymous"])
def test_overrides_refused_for_non_staff(staff, learner, who):
    aside = video_aside(StandInLmsRuntime(user_id=learner.pk if who == "learner" else None), VIDEO)
    status, body = call(aside, "save_overrides", {"tracking_enabled": False})
    assert status == 403 and "Studio write access" in body["error"]
    assert not VideoTrackingOverride.objects.exists()
    assert video_aside(StandInLmsRuntime(user_id=None), VIDEO).tracking_enabled is True


# -- live playback ------------------------------------------------------------------------------------------


def report(kind, seq, position, duration=8.0, page="page0001", **extra):
    return {"kind": kind, "seq": seq, "position": position, "duration": duration, "page": page, **extra}


def verbs(user_id=None):
    rows = OutboxStatement.objects.order_by("id")
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    return [row.verb for row in rows]


@pytest.fixture
def tracked(make_course_settings, learner):
    make_course_settings(beacon_interval="quarters", video_end_percent=75)
    return video_aside(StandInLmsRuntime(user_id=learner.pk), VIDEO)


def test_playback_reports_feed_viewing_state(tracked, learner, clock):
    assert call(tracked, "beacon", report("load", 1, 0.0))[0] == 200
    assert call(tracked, "beacon", report("play", 2, 0.0))[0] == 200
    for seq, position in enumerate((2.0, 4.0, 6.0), start=3):
        clock.now += 2.0
        status, body = call(tracked, "beacon", report("position", seq, position))
        assert status == 200, body
    clock.now += 2.0
    assert call(tracked, "beacon", report("ended", 6, 8.0))[0] == 200

    state = VideoViewingState.objects.get(user_id=learner.pk, video_key=VIDEO)
    assert state.progress == pytest.approx(1.0)
    assert state.completed_at is not None
    sent = verbs(learner.pk)
    assert sent[:2] == ["initialized", "played"]
    assert sent.count("progressed") == 4 and sent.count("completed") == 1 and sent[-1] == "terminated"
    # Completion at the course's 75 %, between the 50 % and 75 % beacons.
    assert sent.index("completed") < len(sent) - 1
    completed = json.loads(OutboxStatement.objects.get(user_id=learner.pk, verb="completed").payload)
    assert completed["result"]["completion"] is True
    assert completed["context"]["extensions"]["https://w3id.org/xapi/video/extensions/completion-threshold"] == 0.75


def test_accepted_reports_note_live_playback(tracked, learner, staff, clock):
    from xapi_plugin.video.live_playback import aside_is_reporting  # noqa: PLC0415

    assert not aside_is_reporting(learner.pk, VIDEO)
    call(tracked, "beacon", report("position", 1, 3.0))  # refused (409): no note
    assert not aside_is_reporting(learner.pk, VIDEO)
    call(tracked, "beacon", report("load", 2, 0.0))
    assert aside_is_reporting(learner.pk, VIDEO)
    assert not aside_is_reporting(staff.pk, VIDEO) and not aside_is_reporting(learner.pk, OTHER_VIDEO)


def test_user_comes_from_runtime_not_payload(tracked, learner, staff, clock):
    payload = report("play", 1, 0.0, user_id=staff.pk, user="author")
    assert call(tracked, "beacon", payload)[0] == 200
    assert list(VideoViewingState.objects.values_list("user_id", flat=True)) == [learner.pk]
    assert set(OutboxStatement.objects.values_list("user_id", flat=True)) == {learner.pk}


def test_jump_beyond_wall_clock_refused(tracked, learner, clock):
    call(tracked, "beacon", report("play", 1, 0.0))
    clock.now += 1.0
    status, body = call(tracked, "beacon", report("position", 2, 7.5))
    assert status == 400 and "advanced" in body["error"]
    clock.now += 0.5
    status, body = call(tracked, "beacon", report("ended", 3, 8.0))
    assert status == 400
    state = VideoViewingState.objects.get(user_id=learner.pk, video_key=VIDEO)
    assert state.completed_at is None and state.progress < 0.3
    assert "completed" not in verbs()


def test_seek_does_not_count_as_watched(tracked, learner, clock):
    call(tracked, "beacon", report("play", 1, 0.0))
    clock.now += 1.0
    assert call(tracked, "beacon", report("seek", 2, 7.0, time_from=1.0, time_to=7.0))[0] == 200
    clock.now += 1.0
    assert call(tracked, "beacon", report("ended", 3, 8.0))[0] == 200
    state = VideoViewingState.objects.get(user_id=learner.pk, video_key=VIDEO)
    assert state.progress == pytest.approx(2.0 / 8.0)
    assert "completed" not in verbs()
    # A seek cannot claim watching up to its start either.
    page = "page0002"
    call(tracked, "beacon", report("play", 1, 0.0, page=page))
    clock.now += 1.0
    status, _ = call(tracked, "beacon", report("seek", 2, 1.0, page=page, time_from=7.0, time_to=1.0))
    assert status == 400


def test_parallel_pages_do_not_multiply_speed(tracked, learner, clock):
    pages = [f"tab{n:05d}" for n in range(4)]
    for n, page in enumerate(pages):
        call(tracked, "beacon", report("play", 1, 2.0 * n, page=page))
    clock.now += 2.0
    accepted = [
        call(tracked, "beacon", report("position", 2, 2.0 * n + 2.0, page=page))[0] for n, page in enumerate(pages)
    ]
    assert accepted.count(200) < len(pages)


def test_replayed_and_out_of_order_reports_refused(tracked, clock):
    call(tracked, "beacon", report("play", 5, 0.0))
    clock.now += 1.0
    assert call(tracked, "beacon", report("position", 6, 1.0))[0] == 200
    assert call(tracked, "beacon", report("position", 6, 1.0))[0] == 400
    assert call(tracked, "beacon", report("pause", 4, 1.0))[0] == 400


def test_unknown_page_must_start_with_play(tracked, clock):
    status, body = call(tracked, "beacon", report("position", 3, 4.0, page="fresh0001"))
    assert status == 409 and "play" in body["error"]
    assert not VideoViewingState.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "fly", "seq": 1, "position": 0, "page": "page0001"},
        {"kind": "play", "seq": "1", "position": 0, "page": "page0001"},
        {"kind": "play", "seq": 1, "position": "0", "page": "page0001"},
        {"kind": "play", "seq": 1, "position": 0, "page": "x"},
        {"kind": "play", "seq": 1, "position": -1, "page": "page0001"},
        {"kind": "seek", "seq": 1, "position": 0, "page": "page0001"},
        {"kind": "play", "seq": 1, "position": 9e9, "duration": 8, "page": "page0001"},
        ["play"],
    ],
)
def test_malformed_reports_refused(tracked, clock, payload):
    status, body = call(tracked, "beacon", payload)
    assert status == 400 and body["error"]
    assert not VideoViewingState.objects.exists()


@pytest.mark.django_db
def test_anonymous_reports_refused(make_course_settings, clock):
    make_course_settings()
    aside = video_aside(StandInLmsRuntime(user_id=None), VIDEO)
    status, _ = call(aside, "beacon", report("play", 1, 0.0))
    assert status == 403
    assert not VideoViewingState.objects.exists()


def test_video_switched_off_records_nothing(tracked, staff, learner, clock):
    call(video_aside(StandInLmsRuntime(user_id=staff.pk), VIDEO), "save_overrides", {"tracking_enabled": False})
    assert call(tracked, "beacon", report("play", 1, 0.0))[0] == 200
    assert not OutboxStatement.objects.exists()


def test_handler_over_http(client, settings, tracked, learner, clock):
    """Through a Django view, as the LMS routes handler URLs; the session decides the user."""
    settings.ROOT_URLCONF = "tests.aside.xblock_host"
    url = f"/xblock-test/handler/{VIDEO}/xapi_video/beacon/"
    body = json.dumps(report("play", 1, 0.0))
    assert client.post(url, body, content_type="application/json").status_code == 403  # anonymous
    client.force_login(learner)
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["accepted"]
    assert VideoViewingState.objects.filter(user_id=learner.pk).exists()


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"kind": "play", "seq": 1, "position": 10**400, "page": "page0001"}, "at most 15 digits"),
        ({"kind": "play", "seq": 1, "position": 0, "duration": 9.2e18, "page": "page0001"}, "0.5 to 86400"),
        ({"kind": "play", "seq": 1, "position": 0, "duration": 0.0004, "page": "page0001"}, "0.5 to 86400"),
        ({"kind": "seek", "seq": 1, "position": 0, "time_from": 0, "time_to": 10**400, "page": "page0001"}, "digits"),
        ({"kind": "seek", "seq": 1, "position": 0, "time_from": 0, "time_to": 1e300, "page": "page0001"}, "time_to"),
    ],
)
def test_huge_and_absurd_numbers_get_a_400_that_says_why(tracked, clock, payload, words):
    """#13.3: 10**400 used to raise OverflowError (a 500); 9.2e18 s and 0.0004 s lengths were accepted."""
    status, body = call(tracked, "beacon", payload)
    assert status == 400 and words in body["error"], body
    assert not VideoViewingState.objects.exists()


def test_a_flood_of_reports_is_throttled_per_learner(tracked, learner, clock):
    """#13.2: 1,000 play/pause reports in no time used to become 1,002 outbox rows."""
    statuses = []
    call(tracked, "beacon", report("load", 1, 0.0))
    for seq in range(2, 1002):
        statuses.append(call(tracked, "beacon", report("play" if seq % 2 else "pause", seq, 0.0))[0])
    assert statuses.count(429) >= 990
    status, body = call(tracked, "beacon", report("play", 2000, 0.0))
    assert status == 429 and "at most 2 a second" in body["error"]
    assert OutboxStatement.objects.count() <= 12
    clock.now += 5.0  # the allowance refills at 2 a second
    assert call(tracked, "beacon", report("pause", 2001, 0.0))[0] == 200


def test_repeated_reports_that_change_nothing_are_not_fed(tracked, learner, clock):
    call(tracked, "beacon", report("load", 1, 0.0))
    call(tracked, "beacon", report("play", 2, 0.0))
    clock.now += 1.0
    assert call(tracked, "beacon", report("pause", 3, 1.0))[0] == 200
    before = VideoViewingState.objects.get().version
    for seq in range(4, 8):
        clock.now += 1.0
        status, body = call(tracked, "beacon", report("pause", seq, 1.0))
        assert status == 200 and body.get("unchanged") is True
    assert VideoViewingState.objects.get().version == before


def test_fresh_page_ids_cannot_grow_the_open_sessions_without_bound(tracked, learner, clock):
    """#13.2: 300 fresh page ids left 300 open sessions in one state row; the oldest now end with terminated."""
    from xapi_plugin.video.viewing import MAX_OPEN_SESSIONS  # noqa: PLC0415

    for n in range(40):
        clock.now += 1.0
        assert call(tracked, "beacon", report("play", 1, 0.0, page=f"fresh{n:04d}"))[0] == 200
    state = VideoViewingState.objects.get()
    assert len(state.sessions) == MAX_OPEN_SESSIONS
    assert verbs(learner.pk).count("terminated") == 40 - MAX_OPEN_SESSIONS
