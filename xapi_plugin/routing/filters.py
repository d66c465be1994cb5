"""The openedx-filters hook run on every statement before it is queued.

Operators configure steps in ``OPEN_EDX_FILTERS_CONFIG`` under
``"org.openedx.learning.xapi.statement.queued.v1"``. Each step (an
``openedx_filters.PipelineStep``) gets ``statement``, ``course_key``, ``user_id`` and ``source``
and returns ``{"statement": <changed statement>}`` to change it, ``{"statement": None}`` to drop
it, or ``{}`` to leave it. A changed statement is checked again; an invalid one is dropped and
logged (the producer is not told: it may be a learner's request).
"""

import logging

from django.conf import settings
from openedx_filters.tooling import OpenEdxPublicFilter

from xapi_plugin.statements import statement_problems

log = logging.getLogger(__name__)


class StatementQueued(OpenEdxPublicFilter):
    """Filter: one statement about to be queued to the LRS connections of its course."""

    filter_type = "org.openedx.learning.xapi.statement.queued.v1"

    @classmethod
    def run_filter(cls, statement: dict, course_key: str, user_id: int | None, source: str) -> dict | None:
        """The statement the pipeline returns (None: dropped)."""
        data = super().run_pipeline(statement=statement, course_key=course_key, user_id=user_id, source=source)
        return data.get("statement")


def _configured() -> bool:
    config = getattr(settings, "OPEN_EDX_FILTERS_CONFIG", None) or {}
    return bool(config.get(StatementQueued.filter_type))


def filter_statements(statements: list[dict], *, course_key: str, user_id: int | None, source: str) -> list[dict]:
    """``statements`` as the operator's pipeline leaves them (dropped ones left out), in order."""
    if not statements or not _configured():
        return statements
    kept = []
    for statement in statements:
        statement_id = statement.get("id")
        result = StatementQueued.run_filter(
            statement=statement, course_key=str(course_key), user_id=user_id, source=source
        )
        if result is None:
            log.info("xapi: statement %s dropped by the %s filter", statement_id, StatementQueued.filter_type)
            continue
        problems = statement_problems(result)
        if problems or result.get("id") != statement_id:
            log.error(
                "xapi: the %s filter made statement %s invalid (%s); it is dropped",
                StatementQueued.filter_type,
                statement_id,
                "; ".join(problems) or "its id was changed",
            )
            continue
        kept.append(result)
    return kept
