"""The event intake: what the learner's request writes for a course signal or tracking event, and the fold.

Worker mode here is folded by calling the fold in the test process (the real-worker faults are in
``test_event_intake_workers.py``): the request path's one write, event order, retries and giving
up, unreadable rows skipped, and the request path storing nothing a course does not want.
"""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openedx_events.learning import signals

from tests.course import support
from tests.course.support import COURSE_KEY, make_user, outbox, verbs
from xapi_plugin.core import metrics
from xapi_plugin.intake import XapiTrackingBackend, event_intake, fold_pending_events, tracking
from xapi_plugin.models import EventIntake, LearnerCourseState
from xapi_plugin.privacy.retention import purge

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def send(signal, at: datetime, **payload):
    signal.send_event(send_robust=False, time=at, **payload)


def counters_delta(before: dict) -> dict:
    after = metrics.read_counters()
    return {name: after[name] - before[name] for name in after}


@override_settings(XAPI_EVENT_INTAKE="worker")
class WorkerModeTest(TestCase):
    """The request stores; the fold (run here by hand) reports."""

    def setUp(self):
        self.connection, self.course_settings = support.course_with_lrs()
        self.user = make_user()
        event_intake.FOLD_QUEUE.forget()
        tracking.forget_course_filters()

    def test_the_request_path_is_one_insert_and_nothing_else(self):
        with CaptureQueriesContext(connection) as queries:
            send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, T0, grade=support.grade(self.user, 0.5))
        statements = [query["sql"] for query in queries.captured_queries]
        self.assertEqual(len(statements), 1, statements)
        self.assertTrue(statements[0].upper().startswith("INSERT"), statements)
        self.assertEqual(outbox(), [])
        self.assertFalse(LearnerCourseState.objects.exists())
        (row,) = EventIntake.objects.all()
        self.assertEqual(
            (row.kind, row.user_id, row.course_key, row.folded_at), ("grade", self.user.id, COURSE_KEY, None)
        )
        self.assertEqual(json.loads(row.payload)["percent"], 0.5)

        self.assertEqual(fold_pending_events()["folded"], 1)
        self.assertEqual(verbs(outbox()), ["earned"])
        row.refresh_from_db()
        self.assertEqual(row.outcome, "reported")
        self.assertIsNotNone(row.folded_at)

    def test_events_are_reported_in_event_order_whatever_order_they_arrived_in(self):
        # Arrival: unenrolment first, then the enrolment that happened before it (two web workers).
        send(signals.COURSE_UNENROLLMENT_COMPLETED, T0 + timedelta(minutes=5), enrollment=support.enrollment(self.user))
        send(signals.COURSE_ENROLLMENT_CREATED, T0, enrollment=support.enrollment(self.user))
        fold_pending_events()
        self.assertEqual(verbs(outbox()), ["registered", "unregistered"])
        self.assertIs(LearnerCourseState.objects.get(user_id=self.user.id).enrolled, False)

    def test_the_same_signal_twice_is_stored_once(self):
        metadata = support.metadata_for(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, time=T0)
        before = metrics.read_counters()
        for _ in range(2):
            signals.PERSISTENT_GRADE_SUMMARY_CHANGED.send_event_with_custom_metadata(
                metadata, grade=support.grade(self.user, 0.5)
            )
        self.assertEqual(EventIntake.objects.count(), 1)
        self.assertEqual(counters_delta(before)[metrics.DUPLICATE_EVENTS], 1)

    def test_a_failing_report_is_retried_with_backoff_then_kept_as_failed_and_the_key_goes_on(self):
        send(signals.COURSE_ENROLLMENT_CREATED, T0, enrollment=support.enrollment(self.user))
        send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, T0 + timedelta(minutes=1), grade=support.grade(self.user, 0.4))
        before = metrics.read_counters()
        with override_settings(XAPI_LMS_ROOT_URL=None, LMS_ROOT_URL=None):
            fold_pending_events()
            self.assertEqual(fold_pending_events()["folded"], 0, "a key waiting to be retried is not claimed")
            for _ in range(event_intake.MAX_ATTEMPTS - 1):
                EventIntake.objects.update(claimed_until=None)  # the backoff has passed
                fold_pending_events()
        first = EventIntake.objects.get(kind="enrolment")
        self.assertEqual(
            (first.outcome, first.attempts, first.error), ("failed", event_intake.MAX_ATTEMPTS, "RuntimeError")
        )
        self.assertIsNotNone(first.folded_at)
        delta = counters_delta(before)
        self.assertEqual(delta[metrics.FAILED_EVENTS], 1)
        self.assertEqual(delta[metrics.INTAKE_RETRIED], event_intake.MAX_ATTEMPTS - 1)
        # The grade behind it is not held back for ever: once the setting is right it is reported.
        EventIntake.objects.update(claimed_until=None)
        fold_pending_events()
        self.assertEqual(verbs(outbox()), ["earned"])
        summary = event_intake.event_intake_summary()
        self.assertEqual((summary.pending, summary.failed), (0, 1))
        status = StringIO()
        call_command("xapi_status", stdout=status)
        self.assertIn("event intake: unreported events: 0", status.getvalue())
        self.assertIn("failed: 1", status.getvalue())
        self.assertIn("xapi_retry_failed_events", status.getvalue())
        as_json = StringIO()
        call_command("xapi_status", "--json", stdout=as_json)
        reported = json.loads(as_json.getvalue())["event_intake"]
        self.assertEqual((reported["pending"], reported["failed"], reported["recent_folded"]), (0, 1, 1))
        # The purge keeps failed rows; the operator tries them again once the cause is fixed.
        self.assertEqual(purge(now=timezone.now() + timedelta(days=30))["reported_event_intake"], 1)
        self.assertEqual(list(EventIntake.objects.values_list("outcome", flat=True)), ["failed"])
        retried = StringIO()
        call_command("xapi_retry_failed_events", stdout=retried)
        self.assertIn("1 failed event(s) queued to be tried again", retried.getvalue())
        fold_pending_events()
        self.assertEqual(verbs(outbox()), ["earned", "registered"])

    def test_retry_delay_backs_off_and_is_bounded(self):
        delays = [event_intake.retry_delay(n).total_seconds() for n in range(1, event_intake.MAX_ATTEMPTS + 2)]
        self.assertEqual(delays[:3], [5, 10, 20])
        self.assertEqual(delays, sorted(delays))
        self.assertLessEqual(max(delays), 600)

    def test_an_unreadable_row_is_skipped_once_not_retried(self):
        EventIntake.objects.create(
            kind="grade",
            user_id=self.user.id,
            course_key=COURSE_KEY,
            source_id="x" * 36,
            event_at=T0,
            received_at=T0,
            payload=json.dumps({"letter": ""}),  # no percent: a KeyError is a bug, not bad input...
        )
        EventIntake.objects.create(
            kind="tracking",
            user_id=self.user.id,
            course_key="course-v1:Other+X+Y",  # another key: a failure in one key does not hold back another
            source_id="y" * 24,
            event_at=T0,
            received_at=T0,
            payload=json.dumps({"name": "problem_check", "timestamp": T0.isoformat(), "data": {"problem_id": 7}}),
        )
        fold_pending_events()
        outcomes = dict(EventIntake.objects.values_list("source_id", "outcome"))
        self.assertEqual(outcomes["y" * 24], "skipped")  # ...a problem event without a usage key is bad input
        self.assertEqual(outcomes["x" * 36], "")  # retried later
        self.assertEqual(EventIntake.objects.get(source_id="x" * 36).error, "KeyError")

    def test_problem_events_of_a_course_without_problem_statements_are_not_stored(self):
        raw = _problem_hint_event(self.user.id)
        self.course_settings.send_problem_statements = False
        self.course_settings.save()
        XapiTrackingBackend().send(raw)
        self.assertFalse(EventIntake.objects.exists())
        tracking.forget_course_filters()
        self.course_settings.send_problem_statements = True
        self.course_settings.save()
        XapiTrackingBackend().send(raw)
        (row,) = EventIntake.objects.all()
        stored = json.loads(row.payload)
        # Only what handlers read of the context is stored: not the learner's IP address or browser.
        self.assertEqual(set(stored["context"]), {"user_id", "course_id", "event_source", "module"})
        fold_pending_events()
        self.assertEqual(verbs(outbox()), ["asked"])

    def test_the_fold_is_queued_once_per_run_after_commit(self):
        from celery import current_app  # noqa: PLC0415

        published = []
        with mock.patch.object(
            current_app._get_current_object(),
            "send_task",
            side_effect=lambda name, **options: published.append((name, options)),
        ):
            with self.captureOnCommitCallbacks(execute=True):
                for n in range(3):
                    send(signals.PERSISTENT_GRADE_SUMMARY_CHANGED, T0, grade=support.grade(self.user, 0.1 * n))
                self.assertEqual(published, [], "queued only once the learner's transaction commits")
        ((name, options),) = published
        self.assertEqual(name, "xapi_plugin.intake.tasks.fold_event_intake")
        self.assertEqual(options["kwargs"], {"linger": event_intake.LINGER})


def _problem_hint_event(user_id: int) -> dict:
    problem = "block-v1:edX+DemoX+Demo_Course+type@problem+block@p1"
    return {
        "name": "edx.problem.hint.demandhint_displayed",
        "timestamp": T0.isoformat(),
        "data": {"module_id": problem, "hint_index": 0, "hint_len": 2, "hint_text": "Think"},
        "context": {
            "user_id": user_id,
            "course_id": COURSE_KEY,
            "event_source": "server",
            "module": {"display_name": "Problem 1", "usage_key": problem},
            "ip": "203.0.113.9",
            "agent": "Mozilla/5.0",
        },
    }


@pytest.mark.django_db
def test_inline_mode_reports_in_the_request(settings):
    settings.XAPI_EVENT_INTAKE = "inline"
    user = make_user()
    support.course_with_lrs()
    send(signals.COURSE_ENROLLMENT_CREATED, T0, enrollment=support.enrollment(user))
    assert verbs(outbox()) == ["registered"]
    assert EventIntake.objects.get().outcome == "reported"
