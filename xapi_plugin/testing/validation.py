"""Independent validation of statements for tests: Ralph's pydantic xAPI models and a real LRS.

Ralph (``ralph-malph``) models xAPI 1.0.3 statements and the ADL Video Profile; it is not our
code, so passing it is evidence, not a tautology. Ralph 5.1 accepts some invalid statements, so
tests also post statements to the real local LRS (Learning Locker's ``xapi-validation``).
"""

import json

import requests
from ralph.models.xapi.base.statements import BaseXapiStatement
from ralph.models.xapi.video import statements as ralph_video

from xapi_plugin.statements import vocabulary as v

_VIDEO_MODELS = {
    v.VERB_INITIALIZED: ralph_video.VideoInitialized,
    v.VERB_PLAYED: ralph_video.VideoPlayed,
    v.VERB_PAUSED: ralph_video.VideoPaused,
    v.VERB_SEEKED: ralph_video.VideoSeeked,
    v.VERB_COMPLETED: ralph_video.VideoCompleted,
    v.VERB_TERMINATED: ralph_video.VideoTerminated,
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
    """Raise InvalidStatement unless Ralph's Video Profile model for the verb accepts the statement.

    ``interacted`` has no general model in Ralph (only captions, volume and screen); it is checked
    against Ralph's base video statement (video activity type, profile category).
    """
    assert_valid_xapi(statement)
    model = _VIDEO_MODELS.get(statement["verb"]["id"], ralph_video.BaseVideoStatement)
    try:
        model(**json.loads(json.dumps(statement)))
    except Exception as exc:  # noqa: BLE001
        raise InvalidStatement(
            f"not valid for the Video Profile ({model.__name__}): {exc}\n{json.dumps(statement, indent=1)}"
        ) from exc
    categories = statement.get("context", {}).get("contextActivities", {}).get("category", [])
    if not any(category.get("id") == v.CATEGORY_VIDEO_PROFILE for category in categories):
        raise InvalidStatement("a Video Profile statement needs the profile in context.contextActivities.category")


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
