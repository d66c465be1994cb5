"""The statement samples in docs/statements.md are what the code sends: generated here, compared with the page.

To refresh them after a deliberate change:
``XAPI_WRITE_SAMPLES=1 .venv/bin/pytest tests/course/test_statement_samples.py``.
"""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from django.test import TestCase, override_settings
from openedx_events.learning import signals

from tests.course import support
from tests.course.support import COURSE_KEY, outbox
from xapi_plugin.core.constants import ActorMode
from xapi_plugin.intake.tracking import XapiTrackingBackend
from xapi_plugin.models import CourseSettings, LRSConnection
from xapi_plugin.statements.actor import build_agent
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.doc_samples import page_shows
from xapi_plugin.testing.validation import assert_valid_xapi

PAGE = Path(__file__).resolve().parents[2] / "docs" / "statements.md"
BEGIN, END = "<!-- samples: statements -->", "<!-- /samples: statements -->"
BODY = COURSE_KEY.split(":", 1)[1]
SAMPLES = (
    ("registered", "`COURSE_ENROLLMENT_CREATED`"),
    ("unregistered", "`COURSE_UNENROLLMENT_COMPLETED`"),
    ("earned", "`PERSISTENT_GRADE_SUMMARY_CHANGED`"),
    ("passed", "`COURSE_PASSING_STATUS_UPDATED` (with the grade of the earned statement)"),
    ("failed", "`COURSE_PASSING_STATUS_UPDATED`"),
    ("progressed", "block completion: 1 of the section's 2 units (the course's own has no parent)"),
    ("completed", "block completion, the course at 100 %"),
    ("completed", "`CERTIFICATE_CREATED`"),
)


def _metadata(signal, n: int):
    return support.metadata_for(
        signal, uuid.UUID(f"1f0c9a00-0000-11f1-8000-{n:012d}"), datetime(2026, 3, 2, 10, n, 0, 250000, tzinfo=UTC)
    )


@override_settings(XAPI_ACTOR_ID_SALT="readme-sample-salt")
class ReadmeSamplesTest(TestCase):
    def produce(self) -> list[dict]:
        """One learner through a one-unit course, with fixed event ids and times."""
        units = [f"block-v1:{BODY}+type@vertical+block@u{n}" for n in (1, 2)]
        problems = [f"block-v1:{BODY}+type@problem+block@p{n}" for n in (1, 2)]
        standin_platform.register_course(
            COURSE_KEY,
            "Demonstration Course",
            [(f"block-v1:{BODY}+type@chapter+block@intro", "Introduction", units)],
            unit_blocks={unit: [problem] for unit, problem in zip(units, problems, strict=True)},
        )
        connection = LRSConnection(
            name="LRS", endpoint="http://127.0.0.1:9/xAPI", contact_email="o@example.com", available_to_all=True
        )
        connection.key, connection.secret = "k", "s"
        connection.save()
        CourseSettings.objects.create(course_key=COURSE_KEY, enabled=True, connection=connection)
        user = support.make_user("ada", "ada@example.com", id=42)

        def send(signal, n, **payload):
            signal.send_event_with_custom_metadata(_metadata(signal, n), send_robust=False, **payload)

        send(signals.COURSE_ENROLLMENT_CREATED, 1, enrollment=support.enrollment(user, mode="verified"))
        send(signals.COURSE_UNENROLLMENT_COMPLETED, 2, enrollment=support.enrollment(user, is_active=False))
        send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, 3, grade=support.grade(user, 0.84, "B"))
        send(signals.COURSE_PASSING_STATUS_UPDATED, 4, course_passing_status=support.passing(user, True))
        send(signals.COURSE_PASSING_STATUS_UPDATED, 5, course_passing_status=support.passing(user, False))
        for n, problem in enumerate(problems):
            standin_platform.record_completion(user.id, COURSE_KEY, problem)
            XapiTrackingBackend().send(
                {
                    "name": "edx.completion.block_completion.changed",
                    "timestamp": f"2026-03-02T10:06:{n}0.250000+00:00",
                    "data": {"user_id": user.id, "course_id": COURSE_KEY, "block_id": problem, "completion": 1.0},
                    "context": {"user_id": user.id, "course_id": COURSE_KEY},
                }
            )
        send(signals.CERTIFICATE_CREATED, 7, certificate=support.certificate(user, mode="verified"))
        return outbox()

    def markdown(self) -> str:
        statements = self.produce()
        by_verb: dict[str, list[dict]] = {}
        for statement in statements:
            by_verb.setdefault(statement["verb"]["display"]["en-US"], []).append(statement)
        picked = [
            by_verb["registered"][0],
            by_verb["unregistered"][0],
            by_verb["earned"][0],
            by_verb["passed"][0],
            by_verb["failed"][0],
            by_verb["progressed"][0],
            next(s for s in by_verb["completed"] if s["object"]["id"].endswith(COURSE_KEY) and "other" not in str(s)),
            next(s for s in by_verb["completed"] if "certificate" in json.dumps(s)),
        ]
        for statement in picked:
            assert_valid_xapi(statement)
        parts = [BEGIN]
        for (verb, source), statement in zip(SAMPLES, picked, strict=True):
            self.assertEqual(statement["verb"]["display"]["en-US"], verb)
            body = json.dumps(statement, indent=1, ensure_ascii=False)
            parts.append(f"<details><summary>{verb} from {source}</summary>\n\n```json\n{body}\n```\n\n</details>")
        account = build_agent(
            42,
            "",
            ActorMode.ACCOUNT,
            "http://lms.stand-in.test",
            "readme-sample-salt",
            account_name=standin_platform.external_id_for(42),
        )
        parts.append(
            "**actor** in account mode (or email mode without a valid email): the account name is the "
            "learner's platform ExternalId of type `xapi`, as event-routing-backends sends it:"
            f"\n\n```json\n{json.dumps(account)}\n```"
        )
        parts.append(END)
        return "\n\n".join(parts)

    def test_statements_page_shows_what_the_code_sends(self):
        stale = "docs/statements.md is stale: the module docstring says how to refresh"
        self.assertTrue(page_shows(PAGE, BEGIN, END, self.markdown()), stale)
