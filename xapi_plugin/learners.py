"""Who a learner is in a course's statements: one agent and one registration per learner and course.

The agent is fixed at the learner's first statement in the course and kept, so a learner stays
one agent in the LRS even if their email changes later. Changing a course's actor mode applies to
learners who have no statement in it yet (the README warns that existing learners keep theirs).
"""

import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from xapi_plugin import platform
from xapi_plugin.conf import get_setting, lms_root_url
from xapi_plugin.course_settings import CourseXapiSettings
from xapi_plugin.statements.actor import build_agent
from xapi_plugin.statements.ids import deterministic_uuid


@dataclass(frozen=True)
class LearnerIdentity:
    """The agent dict and registration UUID to put in every statement of a learner in a course."""

    agent: dict
    registration: str


def registration_for(user_id: int, course_key: str) -> str:
    """The stable registration UUID of a learner in a course (same on every machine, every time)."""
    return deterministic_uuid("registration", user_id, course_key)


def get_learner_identity(
    user_id: int, course_key: str, settings: CourseXapiSettings, email: str | None = None
) -> LearnerIdentity:
    """The learner's identity in this course, created on first use.

    ``email`` may be passed when the caller already has it (openedx-events carry it), saving a
    user lookup; otherwise the platform adapter is asked.
    """
    from xapi_plugin.models import LearnerCourseAgent  # noqa: PLC0415

    course_key = str(course_key)
    row = LearnerCourseAgent.objects.filter(user_id=user_id, course_key=course_key).first()
    if row is not None:
        return LearnerIdentity(json.loads(row.agent_json), str(row.registration))
    if email is None:
        user = platform.get_user(user_id)
        email = user.email if user else None
    agent = build_agent(
        user_id=user_id,
        email=email,
        actor_mode=settings.actor_mode,
        home_page=lms_root_url(),
        salt=get_setting("XAPI_ACTOR_ID_SALT"),
    )
    registration = registration_for(user_id, course_key)
    try:
        with transaction.atomic():
            LearnerCourseAgent.objects.create(
                user_id=user_id, course_key=course_key, agent_json=json.dumps(agent), registration=registration
            )
    except IntegrityError:
        # Another request created it first: use theirs, so the learner stays one agent.
        row = LearnerCourseAgent.objects.get(user_id=user_id, course_key=course_key)
        return LearnerIdentity(json.loads(row.agent_json), str(row.registration))
    return LearnerIdentity(agent, registration)
