"""The README's first command: ``xapi-demo`` runs the whole plugin with real parts and loses nothing."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from xapi_plugin.testing.local_lrs import LocalLRS
from xapi_plugin.testing.ralph_lrs import RalphLRS
from xapi_plugin.testing.validation import assert_video_sessions

DEMO = str(Path(sys.executable).with_name("xapi-demo"))
SUMMARY = re.compile(r"^produced=(\d+) delivered=(\d+) rejected=(\d+) lost=(\d+)$")


def _run_demo(*args: str, timeout: float = 240) -> tuple[subprocess.CompletedProcess, dict]:
    result = subprocess.run([DEMO, *args], capture_output=True, text=True, timeout=timeout, cwd="/tmp")
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    match = SUMMARY.match(last)
    assert match, f"no summary line; exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    figures = dict(zip(("produced", "delivered", "rejected", "lost"), map(int, match.groups()), strict=True))
    return result, figures


def _assert_video_statements_match_the_profile(stdout: str) -> None:
    """The demo's own check of what it read back, against the profile's templates (JSON-LD)."""
    declared = re.search(r"declaring the Video Profile: (\d+), matching one of its templates: (\d+)", stdout)
    sessions = re.search(r"video sessions: (\d+), following its primary pattern: (\d+)", stdout)
    assert declared and sessions, stdout[-3000:]
    assert int(declared[1]) > 10 and declared[1] == declared[2], declared[0]
    assert int(sessions[1]) >= 2 and sessions[1] == sessions[2], sessions[0]


@pytest.mark.integration
def test_demo_delivers_every_statement_to_its_own_lrs():
    result, figures = _run_demo("--learners", "3")
    assert result.returncode == 0, result.stdout[-3000:]
    assert figures["produced"] > 30  # 3 learners: enrolment, units, videos, grades...
    assert figures == {"produced": figures["produced"], "delivered": figures["produced"], "rejected": 0, "lost": 0}
    assert f"read back from the LRS: {figures['produced']} (duplicates: 0)" in result.stdout
    for verb in (
        "registered",
        "progressed",
        "completed",
        "initialized",
        "played",
        "paused",
        "terminated",
        "earned",
        "evaluated",
        "asked",
        "navigated",
    ):
        assert re.search(rf"^\s+{verb}\s+\d+$", result.stdout, re.M), f"no {verb} statements\n{result.stdout}"
    # Learners 0 and 2 join the two-course learning path (learning-paths-plugin is in the test extra).
    path_line = re.search(r"^learning path statements: (\d+) \((.*)\)$", result.stdout, re.M)
    assert path_line, result.stdout
    assert "registered 2" in path_line.group(2) and "progressed" in path_line.group(2), path_line.group(0)
    _assert_video_statements_match_the_profile(result.stdout)


@pytest.mark.integration
def test_demo_sends_to_ralph():
    with RalphLRS() as ralph:
        result, figures = _run_demo(
            "--learners", "3", "--lrs-url", ralph.endpoint, "--lrs-key", ralph.key, "--lrs-secret", ralph.secret
        )
        stored = ralph.all_statements()
    assert result.returncode == 0, result.stdout[-3000:]
    assert "no /about (GET /about: 404)" in result.stdout  # Ralph 5.1 has none; the check falls back
    ids = [statement["id"] for statement in stored]
    assert len(ids) == len(set(ids)) == figures["produced"] == figures["delivered"]
    assert figures["lost"] == figures["rejected"] == 0
    _assert_video_statements_match_the_profile(result.stdout)
    # Read back from Ralph, checked here too: Ralph's models, templates and sessions.
    assert assert_video_sessions(stored) >= 2
    # Problems: right and wrong answers, several attempts, a multi-question quiz (3 learners x 3 submissions).
    answers = re.search(
        r"^problem answers: +(\d+) evaluated \((\d+) right, (\d+) wrong\) in (\d+) submissions, attempts up to (\d+)",
        result.stdout,
        re.M,
    )
    assert answers, result.stdout
    evaluated, right, wrong, submissions, max_attempt = map(int, answers.groups())
    assert right > 0 and wrong > 0 and evaluated == right + wrong
    assert submissions == 9 and evaluated > submissions and max_attempt == 2
    assert re.search(r"^navigation: +[1-9]\d* navigated$", result.stdout, re.M), result.stdout


@pytest.mark.integration
def test_demo_sends_to_an_lrs_given_by_url():
    with LocalLRS() as other:
        result, figures = _run_demo(
            "--learners", "2", "--lrs-url", other.endpoint, "--lrs-key", "k", "--lrs-secret", "s"
        )
        statements = other.all_statements()
    stored = [statement["id"] for statement in statements]
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"LRS: {other.endpoint} (given)" in result.stdout
    assert len(stored) == len(set(stored)) == figures["produced"] == figures["delivered"]
    _assert_video_statements_match_the_profile(result.stdout)
    assert assert_video_sessions(statements) >= 2


def test_demo_refuses_bad_arguments():
    result = subprocess.run([DEMO, "--learners", "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--learners must be at least 1" in result.stderr
    result = subprocess.run([DEMO, "--lrs-url", "lrs.example.com"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "must be the LRS's xAPI endpoint" in result.stderr
