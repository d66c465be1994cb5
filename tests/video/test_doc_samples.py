"""docs/video.md's statement samples are what the builders send, and each is sound by the Video Profile.

To refresh them after a deliberate change:
``XAPI_WRITE_DOC_SAMPLES=1 .venv/bin/pytest tests/video/test_doc_samples.py``.
"""

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.common import activity
from xapi_plugin.statements.video import VideoTarget, build_video_statement
from xapi_plugin.testing import video_profile
from xapi_plugin.testing.validation import assert_video_sessions
from xapi_plugin.video.viewing import VideoIntent

DOC = Path(__file__).resolve().parents[2] / "docs" / "video.md"
BEGIN, END = "<!-- samples: video statements -->", "<!-- /samples: video statements -->"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SESSION = "cca0b27e-ebd3-402d-91e7-95cec85345b6"
ROOT = "https://lms.example.com"
TARGET = VideoTarget(
    actor={"objectType": "Agent", "account": {"homePage": ROOT, "name": "8d2f0c3b9a6e41d7"}},
    registration="2c1a2a8e-52d4-5f6b-a0c4-3f1e9a7c5d21",
    video_id=f"{ROOT}/xblock/block-v1:edX+DemoX+Demo_Course+type@video+block@0b9e39477cf34507a7a48f74be381fdd",
    video_name="Welcome to the course",
    course=activity(f"{ROOT}/courses/course-v1:edX+DemoX+Demo_Course", v.ACTIVITY_COURSE, "Demo course"),
    language="en",
    root_url=ROOT,
)


def samples() -> list[dict]:
    """One session of a 195 s video with a 0.949 threshold: every statement kind the plugin sends."""
    speed = {"speed": "1.5x"}
    captions = {"speed": "1.5x", "cc_enabled": True, "cc_lang": "fr"}

    def make(verb, second, source=None, **values):
        values.setdefault("length", 195.0)
        values.setdefault("threshold", 0.949)
        ident = SESSION if verb == v.VERB_INITIALIZED else str(uuid.uuid5(uuid.NAMESPACE_URL, f"sample-{second}"))
        return build_video_statement(
            VideoIntent(
                verb=verb,
                statement_id=ident,
                timestamp=START + timedelta(seconds=second),
                session_id=SESSION,
                source_id=source,
                **values,
            ),  # fmt: skip
            TARGET,
        )

    return [
        make(v.VERB_INITIALIZED, 0),
        make(v.VERB_PLAYED, 1, "evt-play-1", time=0.0),
        make(
            v.VERB_INTERACTED,
            10,
            "evt-captions-10",
            time=9.0,
            player=captions,
            interaction={"cc_enabled": True, "cc_lang": "fr"},
        ),  # fmt: skip
        make(v.VERB_PROGRESSED, 49, time=48.75, progress=0.25, played_segments="0.000[.]48.750", player=captions),
        make(
            v.VERB_PAUSED,
            61,
            "evt-pause-61",
            time=60.0,
            progress=0.307,
            played_segments="0.000[.]60.000",
            player=captions,
        ),  # fmt: skip
        make(
            v.VERB_SEEKED,
            62,
            "evt-seek-62",
            time_from=60.0,
            time_to=120.0,
            progress=0.307,
            played_segments="0.000[.]60.000",
            player=speed,
        ),  # fmt: skip
        make(
            v.VERB_COMPLETED,
            195,
            time=185.055,
            progress=0.949,
            played_time=192.055,
            played_segments="0.000[.]60.000[,]60.000[.]185.055",
            player=speed,
        ),  # fmt: skip
        make(
            v.VERB_TERMINATED,
            196,
            "evt-ended-196",
            time=186.0,
            progress=0.953,
            played_segments="0.000[.]60.000[,]60.000[.]186.000",
            player=speed,
        ),  # fmt: skip
    ]


def markdown(statements: list[dict]) -> str:
    parts = [BEGIN]
    for statement in statements:
        templates = video_profile.matching_templates(statement)
        label = ", ".join(t.rsplit("/", 1)[-1] for t in templates) or "no template: outside the profile"
        parts.append(f"`{statement['verb']['display']['en-US']}` ({label}):\n\n```json\n"
                     f"{json.dumps(statement, separators=(',', ':'))}\n```")  # fmt: skip
    parts.append(END)
    return "\n\n".join(parts)


def test_samples_are_sound_and_in_the_doc():
    statements = samples()
    assert assert_video_sessions(statements) == 1
    expected = markdown(statements)
    text = DOC.read_text()
    if os.environ.get("XAPI_WRITE_DOC_SAMPLES"):
        start, end = text.index(BEGIN), text.index(END) + len(END)
        DOC.write_text(text[:start] + expected + text[end:])
        text = DOC.read_text()
    assert expected in text, "docs/video.md samples are stale: see this module's docstring to refresh them"
