"""Problem statements from the real capa ProblemBlock (xblocks-contrib): its real grading, its real events.

The block runs in ``xapi_plugin.testing.problem_block``'s runtime, which publishes as the LMS does:
tracked events go through the plugin's eventtracking backend with the server context.
"""

import json

import pytest

from tests.course.support import assert_independently_valid, outbox
from xapi_plugin.core import metrics
from xapi_plugin.intake import XapiTrackingBackend
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.problem_block import answer_ids, problem_block, submit

COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"
ROOT = "http://lms.stand-in.test"
PROBLEM = "block-v1:edX+DemoX+Demo_Course+type@problem+block@quiz1"
SINGLE = "block-v1:edX+DemoX+Demo_Course+type@problem+block@prime"

MULTI_XML = """<problem>
<multiplechoiceresponse><label>Which is a prime?</label>
  <choicegroup type="MultipleChoice"><choice correct="false">4</choice><choice correct="true">7</choice></choicegroup>
</multiplechoiceresponse>
<choiceresponse><label>Pick the even numbers</label>
  <checkboxgroup>
    <choice correct="true">2</choice><choice correct="false">3</choice><choice correct="true">8</choice>
  </checkboxgroup>
</choiceresponse>
<stringresponse answer="Paris"><label>Capital of France?</label><textline/></stringresponse>
<demandhint><hint>Think small.</hint><hint>Seven.</hint></demandhint>
</problem>"""

SINGLE_XML = """<problem>
<numericalresponse answer="7"><label>The fourth prime?</label><formulaequationinput/></numericalresponse>
</problem>"""


@pytest.fixture
def learner(django_user_model, make_course_settings):
    standin_platform.make_course(COURSE_KEY, "Demo course")
    make_course_settings(actor_mode="account")
    return django_user_model.objects.create_user("ada", "ada@example.com", "pw")


def _evaluated():
    return [s for s in outbox() if s["verb"]["id"] == v.VERB_EVALUATED]


@pytest.mark.django_db
@pytest.mark.integration
def test_a_multi_question_submission_gives_one_statement_per_question(learner, local_lrs):
    block = problem_block(PROBLEM, MULTI_XML, user_id=learner.pk, display_name="Quiz 1")
    first, second, third = answer_ids(block)
    submit(block, {first: "choice_1", second: ["choice_0", "choice_1"], third: "Paris"})

    (check,) = [event for event in block.runtime.published if event.name == "problem_check"]
    statements = _evaluated()
    assert len(statements) == 3
    by_question = {s["object"]["id"].rsplit("@", 1)[1]: s for s in statements}
    assert set(by_question) == {first, second, third}
    # Each question's IRI is the problem's usage key with the answer id as block id (ERB's form).
    assert by_question[first]["object"]["id"] == f"{ROOT}/xblock/{PROBLEM.rsplit('@', 1)[0]}@{first}"

    right, wrong, text = by_question[first], by_question[second], by_question[third]
    assert right["result"]["success"] is True and wrong["result"]["success"] is False and text["result"]["success"]
    assert right["result"]["response"] == "7"
    assert json.loads(wrong["result"]["response"]) == ["2", "3"]  # checkboxes: the shown choices, as JSON text
    assert text["result"]["response"] == "Paris"
    assert [by_question[q]["object"]["definition"]["interactionType"] for q in (first, second, third)] == [
        "choice",
        "choice",
        "fill-in",
    ]
    assert right["object"]["definition"]["description"] == {"en-US": "Which is a prime?"}
    # Points: the real problem's raw grade of max, split per question, adding up to the event's.
    assert (check.data["grade"], check.data["max_grade"]) == (2, 3)
    scores = [by_question[q]["result"]["score"] for q in (first, second, third)]
    assert scores == [
        {"scaled": 1.0, "raw": 1.0, "min": 0, "max": 1.0},
        {"scaled": 0.0, "raw": 0.0, "min": 0, "max": 1.0},
        {"scaled": 1.0, "raw": 1.0, "min": 0, "max": 1.0},
    ]
    assert sum(score["raw"] for score in scores) == check.data["grade"]
    for statement in statements:
        assert statement["object"]["definition"]["extensions"] == {v.EXT_ATTEMPT_ID: 1}
        assert statement["object"]["definition"]["type"] == v.ACTIVITY_INTERACTION
        context = statement["context"]["contextActivities"]
        assert context["parent"][0]["id"] == f"{ROOT}/course/{COURSE_KEY}"
        assert context["parent"][0]["definition"]["type"] == v.ACTIVITY_COURSE
        assert context["grouping"][0]["id"] == f"{ROOT}/xblock/{PROBLEM}"
        assert statement["actor"]["account"]["name"]  # the learner's ExternalId
    assert_independently_valid(statements, local_lrs)


@pytest.mark.django_db
@pytest.mark.integration
def test_attempts_count_up_and_a_single_question_uses_the_problem_iri(learner, local_lrs):
    block = problem_block(SINGLE, SINGLE_XML, user_id=learner.pk, display_name="Primes")
    (answer,) = answer_ids(block)
    submit(block, {answer: "9"})
    submit(block, {answer: "7"})
    first, second = _evaluated()
    assert first["object"]["id"] == second["object"]["id"] == f"{ROOT}/xblock/{SINGLE}"
    assert [s["object"]["definition"]["extensions"][v.EXT_ATTEMPT_ID] for s in (first, second)] == [1, 2]
    assert [s["result"]["success"] for s in (first, second)] == [False, True]
    assert [s["result"]["response"] for s in (first, second)] == ["9", "7"]
    assert first["object"]["definition"]["interactionType"] == "numeric"
    assert first["object"]["definition"]["name"] == {"en-US": "Primes"}
    assert "grouping" not in first["context"]["contextActivities"]
    assert first["id"] != second["id"]
    assert_independently_valid([first, second], local_lrs)


@pytest.mark.django_db
@pytest.mark.integration
def test_hints_and_shown_answers_are_asked(learner, local_lrs):
    block = problem_block(PROBLEM, MULTI_XML, user_id=learner.pk)
    block.get_demand_hint(0)
    block.get_demand_hint(1)
    block.get_answer(None)
    asked = [s for s in outbox() if s["verb"]["id"] == v.VERB_ASKED]
    assert [s["object"]["id"] for s in asked] == [
        f"{ROOT}/xblock/{PROBLEM}/hint/0",
        f"{ROOT}/xblock/{PROBLEM}/hint/1",
        f"{ROOT}/xblock/{PROBLEM}/answer",
    ]
    assert [s["object"]["definition"]["type"] for s in asked] == [
        v.ACTIVITY_SUPPLEMENTAL_INFO,
        v.ACTIVITY_SUPPLEMENTAL_INFO,
        v.ACTIVITY_SOLUTION,
    ]
    assert_independently_valid(asked, local_lrs)


@pytest.mark.django_db
def test_the_course_setting_turns_the_family_off(django_user_model, make_course_settings):
    standin_platform.make_course(COURSE_KEY, "Demo course")
    make_course_settings(send_problem_statements=False)
    user = django_user_model.objects.create_user("bo", "bo@example.com", "pw")
    block = problem_block(SINGLE, SINGLE_XML, user_id=user.pk)
    submit(block, {answer_ids(block)[0]: "7"})
    block.get_answer(None)
    assert outbox() == []


@pytest.mark.django_db
def test_the_browser_copy_of_problem_check_is_dropped_quietly(learner):
    before = metrics.read_counters()
    XapiTrackingBackend().send(
        {
            "name": "problem_check",
            "timestamp": "2026-03-02T10:00:00+00:00",
            "data": "input_quiz1_2_1=choice_1&input_quiz1_3_1%5B%5D=choice_0",
            "context": {"user_id": learner.pk, "course_id": COURSE_KEY, "event_source": "browser"},
        }
    )
    assert outbox() == []
    assert metrics.read_counters() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"problem_id": PROBLEM, "attempts": 1, "max_grade": 1},  # no correct_map
        {"problem_id": "not a key", "attempts": 1, "max_grade": 1, "correct_map": {"a_2_1": {}}},
        {"problem_id": PROBLEM, "attempts": "one", "max_grade": 1, "correct_map": {"a_2_1": {}}},
        {"problem_id": PROBLEM, "attempts": 1, "max_grade": None, "correct_map": {"a_2_1": {}}},
    ],
)
def test_a_malformed_problem_check_is_skipped_and_counted(learner, data):
    before = metrics.read_counters()[metrics.SKIPPED_EVENTS]
    XapiTrackingBackend().send(
        {
            "name": "problem_check",
            "timestamp": "2026-03-02T10:00:00+00:00",
            "data": data,
            "context": {"user_id": learner.pk, "course_id": COURSE_KEY, "event_source": "server"},
        }
    )
    assert outbox() == []
    assert metrics.read_counters()[metrics.SKIPPED_EVENTS] == before + 1
