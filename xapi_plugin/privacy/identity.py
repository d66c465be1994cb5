"""Who a learner is in a course's statements: one agent and one registration per learner and course.

In ``account`` mode (and when email mode falls back for a missing or invalid address) the
account name is the learner's platform ExternalId of type ``xapi``, read or created through the
platform adapter: the id event-routing-backends sends, so an LRS or Aspects holding a learner's
ERB statements sees one learner. Agents stored before that change keep their salted name.

The agent is fixed at the learner's first statement in the course and kept, so a learner stays
one agent in the LRS even if their email changes later. Changing a course's actor mode applies to
learners who have no statement in it yet (the README warns that existing learners keep theirs).

A retired learner gets no new agent: :class:`LearnerRetired` is raised instead, and the callers
(receivers, tracking intake) skip the event quietly.
"""

import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from xapi_plugin import platform
from xapi_plugin.core.conf import get_setting, lms_root_url
from xapi_plugin.statements import build_agent, deterministic_uuid, needs_account
from xapi_plugin.studio import CourseXapiSettings

log = logging.getLogger(__name__)


class LearnerRetired(Exception):
    """The platform has retired this learner: nothing more is sent about them."""


@dataclass(frozen=True)
class LearnerIdentity:
    """The agent dict and registration UUID to put in every statement of a learner in a course."""

    agent: dict
    registration: str


def registration_for(user_id: int, course_key: str) -> str:
    """The stable registration UUID of a learner in a course (same on every machine, every time)."""
    return deterministic_uuid("registration", user_id, course_key)


# A learner's agent and registration never change once stored, so each process keeps recently
# used ones for a minute: one database read less per statement in a learner's busy minutes.
# Bounded, and short-lived so that retirement (which deletes the stored agent, and clears this
# cache in the process that runs it) is not outlived for long.
IDENTITY_CACHE_SECONDS = 60
IDENTITY_CACHE_SIZE = 10_000
_identities: OrderedDict[tuple[int, str], tuple[float, LearnerIdentity]] = OrderedDict()


def forget_learner(user_id: int | None = None) -> None:
    """Drop cached identities of one learner (all learners when None) in this process."""
    if user_id is None:
        _identities.clear()
        return
    for key in [key for key in _identities if key[0] == user_id]:
        del _identities[key]


def get_learner_identity(
    user_id: int, course_key: str, settings: CourseXapiSettings, email: str | None = None
) -> LearnerIdentity:
    """The learner's identity in this course, created on first use (see the module docstring).

    ``email`` may be passed when the caller already has it (openedx-events carry it), saving a
    user lookup; otherwise the platform adapter is asked. Raises LearnerRetired for a retired
    learner without a stored identity.
    """
    key = (user_id, str(course_key))
    now = time.monotonic()
    hit = _identities.get(key)
    if hit is not None and now - hit[0] < IDENTITY_CACHE_SECONDS:
        return hit[1]
    identity = _stored_or_new_identity(user_id, str(course_key), settings, email)
    _identities[key] = (now, identity)
    _identities.move_to_end(key)
    while len(_identities) > IDENTITY_CACHE_SIZE:
        _identities.popitem(last=False)
    return identity


def _stored_or_new_identity(
    user_id: int, course_key: str, settings: CourseXapiSettings, email: str | None
) -> LearnerIdentity:
    from xapi_plugin.models import LearnerCourseAgent  # noqa: PLC0415

    row = LearnerCourseAgent.objects.filter(user_id=user_id, course_key=course_key).first()
    if row is not None:
        return LearnerIdentity(json.loads(row.agent_json), str(row.registration))
    if platform.is_user_retired(user_id):
        raise LearnerRetired(f"user id {user_id} is retired")
    if email is None:
        user = platform.get_user(user_id)
        email = user.email if user else None
    account_name = None
    if needs_account(email, settings.actor_mode):
        # The platform's xAPI ExternalId: the id ERB sends and Aspects maps to a learner.
        account_name = platform.get_external_user_id(user_id, create=True)
        if account_name is None:
            log.warning(
                "xapi: the platform has no ExternalId type %r; user id %s gets a salted account name instead",
                platform.EXTERNAL_ID_TYPE,
                user_id,
            )
    agent = build_agent(
        user_id=user_id,
        email=email,
        actor_mode=settings.actor_mode,
        home_page=lms_root_url(),
        salt=get_setting("XAPI_ACTOR_ID_SALT"),
        account_name=account_name,
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
