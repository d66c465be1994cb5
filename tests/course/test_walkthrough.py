"""The issue's "done when": a learner walks through a whole course in the stand-in LMS.

Enrol, complete every unit (through the eventtracking backend for one section, through
``TRACKING_EVENT_EMITTED`` for the other, with the platform repeating itself on the way), pass,
get the certificate: the outbox then holds exactly the expected statements, in order, and every
one of them passes Ralph's xAPI model and the real LRS.
"""

import pytest
from openedx_events.learning import signals

from tests.course import support
from tests.course.support import COURSE_KEY, outbox
from tests.course.test_progress import COURSE_IRI, ROOT, ProgressTestCase, problem, section
from xapi_plugin.privacy.identity import registration_for
from xapi_plugin.statements import vocabulary as v


def send(signal, **payload):
    signal.send_event(send_robust=False, **payload)


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
class CourseWalkthroughTest(ProgressTestCase):
    blocks_per_unit = 2

    def test_enrol_complete_everything_pass_certificate(self):
        user = self.user
        # Enrolment: the platform sends "changed" (activation) and "created" for one enrolment.
        send(signals.COURSE_ENROLLMENT_CHANGED, enrollment=support.enrollment(user))
        send(signals.COURSE_ENROLLMENT_CREATED, enrollment=support.enrollment(user))
        # Section 1 through the eventtracking backend; each problem's save also reaches the model path.
        for u in range(2):
            for b in range(2):
                self.complete_via_model_save(problem(0, u, b))
                self.complete_via_tracker(problem(0, u, b))
        # Section 2 through TRACKING_EVENT_EMITTED; the event bus delivers one event twice.
        for u in range(2):
            for b in range(2):
                self.complete_via_event_bus(problem(1, u, b))
        self.complete_via_event_bus(problem(1, 1, 1))
        # Grades are recalculated (twice, same result), the learner passes, the certificate is made and saved.
        send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, grade=support.grade(user, 0.93, "Pass"))
        send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, grade=support.grade(user, 0.93, "Pass"))
        send(signals.COURSE_PASSING_STATUS_UPDATED, course_passing_status=support.passing(user, True))
        send(signals.CERTIFICATE_CHANGED, certificate=support.certificate(user, status="generating"))
        send(signals.CERTIFICATE_CREATED, certificate=support.certificate(user))
        send(signals.CERTIFICATE_CHANGED, certificate=support.certificate(user))

        statements = outbox()
        section_iri = [f"{ROOT}/xblock/{section(s)}" for s in range(2)]

        def summary(statement):
            result = statement.get("result", {})
            return (
                statement["verb"]["display"]["en-US"],
                statement["object"]["id"],
                result.get("extensions", {}).get(v.EXT_CMI5_PROGRESS),
            )

        self.assertEqual(
            [summary(s) for s in statements],
            [
                ("registered", COURSE_IRI, None),
                ("progressed", section_iri[0], 50),
                ("progressed", COURSE_IRI, 25),
                ("progressed", section_iri[0], 100),
                ("completed", section_iri[0], 100),
                ("progressed", COURSE_IRI, 50),
                ("progressed", section_iri[1], 50),
                ("progressed", COURSE_IRI, 75),
                ("progressed", section_iri[1], 100),
                ("completed", section_iri[1], 100),
                ("progressed", COURSE_IRI, 100),
                ("completed", COURSE_IRI, 100),
                ("earned", COURSE_IRI, None),
                ("passed", COURSE_IRI, None),
                ("completed", COURSE_IRI, None),  # with the certificate
            ],
        )
        registered, *_, earned, passed, certified = statements
        self.assertEqual(earned["result"]["score"], {"scaled": 0.93, "raw": 0.93, "min": 0, "max": 1})
        self.assertEqual(passed["result"], {"success": True, "score": {"scaled": 0.93}})
        self.assertEqual(
            certified["context"]["contextActivities"]["other"][0]["id"], f"{COURSE_IRI}/certificate/verified"
        )
        self.assertEqual({s["context"]["registration"] for s in statements}, {registration_for(user.id, COURSE_KEY)})
        self.assertEqual({s["actor"]["mbox"] for s in statements}, {"mailto:learner@example.com"})
        self.assertEqual(len({s["id"] for s in statements}), len(statements))
        support.assert_independently_valid(statements, self.lrs)
        self.assertTrue({s["id"] for s in statements} <= set(self.lrs.statement_ids()))
