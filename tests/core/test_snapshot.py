"""The configuration snapshot: inside it a course's settings are read once; outside, every time."""

import pytest

from tests.course import support
from xapi_plugin.core.snapshot import ProcessMemo, configuration_snapshot, remembered
from xapi_plugin.studio import get_course_settings


def test_remembered_reads_once_inside_a_snapshot_and_every_time_outside():
    reads = []

    def read():
        reads.append(1)
        return len(reads)

    assert (remembered("k", read), remembered("k", read)) == (1, 2)
    with configuration_snapshot():
        assert (remembered("k", read), remembered("k", read)) == (3, 3)
        with configuration_snapshot():  # nested: the outer snapshot's memory
            assert remembered("k", read) == 3
        assert remembered("other", read) == 4
    assert remembered("k", read) == 5


@pytest.mark.django_db
def test_a_course_settings_change_is_seen_after_the_snapshot_not_inside_it():
    _, row = support.course_with_lrs()
    with configuration_snapshot():
        assert get_course_settings(support.COURSE_KEY).sends_problem_statements is True
        row.send_problem_statements = False
        row.save()  # drops the shared cache entry; the batch keeps what it read
        assert get_course_settings(support.COURSE_KEY).sends_problem_statements is True
    assert get_course_settings(support.COURSE_KEY).sends_problem_statements is False


def test_process_memo_keeps_an_answer_for_its_seconds_and_stays_bounded():
    reads = []

    def read():
        reads.append(1)
        return len(reads)

    memo = ProcessMemo(seconds=60, size=2)
    assert (memo.get("a", read), memo.get("a", read)) == (1, 1)
    memo.get("b", read)
    memo.get("c", read)  # a third key: the memory starts afresh
    assert memo.get("a", read) == 4
    expired = ProcessMemo(seconds=0, size=10)
    assert (expired.get("a", read), expired.get("a", read)) == (5, 6)
    memo.clear()
    assert memo.get("a", read) == 7
