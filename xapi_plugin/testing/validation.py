"""Independent validation of statements for tests: Ralph's pydantic xAPI models and a real LRS.

Ralph (``ralph-malph``) models xAPI 1.0.3 statements and the ADL Video Profile; it is not our
code, so passing it is evidence, not a tautology. Video statements are also checked against the
profile's templates and pattern as its JSON-LD states them (``video_profile.py``). Ralph 5.1
accepts some invalid statements, so tests also post statements to the real local LRS (Learning
Locker's ``xapi-validation``).
"""

import json

import requests
from ralph.models.xapi.base.statements import BaseXapiStatement
from ralph.models.xapi.video import statements as ralph_video

from xapi_plugin.statements import vocabulary as v
from xapi_plugin.testing import video_profile

_VIDEO_MODELS = {
    v.VERB_INITIALIZED: ralph_video.VideoInitialized,
    v.VERB_PLAYED: ralph_video.VideoPlayed,
    v.VERB_PAUSED: ralph_video.VideoPaused,
    v.VERB_SEEKED: ralph_video.VideoSeeked,
    v.VERB_COMPLETED: ralph_video.VideoCompleted,
    v.VERB_TERMINATED: ralph_video.VideoTerminated,
    # Not interacted: Ralph 5.1's closed-captioning model wants cc-enabled in the result's
    # extensions, where the profile's template (and its concept, a context extension) does not.
}


class InvalidStatement(AssertionError):
    """A statement that an independent validator refused."""


def assert_valid_xapi(statement: dict) -> None:
    """Raise InvalidStatement unless Ralph's base xAPI 1.0.3 model accepts the statement."""
    try:
        BaseXapiStatement(**json.loads(json.dumps(statement)))
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError and friends
        raise InvalidStatement(f"not a valid xAPI statement: {exc}\n{json.dumps(statement, indent=1)}") from exc


def assert_valid_video_profile(statement: dict) -> None:
    """Raise InvalidStatement unless the statement is a sound video statement, by two independent readings.

    Ralph's Video Profile model for the verb (``interacted``: its base video model, see
    ``_VIDEO_MODELS``) and our checker of the profile's own templates, read
    from the JSON-LD (:mod:`xapi_plugin.testing.video_profile`). A video statement that does not
    declare the profile must be a progress beacon (``progressed``), which no template covers
    (docs/video.md, "Player events and the profile").
    """
    assert_valid_xapi(statement)
    verb = statement["verb"]["id"]
    model = _VIDEO_MODELS.get(verb, ralph_video.BaseVideoStatement)
    try:
        model(**json.loads(json.dumps(statement)))
    except Exception as exc:  # noqa: BLE001
        raise InvalidStatement(
            f"not valid for the Video Profile ({model.__name__}): {exc}\n{json.dumps(statement, indent=1)}"
        ) from exc
    if not video_profile.declares_profile(statement):
        if verb != v.VERB_PROGRESSED:
            raise InvalidStatement("a Video Profile statement needs the profile in context.contextActivities.category")
        return
    try:
        video_profile.assert_matches_template(statement)
    except video_profile.ProfileMismatch as exc:
        raise InvalidStatement(str(exc)) from exc


def assert_video_sessions(statements: list[dict], *, closed: bool = True) -> int:
    """Every video statement valid (as above), every session following the profile's primary pattern.

    ``closed=False`` when some sessions may still be open (no ``terminated`` yet). Returns the
    number of sessions.
    """
    for statement in statements:
        if (statement.get("object", {}).get("definition") or {}).get("type") == v.ACTIVITY_VIDEO:
            assert_valid_video_profile(statement)
    try:
        return video_profile.assert_profile_statements(statements, closed=closed)
    except video_profile.ProfileMismatch as exc:
        raise InvalidStatement(str(exc)) from exc


def assert_lrs_accepts(endpoint: str, auth: tuple[str, str], statements: list[dict]) -> list[str]:
    """Post statements to a real LRS one by one; raise InvalidStatement with its answer if it refuses one."""
    accepted = []
    for statement in statements:
        answer = requests.post(
            f"{endpoint}/statements",
            data=json.dumps(statement).encode(),
            auth=auth,
            headers={"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"},
            timeout=30,
        )
        if answer.status_code != 200:
            raise InvalidStatement(
                f"the LRS answered {answer.status_code}: {answer.text[:1000]}\n{json.dumps(statement, indent=1)}"
            )
        accepted.extend(answer.json())
    return accepted
