"""openedx-events learning signals in, course statements out: through real ``send_event`` calls.

The receivers are connected by the plugin framework when the stand-in LMS starts (nothing here
connects them). Every call uses ``send_robust=False``: openedx-events would otherwise swallow a
receiver's exception, so these tests also prove that the receivers never raise.
"""

import re
import uuid
from datetime import UTC, datetime

import ddt
import pytest
from django.test import TestCase, override_settings
from openedx_events.learning import signals
from openedx_events.learning.data import CcxCourseData, CcxCoursePassingStatusData, CourseEnrollmentData

from tests.course import support
from tests.course.support import COURSE_KEY, make_user, outbox, verbs
from xapi_plugin.core import metrics
from xapi_plugin.core.constants import ActorMode
from xapi_plugin.intake import fold_pending_events
from xapi_plugin.models import CourseSettings, EventIntake, LearnerCourseState
from xapi_plugin.privacy.identity import registration_for
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.statements.ids import statement_id
from xapi_plugin.testing import standin_platform

ROOT = "http://lms.stand-in.test"
COURSE_IRI = f"{ROOT}/course/{COURSE_KEY}"
SENT_AT = datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
SOURCE_EXT = f"{ROOT}/xapi/extensions/source-event-id"


def send(signal, **payload):
    signal.send_event(send_robust=False, time=SENT_AT, **payload)


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
class CourseStatementsTestCase(support.EveryStatementValidated, TestCase):
    """A course with xAPI on (email actors), a learner, the stand-in platform's outline."""

    actor_mode = ActorMode.EMAIL

    def setUp(self):
        self.connection, self.course_settings = support.course_with_lrs(actor_mode=self.actor_mode)
        self.user = make_user()

    def assert_common_shape(self, statement, verb_iri):
        """What every course statement carries, whatever the signal."""
        self.assertEqual(statement["verb"]["id"], verb_iri)
        self.assertEqual(statement["actor"], {"objectType": "Agent", "mbox": "mailto:learner@example.com"})
        context = statement["context"]
        self.assertEqual(context["registration"], registration_for(self.user.id, COURSE_KEY))
        self.assertEqual((context["platform"], context["language"]), ("Open edX", "en"))
        self.assertEqual(statement["timestamp"], "2026-03-02T10:00:00.123Z")
        # The id is derived from the openedx-events metadata id (carried in the extension) and the verb.
        source_id = context["extensions"][SOURCE_EXT]
        self.assertEqual(str(uuid.UUID(source_id)), source_id)
        self.assertEqual(statement["id"], statement_id(source_id, verb_iri))


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
@ddt.ddt
class SignalToStatementTest(CourseStatementsTestCase):
    """The table of the issue: each signal gives its statement, validated by Ralph and the real LRS."""

    @ddt.data(
        # (signal, payload builder, verb, result, context extensions besides the source event id)
        (
            "COURSE_ENROLLMENT_CREATED",
            lambda u: {"enrollment": support.enrollment(u, mode="audit")},
            v.VERB_REGISTERED,
            None,
            {f"{ROOT}/xapi/extensions/enrollment-mode": "audit"},
        ),
        (
            "COURSE_ENROLLMENT_CHANGED",
            lambda u: {"enrollment": support.enrollment(u, mode="verified")},
            v.VERB_REGISTERED,
            None,
            {f"{ROOT}/xapi/extensions/enrollment-mode": "verified"},
        ),
        (
            "COURSE_UNENROLLMENT_COMPLETED",
            lambda u: {"enrollment": support.enrollment(u, is_active=False)},
            v.VERB_UNREGISTERED,
            None,
            {f"{ROOT}/xapi/extensions/enrollment-mode": "audit"},
        ),
        (
            "PERSISTENT_GRADE_SUMMARY_CHANGED",
            lambda u: {"grade": support.grade(u, 0.8512, "B")},
            v.VERB_EARNED,
            {
                "score": {"scaled": 0.8512, "raw": 0.8512, "min": 0, "max": 1},
                "extensions": {v.EXT_GRADE_CLASSIFICATION: "B", f"{ROOT}/xapi/extensions/letter-grade": "B"},
            },
            {},
        ),
        (
            "COURSE_PASSING_STATUS_UPDATED",
            lambda u: {"course_passing_status": support.passing(u, True)},
            v.VERB_PASSED,
            {"success": True},
            {},
        ),
        (
            "COURSE_PASSING_STATUS_UPDATED",
            lambda u: {"course_passing_status": support.passing(u, False)},
            v.VERB_FAILED,
            {"success": False},
            {},
        ),
        (
            "CERTIFICATE_CREATED",
            lambda u: {"certificate": support.certificate(u, mode="verified")},
            v.VERB_COMPLETED,
            {"completion": True},
            {f"{ROOT}/xapi/extensions/certificate-mode": "verified"},
        ),
        (
            "CERTIFICATE_CHANGED",
            lambda u: {"certificate": support.certificate(u, mode="honor")},
            v.VERB_COMPLETED,
            {"completion": True},
            {f"{ROOT}/xapi/extensions/certificate-mode": "honor"},
        ),
    )
    @ddt.unpack
    def test_signal_gives_statement(self, signal_name, payload, verb_iri, result, extensions):
        send(getattr(signals, signal_name), **payload(self.user))
        statements = outbox()
        self.assertEqual(len(statements), 1, statements)
        statement = statements[0]
        self.assert_common_shape(statement, verb_iri)
        definition = {"type": v.ACTIVITY_COURSE, "name": {"en-US": "Demo course"}}
        mode = extensions.get(f"{ROOT}/xapi/extensions/enrollment-mode")
        if mode:
            # Where Aspects reads the enrolment mode, besides the context extension.
            definition["extensions"] = {v.EXT_ACROSSX_TYPE: mode}
        self.assertEqual(statement["object"], {"objectType": "Activity", "id": COURSE_IRI, "definition": definition})
        self.assertEqual(statement.get("result"), result)
        own_extensions = {k: val for k, val in statement["context"]["extensions"].items() if k != SOURCE_EXT}
        self.assertEqual(own_extensions, extensions)
        if verb_iri == v.VERB_COMPLETED:
            (certificate,) = statement["context"]["contextActivities"]["other"]
            mode = extensions[f"{ROOT}/xapi/extensions/certificate-mode"]
            self.assertEqual(certificate["id"], f"{COURSE_IRI}/certificate/{mode}")
            self.assertEqual(certificate["definition"]["type"], v.ACTIVITY_CERTIFICATE)
        support.assert_independently_valid(statements, self.lrs)

    @ddt.data(
        ("COURSE_ENROLLMENT_CHANGED", lambda u: {"enrollment": support.enrollment(u, is_active=False)}),
        ("COURSE_ENROLLMENT_CREATED", lambda u: {"enrollment": support.enrollment(u, is_active=False)}),
        ("CERTIFICATE_CHANGED", lambda u: {"certificate": support.certificate(u, status="notpassing")}),
        ("CERTIFICATE_CREATED", lambda u: {"certificate": support.certificate(u, status="generating")}),
    )
    @ddt.unpack
    def test_signals_that_say_nothing_new(self, signal_name, payload):
        send(getattr(signals, signal_name), **payload(self.user))
        self.assertEqual(outbox(), [])

    def test_passed_carries_the_last_grade_sent(self):
        send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, grade=support.grade(self.user, 0.72, "C"))
        send(signals.COURSE_PASSING_STATUS_UPDATED, course_passing_status=support.passing(self.user, True))
        earned, passed = outbox()
        self.assertEqual(verbs([earned, passed]), ["earned", "passed"])
        self.assertEqual(passed["result"], {"success": True, "score": {"scaled": 0.72}})
        support.assert_independently_valid([earned, passed], self.lrs)

    def test_ccx_passing_uses_master_course_settings_and_grouping(self):
        ccx_key = "ccx-v1:edX+DemoX+Demo_Course+ccx@7"
        ccx = CcxCourseData(
            ccx_course_key=ccx_key, master_course_key=COURSE_KEY, display_name="Coached Demo", coach_email="c@x.org"
        )
        status = CcxCoursePassingStatusData(is_passing=True, course=ccx, user=support.user_data(self.user))
        send(signals.CCX_COURSE_PASSING_STATUS_UPDATED, course_passing_status=status)
        (statement,) = outbox()
        self.assertEqual(statement["verb"]["id"], v.VERB_PASSED)
        self.assertEqual(statement["object"]["id"], f"{ROOT}/course/{ccx_key}")
        self.assertEqual(statement["object"]["definition"]["name"], {"en-US": "Coached Demo"})
        self.assertEqual(statement["context"]["contextActivities"]["grouping"][0]["id"], COURSE_IRI)
        self.assertEqual(statement["context"]["registration"], registration_for(self.user.id, ccx_key))
        support.assert_independently_valid([statement], self.lrs)


@ddt.ddt
class ChangesOnlyTest(CourseStatementsTestCase):
    """The platform repeats itself; the LRS hears each change once."""

    def test_same_event_delivered_twice_gives_one_row(self):
        metadata = support.metadata_for(signals.COURSE_ENROLLMENT_CREATED)
        for _ in range(2):  # e.g. the event bus redelivering after a consumer restart
            signals.COURSE_ENROLLMENT_CREATED.send_event_with_custom_metadata(
                metadata, enrollment=support.enrollment(self.user), send_robust=False
            )
        (statement,) = outbox()
        self.assertEqual(statement["id"], statement_id(str(metadata.id), v.VERB_REGISTERED))

    def test_replay_without_state_gives_the_same_id(self):
        """If the state row is lost (say, restored database), replaying maps to the very same id."""
        metadata = support.metadata_for(signals.COURSE_ENROLLMENT_CREATED)
        payload = support.enrollment(self.user)
        signals.COURSE_ENROLLMENT_CREATED.send_event_with_custom_metadata(metadata, enrollment=payload)
        first = outbox()
        LearnerCourseState.objects.all().delete()
        signals.COURSE_ENROLLMENT_CREATED.send_event_with_custom_metadata(metadata, enrollment=payload)
        self.assertEqual(outbox(), first)  # the outbox refused the second copy of the same id

    def test_created_and_changed_for_one_enrolment_give_one_registered(self):
        send(signals.COURSE_ENROLLMENT_CHANGED, enrollment=support.enrollment(self.user))
        send(signals.COURSE_ENROLLMENT_CREATED, enrollment=support.enrollment(self.user))
        send(signals.COURSE_ENROLLMENT_CHANGED, enrollment=support.enrollment(self.user, mode="verified"))
        self.assertEqual(verbs(outbox()), ["registered"])

    def test_leave_and_come_back(self):
        send(signals.COURSE_ENROLLMENT_CREATED, enrollment=support.enrollment(self.user))
        send(signals.COURSE_UNENROLLMENT_COMPLETED, enrollment=support.enrollment(self.user, is_active=False))
        send(signals.COURSE_UNENROLLMENT_COMPLETED, enrollment=support.enrollment(self.user, is_active=False))
        send(signals.COURSE_ENROLLMENT_CHANGED, enrollment=support.enrollment(self.user))
        statements = outbox()
        self.assertEqual(verbs(statements), ["registered", "unregistered", "registered"])
        self.assertEqual(len({s["id"] for s in statements}), 3)

    @ddt.data(
        ([(0.5, "C"), (0.5, "C")], ["earned"]),
        ([(0.5, "C"), (0.6, "C")], ["earned", "earned"]),
        ([(0.5, "C"), (0.5, "B")], ["earned", "earned"]),  # letter boundaries moved
        ([(0.5, ""), (0.50001, "")], ["earned"]),  # same grade to 4 decimals
        ([(1.7, "A")], ["earned"]),  # out of range: clamped, not refused
    )
    @ddt.unpack
    def test_grade_sent_only_when_changed(self, grades, expected):
        for percent, letter in grades:
            send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, grade=support.grade(self.user, percent, letter))
        statements = outbox()
        self.assertEqual(verbs(statements), expected)
        self.assertTrue(all(0 <= s["result"]["score"]["scaled"] <= 1 for s in statements))

    def test_deactivation_by_enrolment_change_unregisters_once(self):
        send(signals.COURSE_ENROLLMENT_CREATED, enrollment=support.enrollment(self.user))
        send(signals.COURSE_ENROLLMENT_CHANGED, enrollment=support.enrollment(self.user, is_active=False))
        send(signals.COURSE_UNENROLLMENT_COMPLETED, enrollment=support.enrollment(self.user, is_active=False))
        self.assertEqual(verbs(outbox()), ["registered", "unregistered"])

    def test_passing_status_sent_only_when_changed(self):
        for is_passing in (True, True, False, False, True):
            send(signals.COURSE_PASSING_STATUS_UPDATED, course_passing_status=support.passing(self.user, is_passing))
        self.assertEqual(verbs(outbox()), ["passed", "failed", "passed"])

    def test_certificate_completed_once_per_mode(self):
        send(signals.CERTIFICATE_CREATED, certificate=support.certificate(self.user))
        send(signals.CERTIFICATE_CHANGED, certificate=support.certificate(self.user))
        send(signals.CERTIFICATE_CHANGED, certificate=support.certificate(self.user))
        self.assertEqual(verbs(outbox()), ["completed"])
        send(signals.CERTIFICATE_CHANGED, certificate=support.certificate(self.user, mode="professional"))
        self.assertEqual(verbs(outbox()), ["completed", "completed"])


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
@ddt.ddt
class LearnerAndCourseEdgeCasesTest(CourseStatementsTestCase):
    """Emails, actor modes, names: what the statements say about who and what."""

    # The learner's platform ExternalId (type xapi): UUID text.
    ACCOUNT_NAME = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    def enrol(self, email=None):
        send(signals.COURSE_ENROLLMENT_CREATED, enrollment=support.enrollment(self.user, email=email))
        (statement,) = outbox()
        support.assert_independently_valid([statement], self.lrs)
        return statement

    @ddt.data("", "not-an-email", "two@@example.com", "a@b@c", " ", "x" * 250 + "@example.com")
    def test_missing_or_invalid_email_falls_back_to_an_account(self, email):
        actor = self.enrol(email=email)["actor"]
        self.assertEqual(set(actor), {"objectType", "account"})
        self.assertEqual(actor["account"]["homePage"], ROOT)
        self.assertRegex(actor["account"]["name"], self.ACCOUNT_NAME)
        self.assertNotIn("@", actor["account"]["name"])

    def test_account_mode_sends_no_email(self):
        self.course_settings.actor_mode = ActorMode.ACCOUNT
        self.course_settings.save()
        actor = self.enrol()["actor"]
        self.assertEqual(set(actor), {"objectType", "account"})
        self.assertNotIn("learner", str(actor))

    def test_a_learner_keeps_one_agent_per_course(self):
        self.enrol()
        self.user.email = "new-address@example.com"
        self.user.save()
        send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, grade=support.grade(self.user, 0.4))
        registered, earned = outbox()
        self.assertEqual(earned["actor"], registered["actor"])
        self.assertEqual(earned["context"]["registration"], registered["context"]["registration"])

    @ddt.data(
        ("Café crème — 数学入門 🚀", "Café crème — 数学入門 🚀"),
        ("  spaced\n\tout   name ", "spaced out name"),
    )
    @ddt.unpack
    def test_unicode_course_names(self, name, expected):
        standin_platform.make_course(COURSE_KEY, name, version="2")
        statement = self.enrol()
        self.assertEqual(statement["object"]["definition"]["name"], {"en-US": expected})
        self.assertEqual(statement["object"]["id"], COURSE_IRI)

    def test_very_long_course_name_is_truncated_never_the_id(self):
        standin_platform.make_course(COURSE_KEY, "Ж" * 5000, version="2")
        statement = self.enrol()
        name = statement["object"]["definition"]["name"]["en-US"]
        self.assertEqual(len(name), 250)
        self.assertTrue(name.endswith("…"))
        self.assertEqual(statement["object"]["id"], COURSE_IRI)

    def test_course_language_becomes_an_rfc5646_tag(self):
        standin_platform.make_course(COURSE_KEY, "Demo", version="2", language="zh-hans")
        self.assertEqual(self.enrol()["context"]["language"], "zh-Hans")

    def test_course_unknown_to_the_platform_uses_the_event_name(self):
        standin_platform.reset()
        payload = support.enrollment(self.user)
        payload = CourseEnrollmentData(
            user=payload.user,
            course=support.course_data(COURSE_KEY, display_name="From the event"),
            mode="audit",
            is_active=True,
            creation_date=payload.creation_date,
        )
        send(signals.COURSE_ENROLLMENT_CREATED, enrollment=payload)
        (statement,) = outbox()
        self.assertEqual(statement["object"]["definition"]["name"], {"en-US": "From the event"})
        support.assert_independently_valid([statement], self.lrs)


@ddt.ddt
class SkippedAndFailedTest(CourseStatementsTestCase):
    """No statement, a log line naming the event id, a counter: never an exception in the sender."""

    def send_logged(self, signal, level, **payload):
        before = metrics.read_counters()
        with self.assertLogs("xapi_plugin", level=level) as logs:
            signal.send_event(send_robust=False, time=SENT_AT, **payload)
        after = metrics.read_counters()
        return logs.output, {name: after[name] - before[name] for name in after}

    @ddt.data("off", "unknown", "course statements off", "no connection")
    def test_course_without_xapi(self, how):
        if how == "off":
            CourseSettings.objects.filter(pk=self.course_settings.pk).update(enabled=False)
        elif how == "unknown":
            CourseSettings.objects.all().delete()
        elif how == "course statements off":
            CourseSettings.objects.filter(pk=self.course_settings.pk).update(send_course_statements=False)
        else:
            CourseSettings.objects.filter(pk=self.course_settings.pk).update(connection=None)
        from django.core.cache import cache  # noqa: PLC0415

        cache.clear()  # .update() bypasses save(), which is what drops cached settings
        output, counted = self.send_logged(
            signals.COURSE_ENROLLMENT_CREATED, "INFO", enrollment=support.enrollment(self.user)
        )
        self.assertEqual(outbox(), [])
        self.assertEqual(counted[metrics.SKIPPED_EVENTS], 1)
        self.assertEqual(counted[metrics.FAILED_EVENTS], 0)
        self.assertTrue(any("org.openedx.learning.course.enrollment.created.v1" in line for line in output), output)
        self.assertTrue(any(re.search(r"[0-9a-f-]{36}", line) for line in output), output)
        self.assertFalse(LearnerCourseState.objects.exists())

    @ddt.data(
        (
            signals.COURSE_ENROLLMENT_CREATED,
            lambda u: {
                "enrollment": support.enrollment(u).__class__(
                    user=None, course=support.course_data(), mode="audit", is_active=True, creation_date=SENT_AT
                )
            },
        ),
        (
            signals.COURSE_UNENROLLMENT_COMPLETED,
            lambda u: {
                "enrollment": CourseEnrollmentData(
                    user=support.user_data(u),
                    course=support.course_data().__class__(course_key=""),
                    mode="audit",
                    is_active=False,
                    creation_date=SENT_AT,
                )
            },
        ),
        (signals.PERSISTENT_GRADE_SUMMARY_CHANGED, lambda u: {"grade": support.grade(u, "eighty")}),
        (signals.PERSISTENT_GRADE_SUMMARY_CHANGED, lambda u: {"grade": support.grade(u, float("nan"))}),
        (signals.COURSE_PASSING_STATUS_UPDATED, lambda u: {"course_passing_status": support.passing(u, "yes")}),
        (signals.CERTIFICATE_CREATED, lambda u: {"certificate": support.certificate(u, mode="")}),
    )
    @ddt.unpack
    def test_malformed_event(self, signal, payload):
        output, counted = self.send_logged(signal, "WARNING", **payload(self.user))
        self.assertEqual(outbox(), [])
        self.assertEqual(counted[metrics.SKIPPED_EVENTS], 1)
        self.assertIn("malformed", output[0])
        self.assertRegex(output[0], r"[0-9a-f]{8}-[0-9a-f]{4}-")  # the metadata id

    def test_unexpected_failure_is_logged_kept_and_retried_not_raised(self):
        # A real misconfiguration: no LMS root URL, so no IRI can be built.
        with override_settings(XAPI_LMS_ROOT_URL=None, LMS_ROOT_URL=None):
            output, counted = self.send_logged(
                signals.COURSE_ENROLLMENT_CREATED, "WARNING", enrollment=support.enrollment(self.user)
            )
        self.assertEqual(outbox(), [])
        self.assertEqual(counted[metrics.INTAKE_RETRIED], 1)
        self.assertEqual(counted[metrics.FAILED_EVENTS], 0)
        self.assertIn("failed on org.openedx.learning.course.enrollment.created.v1", output[0])
        self.assertIn("retried later", output[0])
        self.assertNotIn("learner@example.com", "\n".join(output))
        # The failure rolled back the report only: the state says nothing was reported, the event waits.
        self.assertIsNone(LearnerCourseState.objects.filter(user_id=self.user.id).values_list("enrolled").first())
        (row,) = EventIntake.objects.all()
        self.assertEqual((row.folded_at, row.attempts, row.error), (None, 1, "RuntimeError"))
        # Once the operator fixes the setting, the next run reports it: nothing was lost.
        EventIntake.objects.update(claimed_until=None)
        self.assertEqual(fold_pending_events()["folded"], 1)
        self.assertEqual(verbs(outbox()), ["registered"])
