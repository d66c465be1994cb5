"""The README's first command: ``xapi-demo`` runs the whole plugin with real parts and loses nothing."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from xapi_plugin.testing.local_lrs import LocalLRS

DEMO = str(Path(sys.executable).with_name("xapi-demo"))
SUMMARY = re.compile(r"^produced=(\d+) delivered=(\d+) rejected=(\d+) lost=(\d+)$")


def _run_demo(*args: str, timeout: float = 240) -> tuple[subprocess.CompletedProcess, dict]:
    result = subprocess.run([DEMO, *args], capture_output=True, text=True, timeout=timeout, cwd="/tmp")
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    match = SUMMARY.match(last)
    assert match, f"no summary line; exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    figures = dict(zip(("produced", "delivered", "rejected", "lost"), map(int, match.groups()), strict=True))
    return result, figures


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
        stored = other.statement_ids()
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"LRS: {other.endpoint} (given)" in result.stdout
    assert len(stored) == len(set(stored)) == figures["produced"] == figures["delivered"]


def test_demo_refuses_bad_arguments():
    result = subprocess.run([DEMO, "--learners", "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--learners must be at least 1" in result.stderr
    result = subprocess.run([DEMO, "--lrs-url", "lrs.example.com"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "must be the LRS's xAPI endpoint" in result.stderr
