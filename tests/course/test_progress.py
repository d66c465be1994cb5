"""Progress from block completion: counting units, the three intake paths, milestones sent once."""

import json
from datetime import UTC, datetime

import ddt
import pytest
from completion.models import BlockCompletion
from django.test import SimpleTestCase, TestCase
from eventtracking import tracker
from openedx_events.analytics.data import TrackingLogData
from openedx_events.analytics.signals import TRACKING_EVENT_EMITTED

from tests.course import support
from tests.course.support import COURSE_KEY, make_user, outbox, verbs
from xapi_plugin.core import metrics
from xapi_plugin.course.progress import compute_progress, milestone_id
from xapi_plugin.models import CourseSettings, LearnerCourseState, LRSConnection
from xapi_plugin.platform import CourseOutline, OutlineSection
from xapi_plugin.privacy.identity import registration_for
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.video_profile import find_shared

FIXTURES = find_shared("fixtures/tracking-events")
ROOT = "http://lms.stand-in.test"
BODY = COURSE_KEY.split(":", 1)[1]
COURSE_IRI = f"{ROOT}/course/{COURSE_KEY}"
COMPLETION_EVENT = "edx.completion.block_completion.changed"


def unit(s, u):
    return f"block-v1:{BODY}+type@vertical+block@s{s}u{u}"


def section(s):
    return f"block-v1:{BODY}+type@chapter+block@section{s}"


def problem(s, u, b):
    return f"block-v1:{BODY}+type@problem+block@s{s}u{u}b{b}"


def outline(sections: list[list[str]], unit_blocks=None) -> CourseOutline:
    return CourseOutline(
        course_key=COURSE_KEY,
        display_name="Demo",
        version="1",
        sections=tuple(OutlineSection(f"chapter{i}", f"Chapter {i}", tuple(units)) for i, units in enumerate(sections)),
        unit_blocks=unit_blocks or {},
    )


@ddt.ddt
class ComputeProgressTest(SimpleTestCase):
    """Course progress = completed units / all units, counted not weighted; whole percent, rounded down."""

    @ddt.data(
        # (sections' units, unit -> blocks, completed blocks, course %, sections' %)
        ([["a", "b"], ["c", "d"]], {}, set(), 0, [0, 0]),
        ([["a", "b"], ["c", "d"]], {}, {"a"}, 25, [50, 0]),
        ([["a", "b"], ["c", "d"]], {}, {"a", "b", "c", "d"}, 100, [100, 100]),
        ([["a", "b", "c"]], {}, {"a", "b"}, 66, [66]),  # rounded down: 100 only when all are done
        ([["a"], ["b", "c", "d", "e", "f", "g", "h", "i", "j"]], {}, {"a"}, 10, [100, 0]),  # not weighted
        ([["a", "b"]], {"a": ("p1", "p2")}, {"p1"}, 0, [0]),  # a unit needs all its blocks
        ([["a", "b"]], {"a": ("p1", "p2")}, {"p1", "p2"}, 50, [50]),
        ([["a", "b"]], {"a": ("p1",)}, {"a"}, 0, [0]),  # a unit with blocks listed is not complete by itself
        ([["a", "b"]], {"a": ()}, set(), 50, [50]),  # only excluded content: complete, as the platform says
        ([["a"], []], {}, {"a"}, 100, [100]),  # an empty section has no percentage
        ([["a"]], {}, {"elsewhere"}, 0, [0]),
    )
    @ddt.unpack
    def test_progress(self, sections, unit_blocks, completed, course_percent, section_percents):
        progress = compute_progress(outline(sections, unit_blocks), completed)
        self.assertEqual(progress.course, course_percent)
        self.assertEqual([value for _, value in progress.sections], section_percents)

    @ddt.data([], [[]], [[], []])
    def test_a_course_without_units_has_no_progress(self, sections):
        self.assertIsNone(compute_progress(outline(sections), {"x"}))


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
class ProgressTestCase(support.EveryStatementValidated, TestCase):
    """A course of 2 sections x 2 units (each unit one problem unless said otherwise), xAPI on."""

    blocks_per_unit = 1

    def setUp(self):
        standin_platform.make_course(
            COURSE_KEY, "Demo course", sections=2, units=2, blocks_per_unit=self.blocks_per_unit
        )
        connection = LRSConnection(
            name="LRS", endpoint="http://127.0.0.1:9/xAPI", contact_email="o@example.com", available_to_all=True
        )
        connection.key, connection.secret = "k", "s"
        connection.save()
        self.course_settings = CourseSettings.objects.create(course_key=COURSE_KEY, enabled=True, connection=connection)
        self.user = make_user()

    # The three ways a completion reaches the plugin; each records it on the platform first.

    def complete_via_tracker(self, block, completion=1.0, user=None):
        """edx-completion's own path: save, then ``tracker.emit`` (the plugin's eventtracking backend)."""
        user_id = (user or self.user).id
        standin_platform.record_completion(user_id, COURSE_KEY, block, completion)
        with tracker.get_tracker().context("request", {"user_id": user_id, "course_id": COURSE_KEY}):
            tracker.emit(
                COMPLETION_EVENT,
                {"user_id": user_id, "course_id": COURSE_KEY, "block_id": block, "completion": completion},
            )

    def complete_via_event_bus(self, block, completion=1.0, timestamp=None):
        """The same tracking event arriving as ``TRACKING_EVENT_EMITTED`` (data and context as JSON)."""
        standin_platform.record_completion(self.user.id, COURSE_KEY, block, completion)
        TRACKING_EVENT_EMITTED.send_event(
            send_robust=False,
            tracking_log=TrackingLogData(
                name=COMPLETION_EVENT,
                timestamp=timestamp or datetime.now(UTC),
                data=json.dumps(
                    {"user_id": self.user.id, "course_id": COURSE_KEY, "block_id": block, "completion": completion}
                ),
                context=json.dumps({"user_id": self.user.id, "course_id": COURSE_KEY}),
            ),
        )

    def complete_via_model_save(self, block, completion=1.0):
        """A save of edx-completion's BlockCompletion (the adapter's BLOCK_COMPLETION_SAVED)."""
        standin_platform.save_block_completion(self.user.id, COURSE_KEY, block, completion)


def progress_of(statement) -> int:
    return statement["result"]["extensions"][v.EXT_CMI5_PROGRESS]


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
@ddt.ddt
class CompletionPathsTest(ProgressTestCase):
    @ddt.data("complete_via_tracker", "complete_via_event_bus", "complete_via_model_save")
    def test_first_unit_gives_section_then_course_progress(self, path):
        getattr(self, path)(problem(0, 0, 0))
        statements = outbox()
        self.assertEqual(verbs(statements), ["progressed", "progressed"])
        section_statement, course_statement = statements
        self.assertEqual(section_statement["object"]["id"], f"{ROOT}/xblock/{section(0)}")
        self.assertEqual(section_statement["object"]["definition"]["type"], v.ACTIVITY_MODULE)
        self.assertEqual(section_statement["object"]["definition"]["name"], {"en-US": "Section 1"})
        self.assertEqual(section_statement["context"]["contextActivities"]["parent"][0]["id"], COURSE_IRI)
        self.assertEqual(
            section_statement["result"],
            {"completion": False, "score": {"scaled": 0.5}, "extensions": {v.EXT_CMI5_PROGRESS: 50}},
        )
        self.assertEqual(course_statement["object"]["id"], COURSE_IRI)
        self.assertNotIn("contextActivities", course_statement["context"])
        self.assertEqual(
            course_statement["result"],
            {"completion": False, "score": {"scaled": 0.25}, "extensions": {v.EXT_CMI5_PROGRESS: 25}},
        )
        for statement in statements:
            self.assertEqual(statement["context"]["registration"], registration_for(self.user.id, COURSE_KEY))
            self.assertIsInstance(progress_of(statement), int)
        support.assert_independently_valid(statements, self.lrs)

    def test_the_shared_fixture_event(self):
        """The real-shaped event names a problem: the learner is data.user_id (4), not the context's (3)."""
        raw = json.loads((FIXTURES / f"{COMPLETION_EVENT}.json").read_text())
        learner = make_user("learner4", "learner4@example.com", id=raw["data"]["user_id"])
        block = raw["data"]["block_id"]
        standin_platform.register_course(
            COURSE_KEY,
            "Demo course",
            [(section(0), "Introduction", [unit(0, 0), unit(0, 1)])],
            unit_blocks={unit(0, 0): [block], unit(0, 1): ["block-v1:edX+DemoX+Demo_Course+type@problem+block@other"]},
        )
        standin_platform.record_completion(learner.id, COURSE_KEY, block)
        from xapi_plugin.intake.tracking import XapiTrackingBackend  # noqa: PLC0415

        XapiTrackingBackend().send(raw)
        statements = outbox()
        self.assertEqual([progress_of(s) for s in statements], [50, 50])
        self.assertEqual({s["actor"]["mbox"] for s in statements}, {"mailto:learner4@example.com"})
        self.assertEqual({s["timestamp"] for s in statements}, {"2023-08-22T20:16:25.500Z"})
        support.assert_independently_valid(statements, self.lrs)

    def test_milestones(self):
        """Completing every unit: each section and the course are completed once, with milestone ids."""
        for s in range(2):
            for u in range(2):
                self.complete_via_tracker(problem(s, u, 0))
        statements = outbox()
        self.assertEqual(
            [(verb, progress_of(st)) for verb, st in zip(verbs(statements), statements, strict=True)],
            [
                ("progressed", 50), ("progressed", 25),
                ("progressed", 100), ("completed", 100), ("progressed", 50),
                ("progressed", 50), ("progressed", 75),
                ("progressed", 100), ("completed", 100), ("progressed", 100), ("completed", 100),
            ],
        )  # fmt: skip
        completed = [s for s in statements if s["verb"]["id"] == v.VERB_COMPLETED]
        self.assertEqual(
            [s["id"] for s in completed],
            [milestone_id(self.user.id, COURSE_KEY, key) for key in (section(0), section(1), "course")],
        )
        self.assertTrue(all(s["result"]["completion"] is True for s in completed))
        self.assertEqual(len({s["id"] for s in statements}), len(statements))
        support.assert_independently_valid(statements, self.lrs)


class ChangesOnlyTest(ProgressTestCase):
    blocks_per_unit = 2

    def test_a_unit_counts_when_all_its_blocks_are_complete(self):
        self.complete_via_tracker(problem(0, 0, 0))
        self.assertEqual(outbox(), [])  # half a unit: still 0 %, nothing to say
        self.complete_via_tracker(problem(0, 0, 1))
        self.assertEqual([progress_of(s) for s in outbox()], [50, 25])

    def test_the_same_completion_on_every_path_is_reported_once(self):
        block = problem(0, 0, 0)
        stamp = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
        self.complete_via_model_save(block)
        self.complete_via_model_save(problem(0, 0, 1))
        self.complete_via_tracker(problem(0, 0, 1))
        self.complete_via_event_bus(problem(0, 0, 1), timestamp=stamp)
        self.complete_via_event_bus(problem(0, 0, 1), timestamp=stamp)  # redelivered
        self.assertEqual(verbs(outbox()), ["progressed", "progressed"])

    def test_completed_is_sent_once_even_if_progress_drops_and_returns(self):
        for u in range(2):
            for b in range(2):
                self.complete_via_tracker(problem(0, u, b))
        self.assertEqual(verbs(outbox()).count("completed"), 1)
        self.complete_via_tracker(problem(0, 1, 1), completion=0.0)  # reset by staff
        self.complete_via_tracker(problem(0, 1, 1), completion=1.0)
        statements = outbox()
        self.assertEqual(verbs(statements).count("completed"), 1)
        self.assertEqual([progress_of(s) for s in statements if s["object"]["id"] == COURSE_IRI], [25, 50, 25, 50])

    def test_a_new_unit_published_lowers_progress(self):
        self.complete_via_tracker(problem(0, 0, 0))
        self.complete_via_tracker(problem(0, 0, 1))
        standin_platform.make_course(COURSE_KEY, "Demo course", sections=2, units=4, blocks_per_unit=2, version="2")
        self.complete_via_tracker(problem(1, 0, 0))  # half a unit: no unit changed, the outline did
        statements = outbox()
        self.assertEqual([progress_of(s) for s in statements], [50, 25, 25, 12])
        state = LearnerCourseState.objects.get(user_id=self.user.id)
        self.assertEqual(state.progress, {section(0): 25, "course": 12})

    def test_progress_is_per_learner(self):
        other = make_user("other", "other@example.com")
        self.complete_via_tracker(problem(0, 0, 0), user=other)
        self.complete_via_tracker(problem(0, 0, 1), user=other)
        self.complete_via_tracker(problem(0, 0, 0))
        statements = outbox()
        self.assertEqual({s["actor"]["mbox"] for s in statements}, {"mailto:other@example.com"})


@ddt.ddt
class NothingToReportTest(ProgressTestCase):
    def counted(self, action):
        before = metrics.read_counters()
        with self.assertLogs("xapi_plugin", level="INFO") as logs:
            action()
        after = metrics.read_counters()
        return logs.output, {name: after[name] - before[name] for name in after}

    def test_course_with_zero_units(self):
        standin_platform.register_course(COURSE_KEY, "Empty", [(section(0), "Nothing yet", [])], version="2")
        output, counted = self.counted(lambda: self.complete_via_tracker(problem(0, 0, 0)))
        self.assertEqual(outbox(), [])
        self.assertEqual(counted[metrics.FAILED_EVENTS], 0)
        self.assertIn("no units", output[0])

    @ddt.data("off", "unknown")
    def test_course_without_xapi(self, how):
        if how == "off":
            self.course_settings.enabled = False
            self.course_settings.save()
        else:
            self.course_settings.delete()
        output, counted = self.counted(lambda: self.complete_via_model_save(problem(0, 0, 0)))
        self.assertEqual(outbox(), [])
        self.assertEqual(counted[metrics.SKIPPED_EVENTS], 1)
        self.assertIn("completion.BlockCompletion", output[0])
        self.assertRegex(output[0], r"[0-9a-f]{8}-[0-9a-f]{4}-")  # the event's id

    @ddt.data(
        {"user_id": "someone", "course_id": COURSE_KEY, "block_id": "b", "completion": 1.0},
        {"user_id": 1, "course_id": COURSE_KEY, "completion": 1.0},
        {"user_id": 1, "block_id": "b", "completion": 1.0},
        {"user_id": 1, "course_id": COURSE_KEY, "block_id": "b", "completion": 2.5},
        {"user_id": 1, "course_id": COURSE_KEY, "block_id": "b", "completion": "done"},
        {"user_id": 1, "course_id": COURSE_KEY, "block_id": ["b"], "completion": 1.0},
    )
    def test_malformed_tracking_event(self, data):
        def emit():
            tracker.emit(COMPLETION_EVENT, data)

        output, counted = self.counted(emit)
        self.assertEqual(outbox(), [])
        self.assertEqual(counted[metrics.SKIPPED_EVENTS], 1)
        self.assertIn(COMPLETION_EVENT, output[0])
        self.assertNotIn("learner@example.com", "\n".join(output))

    def test_unreadable_model_instance_is_logged_not_raised(self):
        from xapi_plugin import platform  # noqa: PLC0415

        output, counted = self.counted(
            lambda: platform.BLOCK_COMPLETION_SAVED.send(sender=BlockCompletion, instance=object(), created=True)
        )
        self.assertEqual(counted[metrics.FAILED_EVENTS], 1)
        self.assertIn("failed on completion.BlockCompletion", output[0])

    def test_other_models_are_ignored(self):
        from xapi_plugin import platform  # noqa: PLC0415

        before = metrics.read_counters()
        platform.BLOCK_COMPLETION_SAVED.send(sender=LRSConnection, instance=LRSConnection(), created=True)
        self.assertEqual(metrics.read_counters(), before)
        self.assertEqual(outbox(), [])


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
class RealEdxCompletionTest(ProgressTestCase):
    """The real edx-completion app: ``submit_completion`` saves the row and emits its tracking event.

    Its event reaches the plugin's eventtracking backend with ``modified``/``created`` as datetimes.
    """

    def setUp(self):
        super().setUp()
        standin_platform.enable_completion_tracking()
        self.emitted = []
        recorder = type("Recorder", (), {"send": lambda _self, event: self.emitted.append(event)})()
        backends = tracker.get_tracker().backends
        backends["test-recorder"] = recorder
        self.addCleanup(backends.pop, "test-recorder", None)

    def submit(self, block, completion=1.0):
        with tracker.get_tracker().context("edx.request", {"user_id": self.user.id, "username": self.user.username}):
            return standin_platform.submit_completion(self.user.id, block, completion)

    def test_the_real_event_holds_datetimes(self):
        self.submit(problem(0, 0, 0))
        (event,) = [e for e in self.emitted if e["name"] == COMPLETION_EVENT]
        self.assertIsInstance(event["data"]["modified"], datetime)
        self.assertIsInstance(event["data"]["created"], datetime)
        self.assertEqual(event["data"]["block_id"], problem(0, 0, 0))
        self.assertEqual(event["data"]["block_type"], "problem")

    def test_an_unchanged_submission_reaches_the_plugin_through_the_event_alone(self):
        """Bug 1: the event's datetimes made the backend raise; now it produces the progress statements.

        The row exists already with 1.0, so ``submit_completion`` saves nothing (no post_save) and
        only its tracking event carries the completion, as edx-completion emits it every time.
        """
        standin_platform.record_completion(self.user.id, COURSE_KEY, problem(0, 0, 0))
        from xapi_plugin.intake.tracking import XapiTrackingBackend  # noqa: PLC0415

        with self.assertNoLogs("eventtracking", level="ERROR"), self.assertNoLogs("xapi_plugin", level="ERROR"):
            self.submit(problem(0, 0, 0))
        self.assertEqual([progress_of(s) for s in outbox()], [50, 25])
        self.assertEqual(BlockCompletion.objects.count(), 1)
        # Handed to the backend again (the other intake path, a replay): a duplicate, never an error.
        (event,) = [e for e in self.emitted if e["name"] == COMPLETION_EVENT]
        XapiTrackingBackend().send(event)
        self.assertEqual(len(outbox()), 2)
        support.assert_independently_valid(outbox(), self.lrs)

    def test_a_new_completion_fires_both_paths_and_statements_go_out_once(self):
        """A first completion: post_save (BLOCK_COMPLETION_SAVED) and the event; each percentage once."""
        for s in range(2):
            for u in range(2):
                self.submit(problem(s, u, 0))
        self.submit(problem(1, 1, 0))  # re-submitted unchanged: emits again, nothing new to say
        statements = outbox()
        self.assertEqual(
            [(verb, progress_of(st)) for verb, st in zip(verbs(statements), statements, strict=True)],
            [
                ("progressed", 50), ("progressed", 25),
                ("progressed", 100), ("completed", 100), ("progressed", 50),
                ("progressed", 50), ("progressed", 75),
                ("progressed", 100), ("completed", 100), ("progressed", 100), ("completed", 100),
            ],
        )  # fmt: skip
        self.assertEqual(
            sum(1 for s in outbox() if s["verb"]["id"] == v.VERB_COMPLETED and s["object"]["id"] == COURSE_IRI), 1
        )
        self.assertEqual(len([e for e in self.emitted if e["name"] == COMPLETION_EVENT]), 5)
        support.assert_independently_valid(outbox(), self.lrs)

    def test_with_the_switch_off_the_platform_records_nothing(self):
        standin_platform.enable_completion_tracking(active=False)
        with self.assertRaises(RuntimeError):
            self.submit(problem(0, 0, 0))
        self.assertEqual(outbox(), [])


def block(name):
    return f"block-v1:{BODY}+type@problem+block@{name}"


@pytest.mark.integration
@pytest.mark.usefixtures("lrs_for_class")
@ddt.ddt
class VisibleContentTest(ProgressTestCase):
    """Bug 4: only what the learner can see counts, so every learner can reach 100 % and ``completed``.

    One section of three units: unit 0 holds problems a and b, unit 1 problem c, unit 2 problem d.
    """

    def setUp(self):
        super().setUp()
        standin_platform.register_course(
            COURSE_KEY,
            "Demo course",
            [(section(0), "Section 1", [unit(0, 0), unit(0, 1), unit(0, 2)])],
            unit_blocks={unit(0, 0): [block("a"), block("b")], unit(0, 1): [block("c")], unit(0, 2): [block("d")]},
        )

    def library_content(self, user):
        """Unit 0 is a library_content block of a and b; this learner was given a only."""
        library = f"block-v1:{BODY}+type@library_content+block@lib"
        standin_platform.add_library_content(COURSE_KEY, library, [block("a"), block("b")])
        standin_platform.select_library_children(user.id, library, [block("a")])

    def split_test(self, user):
        """Problems a and b are the two groups of a split_test (partition 1170); the learner is in a's."""
        standin_platform.restrict_to_groups(COURSE_KEY, block("a"), 1170, [0])
        standin_platform.restrict_to_groups(COURSE_KEY, block("b"), 1170, [1])
        standin_platform.assign_group(user.id, COURSE_KEY, 1170, 0)

    def cohort(self, user):
        """Unit 0's problem b is for cohort 2 only (partition 60); the learner is in cohort 1."""
        standin_platform.restrict_to_groups(COURSE_KEY, block("b"), 60, [2])
        standin_platform.assign_group(user.id, COURSE_KEY, 60, 1)

    def enrollment_track(self, user):
        """Problem b is for the verified track (partition 50, group 2); the learner is on audit (group 1)."""
        standin_platform.restrict_to_groups(COURSE_KEY, block("b"), 50, [2])
        standin_platform.assign_group(user.id, COURSE_KEY, 50, 1)

    def staff_only(self, user):
        """Problem b is visible to staff only."""
        standin_platform.set_staff_only(COURSE_KEY, block("b"))

    @ddt.data("library_content", "split_test", "cohort", "enrollment_track", "staff_only")
    def test_the_learner_reaches_100_percent_without_what_they_cannot_see(self, case):
        getattr(self, case)(self.user)
        for name in ("a", "c", "d"):
            self.complete_via_tracker(block(name))
        statements = outbox()
        self.assertEqual(
            [(verb, progress_of(s)) for verb, s in zip(verbs(statements), statements, strict=True)],
            [("progressed", 33), ("progressed", 33), ("progressed", 66), ("progressed", 66),
             ("progressed", 100), ("completed", 100), ("progressed", 100), ("completed", 100)],
        )  # fmt: skip
        support.assert_independently_valid(statements, self.lrs)

    @ddt.data("split_test", "cohort", "enrollment_track")
    def test_a_learner_in_the_other_group_must_complete_their_own_problem(self, case):
        getattr(self, case)(self.user)
        other = make_user("other", "other@example.com")
        partition = {"split_test": 1170, "cohort": 60, "enrollment_track": 50}[case]
        standin_platform.assign_group(
            other.id, COURSE_KEY, partition, {"split_test": 1, "cohort": 2, "enrollment_track": 2}[case]
        )
        for name in ("a", "c", "d"):
            self.complete_via_tracker(block(name), user=other)
        progress = [progress_of(s) for s in outbox(user_id=other.id)]
        self.assertLess(max(progress), 100)  # b is theirs, and not done yet
        self.complete_via_tracker(block("b"), user=other)
        self.assertIn("completed", verbs(outbox(user_id=other.id)))

    def test_a_hidden_unit_takes_its_blocks_with_it(self):
        standin_platform.set_staff_only(COURSE_KEY, unit(0, 2))
        for name in ("a", "b", "c"):
            self.complete_via_tracker(block(name))
        self.assertEqual([progress_of(s) for s in outbox()][-2:], [100, 100])

    def test_the_visible_set_is_asked_once_per_learner_and_course_version(self):
        from unittest import mock  # noqa: PLC0415

        from xapi_plugin import platform  # noqa: PLC0415

        backend = platform.get_backend()
        with mock.patch.object(backend, "get_visible_blocks", wraps=backend.get_visible_blocks) as asked:
            for name in ("a", "b", "c"):
                self.complete_via_tracker(block(name))
            self.assertEqual(asked.call_count, 1)
            standin_platform.register_course(  # a publish: a new version
                COURSE_KEY, "Demo course", [(section(0), "Section 1", [unit(0, 0), unit(0, 1), unit(0, 2)])],
                version="2", unit_blocks={unit(0, 0): [block("a"), block("b")], unit(0, 1): [block("c")],
                                          unit(0, 2): [block("d")]},
            )  # fmt: skip
            self.complete_via_tracker(block("d"))
            self.assertEqual(asked.call_count, 2)
