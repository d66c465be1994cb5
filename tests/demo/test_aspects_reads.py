"""A demo run's statements, read the way Open edX Aspects reads them, in an in-process ClickHouse (chdb).

The queries are ours, written from ``shared/reference/aspects-facts.md`` (what each Aspects table
reads and where): not Aspects' SQL. The statements are the demo's, read back from the real LRS it
delivered them to, stored one row per statement as Ralph's ClickHouse backend stores them
(``event_id`` = statement id, ``emission_time`` = its timestamp, ``event`` = the JSON text).

Done when (issue 15): every learner has an enrolment mode, a course grade, problem results and a
last visit; and every field Aspects reads is where it looks.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from xapi_plugin.statements import vocabulary as v
from xapi_plugin.testing.local_lrs import LocalLRS, fetch_statements

DEMO = str(Path(sys.executable).with_name("xapi-demo"))
LEARNERS = 4
DEMO_COURSE = "course-v1:DemoOrg+XAPI101+2026"
SECOND_DEMO_COURSE = "course-v1:DemoOrg+XAPI102+2026"  # the demo learning path's second course
DEMO_PATH = "path-v1:DemoOrg+XAPI+2026+Demo"

# Ralph's raw table, and a parsing view with the common columns (aspects-facts §0 and §1).
SCHEMA = f"""
CREATE TABLE xapi_events_all (event_id UUID, emission_time DateTime64(6, 'UTC'), event String)
ENGINE = ReplacingMergeTree ORDER BY (emission_time, event_id);

CREATE VIEW parsed AS
SELECT
    event_id,
    emission_time,
    event,
    JSONExtractString(event, 'verb', 'id') AS verb_id,
    multiIf(
        JSONExtractString(event, 'actor', 'account', 'name') != '', JSONExtractString(event, 'actor', 'account', 'name'),
        JSONExtractString(event, 'actor', 'mbox') != '', JSONExtractString(event, 'actor', 'mbox'),
        JSONExtractString(event, 'actor', 'mbox_sha1sum')
    ) AS actor_id,
    JSONExtractString(event, 'object', 'id') AS object_id,
    JSONExtractString(event, 'object', 'definition', 'type') AS object_type,
    multiIf(
        JSONExtractString(event, 'context', 'contextActivities', 'parent', 1, 'definition', 'type') = '{v.ACTIVITY_COURSE}',
            JSONExtractString(event, 'context', 'contextActivities', 'parent', 1, 'id'),
        JSONExtractString(event, 'context', 'contextActivities', 'parent', 1, 'objectType') IN ('Activity', 'GroupActivity'),
            JSONExtractString(event, 'context', 'contextActivities', 'grouping', 1, 'id'),
        JSONExtractString(event, 'object', 'id')
    ) AS course_id,
    splitByChar('/', course_id)[-1] AS course_key,
    multiIf(
        position(course_id, 'course-v1:') > 0, extract(course_id, 'course-v1:([A-Za-z0-9_~.:%-]*)'),
        position(course_id, 'ccx-v1:') > 0, extract(course_id, 'ccx-v1:([A-Za-z0-9]*)'),
        ''
    ) AS org
FROM xapi_events_all;
"""  # noqa: E501


@pytest.fixture(scope="module")
def aspects():
    """A chdb session holding one demo run's statements (read back from the LRS the demo delivered to)."""
    chdb_session = pytest.importorskip("chdb.session")
    with LocalLRS() as lrs:
        result = subprocess.run(
            [DEMO, "--learners", str(LEARNERS), "--lrs-url", lrs.endpoint, "--lrs-key", "k", "--lrs-secret", "s"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd="/tmp",
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        statements = fetch_statements(lrs.endpoint, lrs.auth)
    assert len(statements) > 100
    rows = Path("/tmp") / f"xapi-aspects-{id(statements)}.jsonl"
    rows.write_text(
        "".join(
            json.dumps({"event_id": s["id"], "emission_time": s["timestamp"], "event": json.dumps(s)}) + "\n"
            for s in statements
        )
    )
    session = chdb_session.Session()
    for statement_sql in filter(str.strip, SCHEMA.split(";")):
        session.query(statement_sql)
    session.query(
        "INSERT INTO xapi_events_all SELECT event_id, parseDateTime64BestEffort(emission_time, 6), event "
        f"FROM file('{rows}', JSONEachRow, 'event_id UUID, emission_time String, event String')"
    )
    rows.unlink()

    def query(sql: str) -> list[dict]:
        text = session.query(sql, "JSONEachRow").bytes().decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    query.statements = statements
    yield query
    session.close()


def _learners(aspects) -> set[str]:
    rows = aspects(f"SELECT DISTINCT actor_id FROM parsed WHERE verb_id = '{v.VERB_REGISTERED}'")
    return {row["actor_id"] for row in rows}


@pytest.mark.integration
def test_every_statement_names_the_course_key_and_org(aspects):
    """Course statements name their course and org; a learning path's own statements name the path
    (no course: Aspects' course tables leave them out, as they should)."""
    (row,) = aspects(
        f"""SELECT count() AS n, groupUniqArray(course_key) AS keys, groupUniqArray(org) AS orgs FROM parsed
            WHERE object_type != '{v.ACTIVITY_LEARNING_PATH}'"""
    )
    (paths,) = aspects(
        "SELECT count() AS n, groupUniqArray(course_key) AS keys FROM parsed "
        f"WHERE object_type = '{v.ACTIVITY_LEARNING_PATH}'"
    )
    assert int(row["n"]) + int(paths["n"]) == len(aspects.statements) and int(paths["n"]) > 0
    assert sorted(row["keys"]) == [DEMO_COURSE, SECOND_DEMO_COURSE] and row["orgs"] == ["DemoOrg"]
    assert paths["keys"] == [DEMO_PATH]


@pytest.mark.integration
def test_every_learner_has_an_enrolment_mode(aspects):
    learners = _learners(aspects)
    assert len(learners) == LEARNERS
    rows = aspects(
        f"""SELECT actor_id,
                   argMax(JSONExtractString(event, 'object', 'definition', 'extensions', '{v.EXT_ACROSSX_TYPE}'),
                          emission_time) AS mode
            FROM parsed WHERE verb_id IN ('{v.VERB_REGISTERED}', '{v.VERB_UNREGISTERED}') GROUP BY actor_id"""
    )
    modes = {row["actor_id"]: row["mode"] for row in rows}
    assert set(modes) == learners
    assert set(modes.values()) == {"audit", "verified"}


@pytest.mark.integration
def test_every_learner_has_a_course_grade_and_a_pass_state(aspects):
    grading = f"""
        SELECT actor_id, emission_time, verb_id, object_id,
               JSONExtractFloat(event, 'result', 'score', 'scaled') AS scaled,
               JSONExtractString(event, 'result', 'extensions', '{v.EXT_GRADE_CLASSIFICATION}') AS classification
        FROM parsed
        WHERE verb_id IN ('{v.VERB_EARNED}', '{v.VERB_EVALUATED}')
           OR (verb_id IN ('{v.VERB_PASSED}', '{v.VERB_FAILED}') AND object_type = '{v.ACTIVITY_COURSE}')"""
    rows = aspects(
        f"""SELECT actor_id, argMax(scaled, emission_time) AS course_grade FROM ({grading})
            WHERE position(object_id, '/course/') > 0 AND NOT (verb_id = '{v.VERB_PASSED}' AND scaled = 0)
            GROUP BY actor_id"""
    )
    grades = {row["actor_id"]: float(row["course_grade"]) for row in rows}
    assert set(grades) == _learners(aspects)
    assert all(0 < grade <= 1 for grade in grades.values()), grades
    states = aspects(
        f"""SELECT actor_id, argMax(approving_state, emission_time) AS state FROM (
                SELECT actor_id, emission_time,
                       multiIf(classification = 'Pass', 'passed', classification = 'Fail', 'failed',
                               verb_id IN ('{v.VERB_PASSED}', '{v.VERB_FAILED}'), splitByChar('/', verb_id)[-1], '')
                       AS approving_state
                FROM ({grading})) WHERE approving_state != '' GROUP BY actor_id"""
    )
    assert {row["actor_id"] for row in states} == _learners(aspects)
    assert {row["state"] for row in states} <= {"passed", "failed"}


@pytest.mark.integration
def test_video_position_and_duration(aspects):
    verbs = ", ".join(
        f"'{verb}'"
        for verb in (
            v.VERB_INITIALIZED,
            v.VERB_COMPLETED,
            v.VERB_TERMINATED,
            v.VERB_PLAYED,
            v.VERB_PAUSED,
            v.VERB_SEEKED,
        )
    )
    rows = aspects(
        f"""SELECT verb_id,
                   ceil(coalesce(JSONExtract(event, 'result', 'extensions', '{v.EXT_VIDEO_TIME}', 'Nullable(Float64)'),
                                 JSONExtract(event, 'result', 'extensions', '{v.EXT_VIDEO_TIME_FROM}',
                                             'Nullable(Float64)'), 0)) AS position,
                   toInt64(JSONExtractFloat(event, 'context', 'extensions', '{v.EXT_VIDEO_LENGTH}')) AS duration,
                   extract(object_id, '/xblock/(.*)') AS block_id
            FROM parsed WHERE verb_id IN ({verbs}) AND position(object_id, 'video+block') > 0"""
    )
    assert len(rows) > 10
    assert all(int(row["duration"]) in (120, 180) for row in rows), rows[:3]
    assert all(row["block_id"].startswith("block-v1:DemoOrg+XAPI101+2026+type@video+block@") for row in rows)
    played = [int(row["position"]) for row in rows if row["verb_id"] == v.VERB_PLAYED]
    assert 0 in played and any(position > 0 for position in played)
    seeks = [int(row["position"]) for row in rows if row["verb_id"] == v.VERB_SEEKED]
    assert seeks and all(position in (60, 90) for position in seeks)  # where the seek started (half the video)


@pytest.mark.integration
def test_problem_attempts_responses_and_last_results(aspects):
    (check,) = aspects(
        f"""SELECT count() AS n,
                   countIf(JSONType(event, 'object', 'definition', 'extensions', '{v.EXT_ATTEMPT_ID}') = 'Int64') AS with_attempt,
                   countIf(JSONType(event, 'result', 'response') = 'String') AS string_responses,
                   countIf(JSONExtractString(event, 'object', 'definition', 'interactionType') != '') AS typed
            FROM parsed WHERE verb_id = '{v.VERB_EVALUATED}'"""  # noqa: E501
    )
    assert int(check["n"]) > 0
    # The hard requirement: one evaluated without a numeric attempt-id makes ClickHouse refuse the insert.
    assert int(check["with_attempt"]) == int(check["string_responses"]) == int(check["typed"]) == int(check["n"])
    problem_id = (
        "replaceRegexpOne(replaceRegexpOne(extract(object_id, '/xblock/([^/]*)'), '_[0-9]+_[0-9]+$', ''), '/.*', '')"
    )
    last = aspects(
        f"""SELECT actor_id, problem_id, question, max(attempt) AS attempts,
                   argMax(success, attempt) AS success, argMax(response, attempt) AS response
            FROM (SELECT actor_id, {problem_id} AS problem_id, object_id AS question,
                         JSONExtractInt(event, 'object', 'definition', 'extensions', '{v.EXT_ATTEMPT_ID}') AS attempt,
                         JSONExtractBool(event, 'result', 'success') AS success,
                         JSONExtractString(event, 'result', 'response') AS response
                  FROM parsed WHERE verb_id = '{v.VERB_EVALUATED}')
            GROUP BY actor_id, problem_id, question"""
    )
    assert {row["actor_id"] for row in last} == _learners(aspects)
    problems = {row["problem_id"] for row in last}
    assert len(problems) == 2
    assert all(re.fullmatch(r"block-v1:DemoOrg\+XAPI101\+2026\+type@problem\+block@s0u[01]b0", p) for p in problems)
    # The quiz's three questions are told apart, each with its last (second) attempt.
    quiz_questions = {row["question"] for row in last if row["problem_id"].endswith("s0u0b0")}
    assert len(quiz_questions) == 3
    assert {int(row["attempts"]) for row in last if row["problem_id"].endswith("s0u0b0")} == {2}
    assert {bool(row["success"]) for row in last} == {True, False}
    hints = aspects(f"SELECT object_id FROM parsed WHERE verb_id = '{v.VERB_ASKED}'")
    assert hints and all(re.search(r"@s0u0b0/(hint/0|answer)$", row["object_id"]) for row in hints)


@pytest.mark.integration
def test_navigation_positions_and_last_visit(aspects):
    rows = aspects(
        f"""SELECT actor_id, extract(object_id, '/xblock/(.*)') AS block_id, object_type,
                   JSONExtractInt(event, 'context', 'extensions', '{v.EXT_STARTING_POSITION}') AS starting_position,
                   JSONExtractString(event, 'context', 'extensions', '{v.EXT_ENDING_POINT}') AS ending_point
            FROM parsed WHERE verb_id = '{v.VERB_NAVIGATED}'"""
    )
    assert rows
    assert all(
        re.fullmatch(r"block-v1:DemoOrg\+XAPI101\+2026\+type@vertical\+block@s\d+u\d+", r["block_id"]) for r in rows
    )
    assert {row["object_type"] for row in rows} == {v.ACTIVITY_RESOURCE}
    assert {int(row["starting_position"]) for row in rows} >= {1, 2}
    assert {row["ending_point"] for row in rows} == {"next unit", "3"}
    visits = aspects(
        "SELECT actor_id, max(emission_time) AS last_visit FROM parsed "
        f"WHERE verb_id = '{v.VERB_NAVIGATED}' GROUP BY actor_id"
    )
    assert {row["actor_id"] for row in visits} == _learners(aspects)


@pytest.mark.integration
def test_account_actors_are_external_id_uuids(aspects):
    rows = aspects(
        "SELECT DISTINCT actor_id, toUUIDOrNull(actor_id) IS NOT NULL AS is_uuid FROM parsed "
        "WHERE JSONExtractString(event, 'actor', 'account', 'name') != ''"
    )
    assert rows, "the demo has learners without a valid email: they get accounts"
    assert all(row["is_uuid"] in (1, True) for row in rows)
