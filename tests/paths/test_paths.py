"""Learning path statements driven through the real learning-paths-plugin models and the course intake."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import SimpleTestCase, TestCase

from tests.course.support import EveryStatementValidated, outbox
from tests.paths import support
from tests.paths.support import COURSE_A, COURSE_B, COURSE_C, PATH_IRI, PATH_KEY, summary
from xapi_plugin import platform
from xapi_plugin.core.constants import ActorMode, ConnectionCoverage
from xapi_plugin.models import CourseSettings, LearnerPathState, LearningPathConnection, LRSConnection, OutboxStatement
from xapi_plugin.paths import connections_for_path, weighted_grade
from xapi_plugin.platform import LearningPathInfo, PathStep
from xapi_plugin.statements import vocabulary as v

PROGRESS = v.EXT_CMI5_PROGRESS


def _connection(name: str) -> LRSConnection:
    connection = LRSConnection(
        name=name, endpoint=f"http://127.0.0.1:9/{name}", contact_email="o@example.com", available_to_all=True
    )
    connection.key, connection.secret = "k", "s"
    connection.save()
    return connection


@pytest.mark.usefixtures("lrs_for_class")
class LearningPathStatementsTest(EveryStatementValidated, TestCase):
    """Every statement left in the outbox passes Ralph's xAPI 1.0.3 models and the real LRS (tearDown)."""

    def setUp(self):
        support.make_courses(COURSE_A, COURSE_B, COURSE_C)
        self.lrs_a = _connection("lrs-a")
        for key in (COURSE_A, COURSE_B, COURSE_C):
            CourseSettings.objects.create(course_key=key, enabled=True, connection=self.lrs_a)
        self.user = get_user_model().objects.create(username="ada", email="ada@example.com")

    def test_the_app_is_installed_and_detected(self):
        assert platform.learning_paths_installed()
        support.make_path([COURSE_A, COURSE_B])
        path = platform.get_learning_path(PATH_KEY)
        assert path.course_keys == (COURSE_A, COURSE_B)
        assert path.required_completion == 1.0

    def test_finishing_both_courses_gives_registered_two_progressed_completed_and_passed(self):
        path = support.make_path([COURSE_A, COURSE_B])
        support.enroll(self.user, path)
        support.finish_course(self.user, COURSE_A)
        support.grade(self.user, COURSE_A, 0.9, 1)
        support.finish_course(self.user, COURSE_B)
        support.grade(self.user, COURSE_B, 0.8, 2)

        statements = outbox()
        assert summary(statements) == [
            ("registered",),
            ("progressed", 50),
            ("progressed", 100),
            ("completed",),
            ("passed",),
        ]
        by_verb = {s["verb"]["display"]["en-US"]: s for s in support.path_statements(statements)}
        assert by_verb["registered"]["object"]["definition"]["type"] == v.ACTIVITY_LEARNING_PATH
        progressed = [s for s in support.path_statements(statements) if s["verb"]["id"] == v.VERB_PROGRESSED]
        assert [s["result"]["completion"] for s in progressed] == [False, False]
        assert [s["result"]["score"]["scaled"] for s in progressed] == [0.5, 1.0]
        assert by_verb["completed"]["result"]["completion"] is True
        assert by_verb["passed"]["result"] == {
            "success": True,
            "score": {"scaled": 0.85, "raw": 0.85, "min": 0, "max": 1},
        }
        # One agent and one registration for the learner in the path.
        assert len({s["context"]["registration"] for s in support.path_statements(statements)}) == 1
        # Course statements of the path's courses name the path in grouping.
        course_completed = [
            s for s in statements if s["object"]["id"].endswith(COURSE_B) and s["verb"]["id"] == v.VERB_COMPLETED
        ]
        assert course_completed
        grouping = course_completed[0]["context"]["contextActivities"]["grouping"]
        assert [a["id"] for a in grouping] == [PATH_IRI]

    def test_replayed_signals_send_nothing_new(self):
        path = support.make_path([COURSE_A, COURSE_B])
        enrollment = support.enroll(self.user, path)
        support.finish_course(self.user, COURSE_A)
        before = OutboxStatement.objects.count()
        enrollment.save()  # saved again, still active: no second registered
        support.finish_course(self.user, COURSE_A)  # the same completions again
        assert OutboxStatement.objects.count() == before

    def test_unenrolment_sends_unregistered_and_reenrolment_registered(self):
        path = support.make_path([COURSE_A, COURSE_B])
        enrollment = support.enroll(self.user, path)
        enrollment.is_active = False
        enrollment.save()
        enrollment.is_active = True
        enrollment.save()
        assert summary(outbox()) == [("registered",), ("unregistered",), ("registered",)]

    def test_courses_finished_before_joining_count_at_enrolment(self):
        path = support.make_path([COURSE_A, COURSE_B])
        support.finish_course(self.user, COURSE_A)
        assert summary(outbox()) == []
        support.enroll(self.user, path)
        assert summary(outbox()) == [("registered",), ("progressed", 50)]

    def test_a_step_added_or_removed_recomputes_the_ratio_and_completed_is_sent_once(self):
        from learning_paths.models import LearningPathStep  # noqa: PLC0415

        path = support.make_path([COURSE_A, COURSE_B])
        support.enroll(self.user, path)
        support.finish_course(self.user, COURSE_A)
        support.finish_course(self.user, COURSE_B)
        assert summary(outbox())[-2:] == [("progressed", 100), ("completed",)]

        step = LearningPathStep.objects.create(learning_path=path, course_key=COURSE_C, order=2)
        assert summary(outbox())[-1] == ("progressed", 66)  # 2 of 3 steps
        support.finish_course(self.user, COURSE_C)
        assert summary(outbox())[-1] == ("progressed", 100)
        step.delete()  # still 100 %: nothing to send
        LearningPathStep.objects.filter(course_key=COURSE_B).delete()
        assert [s for s in summary(outbox()) if s == ("completed",)] == [("completed",)]
        assert LearnerPathState.objects.get(user_id=self.user.id, path_key=PATH_KEY).completed is True

    def test_required_completion_below_one_completes_on_the_average(self):
        path = support.make_path([COURSE_A, COURSE_B], required_completion=0.75)
        support.enroll(self.user, path)
        support.finish_course(self.user, COURSE_A)  # average 50 %
        assert ("completed",) not in summary(outbox())
        support.finish_course(self.user, COURSE_B, units=1)  # B at 50 % of its units: average 75 %
        assert summary(outbox())[-1] == ("completed",)
        assert ("progressed", 100) not in summary(outbox())

    def test_failed_then_passed_on_the_weighted_grade(self):
        path = support.make_path([COURSE_A, COURSE_B], weights=[1.0, 0.5], required_grade=0.7)
        support.enroll(self.user, path)
        support.grade(self.user, COURSE_A, 0.6, 1)
        assert ("failed",) not in summary(outbox())  # B's grade not known yet
        support.grade(self.user, COURSE_B, 0.6, 2)
        failed = support.path_statements(outbox())[-1]
        assert failed["verb"]["id"] == v.VERB_FAILED and failed["result"]["score"]["scaled"] == 0.6
        support.grade(self.user, COURSE_A, 0.8, 3)  # (0.8 + 0.5 * 0.6) / 1.5 = 0.7333
        passed = support.path_statements(outbox())[-1]
        assert passed["verb"]["id"] == v.VERB_PASSED and passed["result"]["score"]["scaled"] == 0.7333

    def test_learner_not_enrolled_gets_no_path_statement_and_no_grouping(self):
        support.make_path([COURSE_A, COURSE_B])
        support.finish_course(self.user, COURSE_A)
        statements = outbox()
        assert statements and summary(statements) == []
        assert all("grouping" not in s["context"].get("contextActivities", {}) for s in statements)


class PathConnectionsTest(TestCase):
    """The rule: the operator's connection for the path, else every sending course's, each once."""

    def setUp(self):
        self.a, self.b = _connection("a"), _connection("b")
        self.path = LearningPathInfo(
            key=PATH_KEY, display_name="P", steps=(PathStep(COURSE_A), PathStep(COURSE_B), PathStep(COURSE_C))
        )

    def test_courses_connections_deduplicated_in_step_order(self):
        CourseSettings.objects.create(course_key=COURSE_A, enabled=True, connection=self.b)
        CourseSettings.objects.create(course_key=COURSE_B, enabled=True, connection=self.a)
        CourseSettings.objects.create(course_key=COURSE_C, enabled=True, connection=self.b)
        assert connections_for_path(self.path) == [self.b.pk, self.a.pk]

    def test_courses_not_sending_course_statements_do_not_count(self):
        CourseSettings.objects.create(course_key=COURSE_A, enabled=False, connection=self.a)
        CourseSettings.objects.create(
            course_key=COURSE_B, enabled=True, connection=self.b, send_course_statements=False
        )
        assert connections_for_path(self.path) == []

    def test_the_operators_connection_wins(self):
        CourseSettings.objects.create(course_key=COURSE_A, enabled=True, connection=self.a)
        LearningPathConnection.objects.create(path_key=PATH_KEY, connection=self.b)
        assert connections_for_path(self.path) == [self.b.pk]

    def test_statements_go_to_each_connection_once(self):
        support.make_courses(COURSE_A, COURSE_B)
        CourseSettings.objects.create(course_key=COURSE_A, enabled=True, connection=self.a)
        CourseSettings.objects.create(course_key=COURSE_B, enabled=True, connection=self.b)
        user = get_user_model().objects.create(username="bo", email="bo@example.com")
        support.enroll(user, support.make_path([COURSE_A, COURSE_B]))
        registered = OutboxStatement.objects.filter(course_key=PATH_KEY, verb="registered")
        assert sorted(registered.values_list("connection_id", flat=True)) == sorted([self.a.pk, self.b.pk])

    def test_a_site_wide_connection_gets_path_statements_in_its_own_actor_mode(self):
        support.make_courses(COURSE_A, COURSE_B)
        CourseSettings.objects.create(course_key=COURSE_A, enabled=True, connection=self.a)
        site = _connection("site-wide")
        site.coverage, site.actor_mode = ConnectionCoverage.SITE, ActorMode.ACCOUNT
        site.save()
        assert connections_for_path(self.path) == [self.a.pk, site.pk]
        user = get_user_model().objects.create(username="cy", email="cy@example.com")
        support.enroll(user, support.make_path([COURSE_A, COURSE_B]))
        rows = {row.connection_id: json.loads(row.payload) for row in OutboxStatement.objects.filter(verb="registered")}
        assert set(rows) == {self.a.pk, site.pk}
        assert rows[self.a.pk]["actor"]["mbox"] == "mailto:cy@example.com"
        assert "mbox" not in rows[site.pk]["actor"] and rows[site.pk]["actor"]["account"]["name"]

    def test_an_invalid_path_key_is_refused_with_how_to_fix(self):
        from django.core.exceptions import ValidationError  # noqa: PLC0415

        row = LearningPathConnection(path_key="course-v1:a+b+c", connection=self.a)
        with pytest.raises(ValidationError, match="path-v1:OpenedX"):
            row.full_clean()


class WeightedGradeTest(SimpleTestCase):
    def test_weights_and_unknown_steps(self):
        path = LearningPathInfo(key=PATH_KEY, display_name="", steps=(PathStep("a", 1.0), PathStep("b", 0.5)))
        assert weighted_grade(path, {"a": 0.9}) is None
        assert weighted_grade(path, {"a": 0.9, "b": 0.6}) == pytest.approx(0.8)
        zero = LearningPathInfo(key=PATH_KEY, display_name="", steps=(PathStep("a", 0.0), PathStep("b", 0.0)))
        assert weighted_grade(zero, {"a": 1.0, "b": 0.5}) == pytest.approx(0.75)
