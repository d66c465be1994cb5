"""With the video aside live on a learner's page, the player's own events do not describe the viewing again."""

import pytest

from tests.conftest import COURSE_KEY
from tests.video.conftest import VIDEO_ID, ScriptedPlayer, outbox_statements, verbs
from xapi_plugin.core import metrics
from xapi_plugin.video.live_playback import aside_is_reporting, note_aside_reporting

VIDEO_KEY = f"block-v1:{COURSE_KEY.split(':', 1)[1]}+type@video+block@{VIDEO_ID}"
SCRIPT = [
    ("load_video", 0, {"duration": 60}),
    ("play_video", 1, {"currentTime": 0, "duration": 60}),
    ("pause_video", 21, {"currentTime": 20, "duration": 60}),
]


@pytest.mark.django_db
def test_player_events_are_left_to_the_aside(video_course, learner):
    video_course()
    note_aside_reporting(learner.id, VIDEO_KEY)
    assert aside_is_reporting(learner.id, VIDEO_KEY)
    ScriptedPlayer(learner.id).run(SCRIPT)
    assert outbox_statements() == []
    assert metrics.read_counters()[metrics.DEFERRED_TO_ASIDE] == len(SCRIPT)


@pytest.mark.django_db
def test_other_learners_still_use_the_player_events(video_course, learner):
    video_course()
    note_aside_reporting(learner.id + 1, VIDEO_KEY)  # someone else's page has the aside
    ScriptedPlayer(learner.id).run(SCRIPT)
    assert {"initialized", "played", "paused"} <= set(verbs(outbox_statements()))
    assert metrics.read_counters()[metrics.DEFERRED_TO_ASIDE] == 0


@pytest.mark.django_db
def test_worker_mode_stores_player_events_and_the_fold_leaves_them_to_the_aside(video_course, learner, settings):
    """The request path asks no cache about the aside: the fold does, once per learner and video."""
    from xapi_plugin.models import VideoIntake  # noqa: PLC0415
    from xapi_plugin.video import fold_pending  # noqa: PLC0415

    settings.XAPI_VIDEO_INTAKE = "worker"
    video_course()
    note_aside_reporting(learner.id, VIDEO_KEY)
    ScriptedPlayer(learner.id).run(SCRIPT)
    assert VideoIntake.objects.filter(folded_at__isnull=True).count() == len(SCRIPT)
    assert metrics.read_counters()[metrics.DEFERRED_TO_ASIDE] == 0, "nothing decided on the request path"
    report = fold_pending()
    assert report["folded"] == len(SCRIPT) and report["failed"] == 0
    assert outbox_statements() == []
    assert metrics.read_counters()[metrics.DEFERRED_TO_ASIDE] == len(SCRIPT)
    assert not VideoIntake.objects.filter(folded_at__isnull=True).exists(), "deferred rows are not folded again"
