"""Learners with real identities and statements in every outbox state, for the privacy tests."""

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.conftest import COURSE_KEY
from xapi_plugin.core.conf import lms_root_url
from xapi_plugin.core.constants import OutboxState
from xapi_plugin.delivery import outbox
from xapi_plugin.models import OutboxStatement, VideoViewingState
from xapi_plugin.privacy.identity import get_learner_identity
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.common import build_context, build_statement, course_activity
from xapi_plugin.statements.ids import statement_id
from xapi_plugin.studio.course_settings import get_course_settings

ACCOUNT_COURSE_KEY = "course-v1:edX+Anon+2025"
STATES = (OutboxState.PENDING, OutboxState.HELD, OutboxState.REJECTED, OutboxState.EXPIRED, OutboxState.DELIVERED)


@dataclass
class Learner:
    """A user and what the plugin holds about them."""

    user: object
    statement_ids: dict[str, list[str]] = field(default_factory=dict)  # course key -> ids

    @property
    def all_statement_ids(self) -> set[str]:
        return {sid for ids in self.statement_ids.values() for sid in ids}


def learner_statements(user, course_key: str, count: int) -> list[dict]:
    """``count`` statements by this learner in the course, with the identity the plugin fixes for them."""
    settings = get_course_settings(course_key)
    identity = get_learner_identity(user.pk, course_key, settings, email=user.email)
    root = lms_root_url()
    return [
        build_statement(
            statement_id=statement_id("privacy-test", user.pk, course_key, n),
            actor=identity.agent,
            verb_iri=v.VERB_PROGRESSED,
            obj=course_activity(course_key, "Privacy course", root),
            timestamp=timezone.now(),
            context=build_context(registration=identity.registration, language="en-US", root_url=root),
            result={"extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": n}},
        )
        for n in range(count)
    ]


@pytest.fixture
def privacy_courses(make_connection, make_course_settings, monkeypatch):
    """One course identifying learners by email, one by account; delivery is not queued by the outbox."""
    monkeypatch.setattr(outbox, "_schedule_delivery", lambda connection_id: None)

    def _make(endpoint="http://127.0.0.1:9/xAPI"):
        connection = make_connection(endpoint=endpoint)
        make_course_settings(COURSE_KEY, connection=connection, actor_mode="email")
        make_course_settings(ACCOUNT_COURSE_KEY, connection=connection, actor_mode="account")
        return connection

    return _make


@pytest.fixture
def make_learner(db):
    """A user with statements in every outbox state in both courses, and video viewing state."""

    def _make(username: str, connection, states=STATES, email: str | None = None) -> Learner:
        user = get_user_model().objects.create_user(username, email or f"{username}@example.com", "pw")
        learner = Learner(user)
        for course_key in (COURSE_KEY, ACCOUNT_COURSE_KEY):
            statements = learner_statements(user, course_key, len(states))
            outbox.enqueue_statements(statements, connection_id=connection.pk, course_key=course_key, user_id=user.pk)
            for statement, state in zip(statements, states, strict=True):
                delivered_at = timezone.now() - timedelta(hours=1) if state == OutboxState.DELIVERED else None
                OutboxStatement.objects.filter(statement_id=statement["id"]).update(
                    state=state, delivered_at=delivered_at, last_answer=json.dumps(statement["actor"])
                )
            learner.statement_ids[course_key] = [statement["id"] for statement in statements]
            registration = statements[0]["context"]["registration"]
            VideoViewingState.objects.create(
                user_id=user.pk,
                course_key=course_key,
                video_key=f"block-v1:{course_key[10:]}+type@video+block@intro",
                registration=registration,
                segments=[[0.0, 12.5]],
                last_event_at=timezone.now(),
            )
        return learner

    return _make
