"""Whether a course is in some learning path is remembered per process (no query per grade change)."""

import pytest

from tests.paths.support import make_path
from xapi_plugin import platform

COURSE = "course-v1:Memo+Path+2026"


@pytest.mark.django_db
def test_a_course_in_no_path_costs_no_query_per_signal_and_a_new_step_is_seen_at_once(django_assert_num_queries):
    platform.is_course_in_any_path(COURSE)  # loads the set (one query)
    with django_assert_num_queries(0):
        assert not platform.is_course_in_any_path(COURSE)
        assert platform.learner_paths_with_course(1, COURSE) == []
    path = make_path([COURSE], key="path-v1:Memo+P+1+g")
    assert platform.is_course_in_any_path(COURSE), "a step saved in this process is seen at once"
    path.steps.all().delete()
    assert not platform.is_course_in_any_path(COURSE), "and a deleted one too"
