"""Unit tests of the shared pieces course statements stand on: ids, formatting, actors, learner identity,
and the pure course builders where the receivers' tests do not reach."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import ddt
from django.test import SimpleTestCase, TestCase, override_settings

from xapi_plugin.core.constants import ActorMode
from xapi_plugin.models import LearnerCourseAgent
from xapi_plugin.privacy.identity import get_learner_identity, registration_for
from xapi_plugin.statements import course as course_statements
from xapi_plugin.statements.actor import build_agent, is_valid_email, opaque_account_name
from xapi_plugin.statements.formatting import format_timestamp, iri, language_map, language_tag, truncate
from xapi_plugin.statements.ids import deterministic_uuid, deterministic_uuid4_shaped, statement_id
from xapi_plugin.studio.course_settings import CourseXapiSettings
from xapi_plugin.testing.validation import assert_valid_xapi

ROOT = "http://lms.stand-in.test"


@ddt.ddt
class IdsTest(SimpleTestCase):
    def test_same_parts_same_id(self):
        self.assertEqual(statement_id("evt-1", "verb"), statement_id("evt-1", "verb"))

    @ddt.data(
        (("a", "bc"), ("ab", "c")),  # the separator keeps part boundaries
        (("evt-1", "registered"), ("evt-1", "unregistered")),
        (("evt-1",), ("evt-2",)),
        ((1,), ("1", "")),
    )
    @ddt.unpack
    def test_different_parts_different_ids(self, first, second):
        self.assertNotEqual(statement_id(*first), statement_id(*second))

    def test_statement_ids_are_namespaced_apart_from_other_uuids(self):
        self.assertNotEqual(statement_id("x"), deterministic_uuid("x"))

    @ddt.data((deterministic_uuid, 5), (deterministic_uuid4_shaped, 4), (statement_id, 5))
    @ddt.unpack
    def test_versions_and_variant(self, function, version):
        value = uuid.UUID(function("some", "parts", 3))
        self.assertEqual((value.version, value.variant), (version, uuid.RFC_4122))
        self.assertEqual(str(value), function("some", "parts", 3))  # hyphenated, lowercase

    def test_no_collisions_over_many_events(self):
        ids = {statement_id(f"event-{n}", "verb") for n in range(20_000)}
        self.assertEqual(len(ids), 20_000)


@ddt.ddt
class FormattingTest(SimpleTestCase):
    @ddt.data(
        ("2020-07-15T06:52:55.057099+00:00", "2020-07-15T06:52:55.057Z"),
        ("2023-08-22T20:16:25.500832Z", "2023-08-22T20:16:25.500Z"),
        ("2020-07-15T08:52:55+02:00", "2020-07-15T06:52:55.000Z"),
        (datetime(2026, 5, 1, 12, 0, 3, 120999), "2026-05-01T12:00:03.120Z"),  # naive = UTC, truncated
        (datetime(2026, 5, 1, 7, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-05-01T12:00:00.000Z"),
    )
    @ddt.unpack
    def test_timestamps(self, value, expected):
        self.assertEqual(format_timestamp(value), expected)

    @ddt.data(
        ("en-us", "en-US"),
        ("zh-hans", "zh-Hans"),
        ("zh_hant_tw", "zh-Hant-TW"),
        ("pt-BR", "pt-BR"),
        ("es-419", "es-419"),
        ("FR", "fr"),
        ("", "en"),
        (None, "en"),
    )
    @ddt.unpack
    def test_language_tags(self, code, expected):
        self.assertEqual(language_tag(code), expected)

    def test_truncate_keeps_short_names_and_marks_cuts(self):
        self.assertEqual(truncate("Intro  to\nxAPI"), "Intro to xAPI")
        cut = truncate("é" * 300)
        self.assertEqual((len(cut), cut[-1]), (250, "…"))

    @ddt.data(None, "", "   ")
    def test_no_empty_language_maps(self, text):
        self.assertIsNone(language_map(text))

    def test_language_map(self):
        self.assertEqual(language_map("Cours 1", "fr-FR"), {"fr-FR": "Cours 1"})

    @ddt.data(
        ("http://lms.test/", "/courses/course-v1:A+B+C", "http://lms.test/courses/course-v1:A+B+C"),
        ("http://lms.test", "xblock/block-v1:A+B+C+type@vertical+block@u1", "http://lms.test/xblock/block-v1:A+B+C+type@vertical+block@u1"),
        ("http://lms.test", "/x/a b/é", "http://lms.test/x/a%20b/%C3%A9"),
    )  # fmt: skip
    @ddt.unpack
    def test_iri(self, root, path, expected):
        self.assertEqual(iri(root, path), expected)


@ddt.ddt
class ActorTest(SimpleTestCase):
    @ddt.data("learner@example.com", "a.b+tag@sub.example.org", "  padded@example.com ".strip())
    def test_valid_email_gives_mbox(self, email):
        agent = build_agent(1, email, ActorMode.EMAIL, ROOT, "salt")
        self.assertEqual(agent, {"objectType": "Agent", "mbox": f"mailto:{email}"})
        assert_valid_xapi(_statement_with(agent))

    @ddt.data(None, "", "nope", "a@", "@b.org", "a b@c.org", "x" * 250 + "@example.com")
    def test_missing_or_invalid_email_gives_account(self, email):
        self.assertFalse(is_valid_email(email))
        agent = build_agent(7, email, ActorMode.EMAIL, ROOT, "salt")
        self.assertEqual(
            agent, {"objectType": "Agent", "account": {"homePage": ROOT, "name": opaque_account_name(7, "salt")}}
        )
        assert_valid_xapi(_statement_with(agent))

    def test_account_mode_ignores_a_valid_email(self):
        agent = build_agent(7, "learner@example.com", ActorMode.ACCOUNT, ROOT, "salt", display_name="Ada")
        self.assertNotIn("mbox", agent)
        self.assertNotIn("name", agent)  # no display name either: account mode stays anonymous

    def test_display_name_only_with_mbox_and_truncated(self):
        agent = build_agent(7, "learner@example.com", ActorMode.EMAIL, ROOT, "salt", display_name="名" * 400)
        self.assertEqual(len(agent["name"]), 250)

    def test_opaque_account_name(self):
        name = opaque_account_name(42, "salt")
        self.assertRegex(name, r"^[0-9a-f]{32}$")
        self.assertEqual(name, opaque_account_name(42, "salt"))
        self.assertNotEqual(name, opaque_account_name(43, "salt"))
        self.assertNotEqual(name, opaque_account_name(42, "other salt"))
        self.assertNotIn("42", name[:2])  # nothing of the id shows through


def _statement_with(actor):
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/registered", "display": {"en-US": "registered"}},
        "object": {"objectType": "Activity", "id": f"{ROOT}/courses/course-v1:A+B+C"},
        "timestamp": "2026-01-01T00:00:00.000Z",
    }


def _settings(mode=ActorMode.EMAIL):
    return CourseXapiSettings(
        course_key="course-v1:A+B+C", enabled=True, connection_id=1, connection_name="x", connection_enabled=True,
        actor_mode=mode,
    )  # fmt: skip


@override_settings(XAPI_ACTOR_ID_SALT="test-salt")
class LearnerIdentityTest(TestCase):
    def setUp(self):
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        self.user = get_user_model().objects.create(username="ada", email="ada@example.com")

    def test_first_use_stores_the_agent_and_a_stable_registration(self):
        identity = get_learner_identity(self.user.id, "course-v1:A+B+C", _settings())
        self.assertEqual(identity.agent["mbox"], "mailto:ada@example.com")
        self.assertEqual(identity.registration, registration_for(self.user.id, "course-v1:A+B+C"))
        row = LearnerCourseAgent.objects.get(user_id=self.user.id)
        self.assertEqual(json.loads(row.agent_json), identity.agent)

    def test_registration_differs_per_course_and_learner(self):
        registrations = {
            registration_for(1, "course-v1:A+B+C"),
            registration_for(2, "course-v1:A+B+C"),
            registration_for(1, "course-v1:A+B+D"),
        }
        self.assertEqual(len(registrations), 3)
        self.assertEqual(uuid.UUID(registration_for(1, "course-v1:A+B+C")).version, 5)

    def test_the_agent_is_kept_when_email_or_mode_change(self):
        first = get_learner_identity(self.user.id, "course-v1:A+B+C", _settings())
        self.user.email = "changed@example.com"
        self.user.save()
        again = get_learner_identity(self.user.id, "course-v1:A+B+C", _settings(ActorMode.ACCOUNT))
        self.assertEqual(again, first)

    def test_email_given_by_the_caller_is_used_without_a_lookup(self):
        from django.db import connection  # noqa: PLC0415
        from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

        with CaptureQueriesContext(connection) as queries:
            identity = get_learner_identity(self.user.id, "course-v1:A+B+C", _settings(), email="given@example.com")
        # The only look at the user table is the retirement check, never a read of the email.
        user_reads = [q["sql"] for q in queries if "auth_user" in q["sql"]]
        self.assertFalse([sql for sql in user_reads if '"email"' in sql.split("FROM")[0]], user_reads)
        self.assertLessEqual(len(user_reads), 1)
        self.assertEqual(identity.agent["mbox"], "mailto:given@example.com")

    def test_unknown_user_and_invalid_email_get_an_account(self):
        identity = get_learner_identity(99999, "course-v1:A+B+C", _settings())
        self.assertEqual(identity.agent["account"], {"homePage": ROOT, "name": opaque_account_name(99999, "test-salt")})
        self.user.email = "not an address"
        self.user.save()
        identity = get_learner_identity(self.user.id, "course-v1:A+B+D", _settings())
        self.assertIn("account", identity.agent)

    def test_a_learner_has_one_agent_per_course(self):
        get_learner_identity(self.user.id, "course-v1:A+B+C", _settings())
        get_learner_identity(self.user.id, "course-v1:A+B+C", _settings())
        get_learner_identity(self.user.id, "course-v1:A+B+D", _settings(ActorMode.ACCOUNT))
        self.assertEqual(LearnerCourseAgent.objects.filter(user_id=self.user.id).count(), 2)


@ddt.ddt
class CourseBuildersTest(SimpleTestCase):
    """The pure builders on their own: values in, valid statements out."""

    basis = course_statements.CourseBasis(
        actor={"objectType": "Agent", "mbox": "mailto:ada@example.com"},
        registration=registration_for(1, "course-v1:A+B+C"),
        course_key="course-v1:A+B+C",
        course_name="Algebra",
        root_url=ROOT,
        language="fr-FR",
        timestamp=datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
        source_event_id="evt",
    )

    @ddt.data(-0.5, 0, 0.123456, 1, 1.0001, 7)
    def test_grades_are_clamped_into_the_score_range(self, percent):
        statement = course_statements.earned(self.basis, statement_id("e", percent), percent)
        score = statement["result"]["score"]
        self.assertTrue(0 <= score["scaled"] == score["raw"] <= 1)
        assert_valid_xapi(statement)

    @ddt.data((0, False), (99, False), (100, True), (150, True), (-3, False))
    @ddt.unpack
    def test_progressed(self, percent, complete):
        statement = course_statements.progressed(self.basis, statement_id("p", percent), percent)
        progress = statement["result"]["extensions"][course_statements.EXT_CMI5_PROGRESS]
        self.assertEqual(progress, min(100, max(0, percent)))
        self.assertEqual(statement["result"]["score"]["scaled"], progress / 100)
        self.assertIs(statement["result"]["completion"], complete)
        self.assertEqual(statement["context"]["language"], "fr-FR")
        assert_valid_xapi(statement)

    def test_failed_without_a_known_grade_has_no_score(self):
        statement = course_statements.passed_or_failed(self.basis, statement_id("f"), False)
        self.assertEqual(statement["result"], {"success": False})
        assert_valid_xapi(statement)

    def test_no_empty_values_anywhere(self):
        basis = course_statements.CourseBasis(**{**self.basis.__dict__, "course_name": None})
        statements = [
            course_statements.registered(basis, statement_id("r")),
            course_statements.earned(basis, statement_id("e"), 0.5, ""),
            course_statements.course_completed_with_certificate(
                basis, statement_id("c"), course_statements.CertificateInfo("honor")
            ),
            course_statements.completed(basis, statement_id("s"), ("block-v1:A+B+C+type@chapter+block@1", "")),
        ]
        for statement in statements:
            text = json.dumps(statement)
            self.assertNotIn('""', text)
            self.assertNotIn("null", text)
            self.assertFalse(re.search(r"\{\}|\[\]", text), text)
            assert_valid_xapi(statement)


class IdentityCacheTest(TestCase):
    """The per-process identity cache of the course receivers: saves a read, bounded, forgettable."""

    def setUp(self):
        from django.contrib.auth import get_user_model  # noqa: PLC0415

        self.user = get_user_model().objects.create(username="ada", email="ada@example.com")

    def test_second_use_reads_nothing_and_forget_reads_again(self):
        from xapi_plugin.privacy import identity as learners  # noqa: PLC0415

        first = learners.get_learner_identity(self.user.id, "course-v1:A+B+C", _settings())
        with self.assertNumQueries(0):
            self.assertEqual(learners.get_learner_identity(self.user.id, "course-v1:A+B+C", _settings()), first)
        learners.forget_learner(self.user.id)
        with self.assertNumQueries(1):
            self.assertEqual(learners.get_learner_identity(self.user.id, "course-v1:A+B+C", _settings()), first)

    def test_entries_expire_and_the_cache_is_bounded(self):
        from unittest import mock  # noqa: PLC0415

        from xapi_plugin.privacy import identity as learners  # noqa: PLC0415

        with mock.patch.object(learners, "IDENTITY_CACHE_SECONDS", 0):
            learners.get_learner_identity(self.user.id, "course-v1:A+B+C", _settings())
            with self.assertNumQueries(1):
                learners.get_learner_identity(self.user.id, "course-v1:A+B+C", _settings())
        with mock.patch.object(learners, "IDENTITY_CACHE_SIZE", 3):
            for n in range(5):
                learners.get_learner_identity(self.user.id, f"course-v1:A+B+C{n}", _settings())
            self.assertEqual(len(learners._identities), 3)
