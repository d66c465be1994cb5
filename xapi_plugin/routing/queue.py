"""The one way statements are queued: to every connection that should get them, each with its own bytes.

Course receivers, video state, other plugins' API calls (and background folds) all call
:func:`queue_statements` inside their own transaction: the operator's filter runs once per
statement, then each destination gets one outbox row per statement, with the actor in that
destination's actor mode. Rows of different connections are delivered, retried and alerted on
independently (delivery works per connection), so a failing LRS never delays another.
"""

from xapi_plugin import platform
from xapi_plugin.core.conf import get_setting, lms_root_url
from xapi_plugin.core.constants import ActorMode
from xapi_plugin.delivery import enqueue_statements
from xapi_plugin.routing.filters import filter_statements
from xapi_plugin.routing.targets import destinations
from xapi_plugin.statements import build_agent, needs_account
from xapi_plugin.studio import CourseXapiSettings


class LearnerAgents:
    """The learner's agent in each actor mode, worked out at most once per call."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.by_mode: dict[str, dict] = {}

    def agent(self, mode: str, built_with: dict) -> dict:
        if mode == ActorMode.EMAIL and isinstance(built_with, dict) and built_with.get("mbox"):
            return built_with  # already the learner's address
        if mode not in self.by_mode:
            user = platform.get_user(self.user_id)
            email = user.email if user else None
            account_name = None
            if needs_account(email, mode):
                # The same account name the learner's own identity uses: the platform's xAPI ExternalId.
                account_name = platform.get_external_user_id(self.user_id, create=True)
            self.by_mode[mode] = build_agent(
                user_id=self.user_id,
                email=email,
                actor_mode=mode,
                home_page=lms_root_url(),
                salt=get_setting("XAPI_ACTOR_ID_SALT"),
                account_name=account_name,
            )
        return self.by_mode[mode]


def queue_statements(
    statements: list[dict],
    *,
    course_key,
    user_id: int | None,
    family: str,
    settings: CourseXapiSettings | None,
    source: str | None = None,
) -> int:
    """Queue ``statements`` of the course's ``family`` to every destination; returns how many rows are new.

    ``settings`` are the course's (None: the course has none; wide connections still get the
    statements). ``source`` is what the outbox row records (default: the family). Statements
    already queued to a connection (same id) are skipped there. Call inside the transaction that
    produced the statements: rows exist exactly when it commits.
    """
    source = source or family
    statements = filter_statements(statements, course_key=str(course_key), user_id=user_id, source=source)
    if not statements:
        return 0
    agents = LearnerAgents(user_id) if user_id is not None else None
    queued = 0
    for destination in destinations(course_key, family, settings):
        rows = statements
        if destination.actor_mode is not None and agents is not None:
            rows = [
                {**statement, "actor": agents.agent(destination.actor_mode, statement.get("actor"))}
                for statement in statements
            ]
        queued += enqueue_statements(
            rows, connection_id=destination.connection_id, course_key=str(course_key), user_id=user_id, source=source
        )
    return queued
