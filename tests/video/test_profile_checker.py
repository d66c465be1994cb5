"""The Video Profile checker (xapi_plugin/testing/video_profile.py) against the JSON-LD, and the builders against it.

The checker must catch what it claims to: each test breaks one rule of the profile and expects
the checker to name it, so a checker that accepts everything fails here.
"""

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.common import activity
from xapi_plugin.statements.video import VideoTarget, build_video_statement
from xapi_plugin.testing import video_profile as vp
from xapi_plugin.testing.validation import InvalidStatement, assert_valid_video_profile, assert_video_sessions
from xapi_plugin.video.viewing import VideoIntent

EXT = "https://w3id.org/xapi/video/extensions/"
TEMPLATES = "https://w3id.org/xapi/video/templates#"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SESSION = str(uuid.UUID("6f1f8d6e-3c1b-4f55-9a55-0c2f5a0e1d11"))
TARGET = VideoTarget(
    actor={"objectType": "Agent", "mbox": "mailto:learner@example.com"},
    registration=str(uuid.uuid4()),
    video_id="http://lms.stand-in.test/xblock/block-v1:edX+DemoX+Demo_Course+type@video+block@intro",
    video_name="Intro",
    course=activity("http://lms.stand-in.test/courses/course-v1:edX+DemoX+Demo_Course", v.ACTIVITY_COURSE, "Demo"),
    language="en",
    root_url="http://lms.stand-in.test",
)


def intent(verb: str, second: int, **values) -> VideoIntent:
    values.setdefault("length", 120.0)
    values.setdefault("threshold", 0.9)
    ident = SESSION if verb == v.VERB_INITIALIZED else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{verb}{second}"))
    return VideoIntent(
        verb=verb, statement_id=ident, timestamp=START + timedelta(seconds=second), session_id=SESSION, **values
    )


def session() -> list[dict]:
    """One viewing as the builders make it: every template the plugin uses, and a beacon."""
    watched = {"progress": 0.5, "played_segments": "0.000[.]60.000", "played_time": 60.0}
    intents = [
        intent(v.VERB_INITIALIZED, 0),
        intent(v.VERB_PLAYED, 1, time=0.0, player={"speed": "1.5x"}),
        intent(v.VERB_PROGRESSED, 20, time=30.0, **watched),
        intent(v.VERB_INTERACTED, 30, time=45.0, interaction={"cc_enabled": True, "cc_lang": "fr"}),
        intent(v.VERB_SEEKED, 40, time_from=60.0, time_to=100.0, **watched),
        intent(v.VERB_PAUSED, 50, time=110.0, **watched),
        intent(v.VERB_COMPLETED, 51, time=110.0, **dict(watched, progress=0.9)),
        intent(v.VERB_TERMINATED, 60, time=110.0, **dict(watched, progress=0.9)),
    ]
    return [build_video_statement(each, TARGET) for each in intents]


def test_the_profile_is_read_from_the_json_ld():
    profile = vp.load_profile()
    assert profile.id == "https://w3id.org/xapi/video"
    assert len(profile.templates) == 9 and profile.primary_patterns == [
        "https://w3id.org/xapi/video/patterns#generalpattern"
    ]
    assert profile.extensions[EXT + "session-id"][1]["pattern"].startswith("^[0-9a-fA-F]{8}")


def test_each_statement_the_builders_make_matches_its_template():
    matched = {s["verb"]["display"]["en-US"]: vp.matching_templates(s) for s in session()}
    assert matched == {
        "initialized": [TEMPLATES + "initialized"],
        "played": [TEMPLATES + "played"],
        "progressed": [],  # no template: it does not declare the profile
        "interacted": [TEMPLATES + "closed-captioning"],
        "seeked": [TEMPLATES + "seeked"],
        "paused": [TEMPLATES + "paused"],
        "completed": [TEMPLATES + "completed"],
        "terminated": [TEMPLATES + "terminated"],
    }
    statements = session()
    beacon = statements[2]
    assert not vp.declares_profile(beacon) and all(vp.declares_profile(s) for s in statements if s is not beacon)
    assert assert_video_sessions(statements) == 1  # Ralph's models too


def _broken(verb: str, change) -> dict:
    statement = copy.deepcopy(next(s for s in session() if s["verb"]["id"] == verb))
    change(statement)
    return statement


@pytest.mark.parametrize(
    "verb, change, words",
    [
        (v.VERB_PLAYED, lambda s: s["result"]["extensions"].pop(EXT + "time"), "extensions/time'] is required"),
        (v.VERB_PAUSED, lambda s: s["context"]["extensions"].pop(EXT + "length"), "extensions/length'] is required"),
        (v.VERB_COMPLETED, lambda s: s["result"].pop("duration"), "$.result.duration is required"),
        (v.VERB_INTERACTED, lambda s: s["context"]["extensions"].pop(EXT + "cc-subtitle-lang"), "cc-subtitle-lang"),
        (v.VERB_PLAYED, lambda s: s["context"]["extensions"].update({EXT + "length": "120"}), "is not of type number"),
        (v.VERB_INTERACTED, lambda s: s["context"]["extensions"].update({EXT + "cc-enabled": "yes"}), "boolean"),
        (v.VERB_PAUSED, lambda s: s["context"]["extensions"].update({EXT + "progress": 0.5}), "belongs in result"),
        (v.VERB_SEEKED, lambda s: s["result"]["extensions"].update({EXT + "session-id": SESSION}), "in context"),
        (v.VERB_PLAYED, lambda s: s["context"]["extensions"].update({EXT + "session-id": "abc"}), "pattern"),
        (v.VERB_PLAYED, lambda s: s["context"]["extensions"].update({EXT + "length": 120.0001}), "3 decimals"),
        (v.VERB_PAUSED, lambda s: s["context"]["extensions"].update({EXT + "completion-threshold": 1.5}), "between"),
        (v.VERB_PLAYED, lambda s: s["context"]["extensions"].update({EXT + "loudness": 3}), "not an extension"),
        (v.VERB_PLAYED, lambda s: s["object"]["definition"].update({"type": v.ACTIVITY_COURSE}), "no template"),
    ],
)
def test_the_checker_names_what_a_statement_breaks(verb, change, words):
    statement = _broken(verb, change)
    failures = vp.statement_failures(statement)
    assert any(words in failure for failure in failures), failures
    with pytest.raises(InvalidStatement):
        assert_valid_video_profile(statement)


def test_interacted_for_a_speed_change_matches_no_template():
    # What the plugin used to send: interacted with only the new speed.
    statement = _broken(v.VERB_INTERACTED, lambda s: s["context"]["extensions"].pop(EXT + "cc-enabled"))
    statement["context"]["extensions"].pop(EXT + "cc-subtitle-lang")
    statement["context"]["extensions"][EXT + "speed"] = "1.5x"
    failures = vp.statement_failures(statement)
    assert [f.split(":", 2)[1] for f in failures] == ["//w3id.org/xapi/video/templates#closed-captioning",
                                                       "//w3id.org/xapi/video/templates#volumechange",
                                                       "//w3id.org/xapi/video/templates#screenchange"]  # fmt: skip


def test_sessions_follow_the_primary_pattern():
    statements = session()
    profile_statements = [s for s in statements if vp.declares_profile(s)]
    assert vp.session_failures(profile_statements) == []
    without_end = profile_statements[:-1]
    assert any("primary pattern" in f for f in vp.session_failures(without_end))
    assert vp.assert_profile_statements(without_end, closed=False) == 1  # still open: a sound prefix
    without_start = profile_statements[1:]
    assert any("primary pattern" in f for f in vp.session_failures(without_start))
    with pytest.raises(vp.ProfileMismatch):
        vp.assert_profile_statements(without_start, closed=False)
    terminated_early = [profile_statements[0], profile_statements[-1], *profile_statements[1:-1]]
    assert any("primary pattern" in f for f in vp.session_failures(terminated_early))
    # Reordered by timestamp: a terminated dated before a played is an inversion.
    late_play = copy.deepcopy(profile_statements[1])
    late_play["timestamp"] = (START + timedelta(seconds=90)).isoformat()
    with pytest.raises(vp.ProfileMismatch, match="primary pattern"):
        vp.assert_profile_statements([*profile_statements, late_play])


def test_a_session_with_a_threshold_carries_it_on_the_templates_that_recommend_it():
    statements = [s for s in session() if vp.declares_profile(s)]
    paused = next(s for s in statements if s["verb"]["id"] == v.VERB_PAUSED)
    del paused["context"]["extensions"][EXT + "completion-threshold"]
    assert vp.statement_failures(paused) == []  # alone it matches its template...
    failures = vp.session_failures(statements)
    assert failures == [f"{paused['id']}: the session's completion-threshold is missing"]  # ...not in its session


def test_the_jsonpath_subset():
    document = {"a": {"b c": [1, {"d": 2}], "e": None}, "f": 3}
    assert vp.evaluate("$.a['b c'][1].d", document) == [2]
    assert vp.evaluate("$.a['b c'][*]", document) == [1, {"d": 2}]
    assert vp.evaluate("$['f','a'].e", document) == [None]
    assert vp.evaluate("$.missing.x", document) == []
    with pytest.raises(ValueError, match="unsupported JSONPath"):
        vp.evaluate("$..d", document)


def test_rules_the_video_profile_does_not_use_yet(tmp_path):
    """excluded, any/none and contextCategoryActivityType, from a profile of our own in the same format."""
    document = json.loads(vp.profile_path().read_text())
    template = {
        "id": "urn:test:template",
        "type": "StatementTemplate",
        "verb": v.VERB_PLAYED,
        "contextCategoryActivityType": [v.ACTIVITY_PROFILE],
        "rules": [
            {"location": "$.result.score", "presence": "excluded"},
            {"location": "$.context.language", "any": ["en", "fr"]},
            {"location": "$.context.platform", "none": ["Moodle"]},
        ],
    }
    document["templates"] = [template]
    path = tmp_path / "profile.jsonld"
    path.write_text(json.dumps(document))
    profile = vp.load_profile(str(path))
    played = next(s for s in session() if s["verb"]["id"] == v.VERB_PLAYED)
    assert vp.matching_templates(played, profile) == ["urn:test:template"]
    scored = dict(played, result=dict(played["result"], score={"raw": 1}))
    assert "must not be there" in vp.statement_failures(scored, profile)[0]
    german = copy.deepcopy(played)
    german["context"]["language"] = "de"
    assert "is one of" in vp.statement_failures(german, profile)[0]
    no_category = copy.deepcopy(played)
    del no_category["context"]["contextActivities"]["category"]
    assert vp.matching_templates(no_category, profile) == []
