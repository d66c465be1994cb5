"""The video intake in worker mode, without a worker process: what the request stores and what a fold makes of it."""

import random

import pytest
from django.core.cache import cache

from tests.video.conftest import ScriptedPlayer, outbox_statements
from xapi_plugin.models import VideoIntake, VideoViewingState
from xapi_plugin.video import fold_pending

LENGTH = 60


def _script(player: ScriptedPlayer) -> list[dict]:
    events = [player.event("load_video", 0, duration=LENGTH)]
    for n in range(5):
        events.append(player.event("play_video", 1 + 11 * n, currentTime=10 * n, duration=LENGTH))
        events.append(player.event("pause_video", 11 + 11 * n, currentTime=10 * (n + 1), duration=LENGTH))
    return events


def _fold_ids(learner, events) -> list[str]:
    player = ScriptedPlayer(learner.pk)
    for raw in events:
        player.send(raw)
    assert VideoIntake.objects.filter(folded_at__isnull=True).count() == len(events)
    assert not outbox_statements(), "the request path must not fold in worker mode"
    report = fold_pending()
    assert report["folded"] == len(events) and report["failed"] == 0
    assert fold_pending()["folded"] == 0, "a second run folds nothing"
    return [statement["id"] for statement in outbox_statements()]


@pytest.mark.django_db
def test_observations_arriving_out_of_order_fold_as_in_event_order(video_course, learner, settings):
    settings.XAPI_VIDEO_INTAKE = "worker"
    video_course()
    events = _script(ScriptedPlayer(learner.pk))
    shuffled = list(events)
    random.Random(16).shuffle(shuffled)
    out_of_order = _fold_ids(learner, shuffled)

    # The same events in order, folded from scratch, give the same statements.
    VideoIntake.objects.all().delete()
    VideoViewingState.objects.all().delete()
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    OutboxStatement.objects.all().delete()
    cache.clear()  # the intake's duplicate check remembers the first pass
    in_order = _fold_ids(learner, events)
    assert out_of_order == in_order and len(in_order) > len(events) / 2


@pytest.mark.django_db
def test_an_event_from_both_intake_paths_is_stored_once(video_course, learner, settings):
    settings.XAPI_VIDEO_INTAKE = "worker"
    video_course()
    player = ScriptedPlayer(learner.pk, paths=("backend", "signal"))
    player.run([("load_video", 0, {"duration": LENGTH}), ("play_video", 1, {"currentTime": 0, "duration": LENGTH})])
    assert VideoIntake.objects.count() == 2


@pytest.mark.django_db
def test_a_later_page_cannot_shrink_the_pinned_length(video_course, learner, settings):
    """#13.1: a second page claiming the 60 s video is 2 s long does not complete it."""
    settings.XAPI_VIDEO_INTAKE = "worker"
    video_course()
    honest, forger = ScriptedPlayer(learner.pk), ScriptedPlayer(learner.pk, page="http://lms/other")
    events = [honest.event("load_video", 0, duration=LENGTH)]
    events += [forger.event("play_video", 1, currentTime=0, duration=2)]
    events += [forger.event("pause_video", 3, currentTime=2, duration=2)]
    _fold_ids(learner, events)
    state = VideoViewingState.objects.get()
    assert state.length == LENGTH and state.completed_at is None
    assert "completed" not in [s["verb"]["display"]["en-US"] for s in outbox_statements()]


@pytest.mark.django_db
def test_completion_needs_the_server_clock_not_only_the_reported_position(video_course, learner, settings):
    """#13.1: a forged currentTime (60 s of media in 1 s of server time) no longer completes the video."""
    settings.XAPI_VIDEO_INTAKE = "worker"
    video_course()
    player = ScriptedPlayer(learner.pk)
    forged = [
        player.event("load_video", 0, duration=LENGTH),
        player.event("play_video", 1, currentTime=0, duration=LENGTH),
        player.event("pause_video", 2, currentTime=LENGTH, duration=LENGTH),
    ]
    _fold_ids(learner, forged)
    state = VideoViewingState.objects.get()
    assert state.progress == pytest.approx(1.0) and state.completed_at is None
    # Watching on at 2x for long enough (30 s of server time for 60 s at 100 %) completes it.
    cache.clear()
    more = [
        player.event("play_video", 3, currentTime=0, duration=LENGTH),
        player.event("pause_video", 33, currentTime=LENGTH, duration=LENGTH),
    ]
    _fold_more(more)
    assert VideoViewingState.objects.get().completed_at is not None


def _fold_more(events):
    player = ScriptedPlayer(0)
    for raw in events:
        player.send(raw)
    assert fold_pending()["folded"] == len(events)


@pytest.mark.django_db
def test_huge_numbers_in_a_tracking_event_are_skipped_not_raised(video_course, learner, settings):
    """#13.3: currentTime 10**400 used to raise OverflowError out of the handler (counted as a failure)."""
    from xapi_plugin.core import metrics  # noqa: PLC0415

    video_course()
    player = ScriptedPlayer(learner.pk)
    before = metrics.read_counters()
    player.send(player.event("play_video", 1, currentTime=10**400, duration=LENGTH))
    player.send(player.event("pause_video", 2, currentTime=9.2e18, duration=LENGTH))
    after = metrics.read_counters()
    assert after["events_failed"] == before["events_failed"]
    assert after["events_skipped"] == before["events_skipped"] + 2
    assert not VideoIntake.objects.exists()
