"""The problem and navigation samples at the end of docs/statements.md are what the code sends.

Problem samples come from the real capa ProblemBlock (its real ``problem_check``, hint and
show-answer events); navigation samples from the learning MFE's event shape. To refresh them
after a deliberate change: ``XAPI_WRITE_SAMPLES=1 .venv/bin/pytest tests/learning/test_statement_samples.py``
(the block is appended at the end of the page the first time).
"""

from pathlib import Path

from django.test import TestCase

from tests.course import support
from xapi_plugin.intake import XapiTrackingBackend
from xapi_plugin.models import CourseSettings, LRSConnection
from xapi_plugin.testing import standin_platform
from xapi_plugin.testing.doc_samples import details_block, page_shows
from xapi_plugin.testing.problem_block import answer_ids, problem_block, submit
from xapi_plugin.testing.validation import assert_valid_xapi

PAGE = Path(__file__).resolve().parents[2] / "docs" / "statements.md"
BEGIN, END = "<!-- samples: problems and navigation -->", "<!-- /samples: problems and navigation -->"
COURSE_KEY = support.COURSE_KEY
BODY = COURSE_KEY.split(":", 1)[1]
QUIZ = f"block-v1:{BODY}+type@problem+block@quiz"
UNIT = f"block-v1:{BODY}+type@vertical+block@u1"
QUIZ_XML = """<problem>
<multiplechoiceresponse><label>Which is a prime?</label>
  <choicegroup type="MultipleChoice"><choice correct="false">4</choice><choice correct="true">7</choice></choicegroup>
</multiplechoiceresponse>
<choiceresponse><label>Pick the even numbers</label>
  <checkboxgroup><choice correct="true">2</choice><choice correct="false">3</choice></checkboxgroup>
</choiceresponse>
<demandhint><hint>Think small.</hint></demandhint>
</problem>"""
SAMPLES = (
    ("evaluated", "`problem_check` of a two-question problem: the first question (right)"),
    ("evaluated", "the same submission: the second question (wrong; checkboxes as a JSON list)"),
    ("asked", "`edx.problem.hint.demandhint_displayed`"),
    ("asked", "`showanswer`"),
    ("navigated", "`edx.ui.lms.sequence.next_selected` from the learning MFE"),
)


class LearningSamplesTest(TestCase):
    def produce(self) -> list[dict]:
        standin_platform.make_course(COURSE_KEY, "Demonstration Course")
        connection = LRSConnection(
            name="LRS", endpoint="http://127.0.0.1:9/xAPI", contact_email="o@example.com", available_to_all=True
        )
        connection.key, connection.secret = "k", "s"
        connection.save()
        CourseSettings.objects.create(course_key=COURSE_KEY, enabled=True, connection=connection)
        user = support.make_user("ada", "ada@example.com", id=42)
        block = problem_block(QUIZ, QUIZ_XML, user_id=user.id, display_name="Warm-up quiz")
        first, second = answer_ids(block)
        submit(block, {first: "choice_1", second: ["choice_0", "choice_1"]})
        block.get_demand_hint(0)
        block.get_answer(None)
        page = f"https://apps.example.com/learning/course/{COURSE_KEY}/block-v1:{BODY}+type@sequential+block@s1/{UNIT}"
        XapiTrackingBackend().send(
            {
                "name": "edx.ui.lms.sequence.next_selected",
                "timestamp": "2026-03-02T10:01:00.250000+00:00",
                "data": {"current_tab": 1, "id": UNIT, "tab_count": 3, "widget_placement": "top"},
                "context": {"user_id": user.id, "event_source": "browser", "page": page, "path": "/event"},
            }
        )
        return support.outbox()

    def markdown(self) -> str:
        statements = self.produce()
        self.assertEqual([s["verb"]["display"]["en-US"] for s in statements], [verb for verb, _ in SAMPLES])
        for statement in statements:
            assert_valid_xapi(statement)
        return details_block(BEGIN, END, "## Problem and navigation statement samples", SAMPLES, statements)

    def test_statements_page_shows_what_the_code_sends(self):
        stale = "docs/statements.md is stale: the module docstring says how to refresh"
        self.assertTrue(page_shows(PAGE, BEGIN, END, self.markdown()), stale)
