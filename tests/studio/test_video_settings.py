"""Bug 2: per-video xAPI settings live on the course's xAPI page in Studio, listed from the outline."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import COURSE_KEY
from xapi_plugin.models import VideoTrackingOverride
from xapi_plugin.studio import get_course_settings
from xapi_plugin.testing import standin_platform
from xapi_plugin.video import resolve_video_settings

BODY = COURSE_KEY.split(":", 1)[1]
INTRO = f"block-v1:{BODY}+type@video+block@intro"
LAB = f"block-v1:{BODY}+type@video+block@lab"
UNIT = f"block-v1:{BODY}+type@vertical+block@u1"


@pytest.fixture
def course(db, make_course_settings):
    users = get_user_model().objects
    staff = users.create_user("author", "author@example.com")
    learner = users.create_user("learner", "learner@example.com")
    standin_platform.register_course(
        COURSE_KEY,
        "Demo Course",
        [(f"block-v1:{BODY}+type@chapter+block@c1", "Week 1", [UNIT])],
        videos=[(INTRO, "Welcome", UNIT), (LAB, "Lab walkthrough", UNIT)],
    )
    standin_platform.add_course_staff(COURSE_KEY, staff.pk)
    make_course_settings(video_end_percent=90)
    return {"staff": staff, "learner": learner}


def save_url():
    return reverse("xapi_plugin:course_video_override", args=[COURSE_KEY])


def test_the_page_lists_every_video_of_the_outline(client, course):
    client.force_login(course["staff"])
    html = client.get(reverse("xapi_plugin:course_settings", args=[COURSE_KEY])).content.decode()
    assert 'id="video-list"' in html
    assert "Welcome" in html and "Lab walkthrough" in html
    assert f'data-video-key="{INTRO}"' in html and f'data-video-key="{LAB}"' in html


def test_course_staff_switch_one_video_off_and_override_another(client, course):
    client.force_login(course["staff"])
    response = client.post(save_url(), {"video_key": INTRO, "video_end_percent": ""})  # checkbox off
    assert response.status_code == 302 and "video_saved=" in response["Location"]
    response = client.post(save_url(), {"video_key": LAB, "tracking_enabled": "on", "video_end_percent": "60"})
    assert response.status_code == 302
    assert VideoTrackingOverride.objects.get(video_key=INTRO).tracking_enabled is False
    assert VideoTrackingOverride.objects.get(video_key=LAB).video_end_percent == 60
    # What the tracking-event path reads.
    course_settings = get_course_settings(COURSE_KEY)
    assert resolve_video_settings(course_settings, INTRO).tracking_enabled is False
    assert resolve_video_settings(course_settings, LAB).end_percent == 60
    html = client.get(reverse("xapi_plugin:course_settings", args=[COURSE_KEY])).content.decode()
    assert 'value="60"' in html and "(own settings)" in html
    # Back to the course's settings: the override row goes.
    client.post(save_url(), {"video_key": LAB, "tracking_enabled": "on"})
    assert not VideoTrackingOverride.objects.filter(video_key=LAB).exists()


def test_bad_values_and_foreign_videos_are_refused_with_a_message(client, course):
    client.force_login(course["staff"])
    response = client.post(save_url(), {"video_key": LAB, "tracking_enabled": "on", "video_end_percent": "150"})
    assert response.status_code == 400
    assert "a whole number from 1 to 100" in response.content.decode()
    other = "block-v1:Other+Course+Run+type@video+block@x"
    response = client.post(save_url(), {"video_key": other, "tracking_enabled": "on"})
    assert response.status_code == 400 and "is not a video of this course" in response.content.decode()
    assert not VideoTrackingOverride.objects.exists()


def test_learners_cannot_save(client, course):
    client.force_login(course["learner"])
    response = client.post(save_url(), {"video_key": INTRO})
    assert response.status_code in (302, 403)
    assert not VideoTrackingOverride.objects.exists()


def test_studio_never_calls_an_author_view_of_the_real_video_block():
    """Why the per-video settings moved here: Studio previews a block with ``author_view`` only when the
    class says ``has_author_view``, which xblocks-contrib's VideoBlock does not (its author_view is its
    student_view), so an aside's ``author_view`` is never rendered for a video in Studio."""
    from xblocks_contrib.video import VideoBlock  # noqa: PLC0415

    assert not getattr(VideoBlock, "has_author_view", False)
    assert VideoBlock.author_view.__code__.co_names.count("student_view") == 1
