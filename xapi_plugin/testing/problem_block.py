"""The real capa ProblemBlock (xblocks-contrib) in a small runtime, publishing the events the LMS would track.

The LMS runs the block with ``EventPublishingService.publish``: ``grade`` and ``completion`` go
to the grades and completion services, every other event to the tracker as
``name=<event type>``, ``data=<the block's dict>``, inside a context with the course, org, user
and ``event_source: "server"``, ``page: "x_module"`` (see platform-facts §2.2). This runtime does
the same for what the block publishes: it records every published event and hands the
tracking-shaped ones to ``sink`` (by default the plugin's own eventtracking backend), so a test
exercises the real block, its real grading and its real event data end to end.

Services are what the block declares it needs (``user``, ``i18n``, ``cache``, ``sandbox``,
``xqueue``, ``replace_urls``), each reduced to what capa calls: no code sandbox (problems with
``<script type="loncapa/python">`` are refused by capa without one), no external grader queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opaque_keys.edx.keys import UsageKey

# Events the LMS does not hand to the tracker (they go to the grades / completion services).
NOT_TRACKED = frozenset({"grade", "completion", "progress"})


class _Cache:
    def __init__(self):
        self._values = {}

    def get(self, key, default=None):
        return self._values.get(key, default)

    def set(self, key, value, *args, **kwargs):
        self._values[key] = value


class _Sandbox:
    def can_execute_unsafe_code(self) -> bool:
        return False

    def get_python_lib_zip(self):
        return None


class _XQueue:
    interface = None
    waittime = 5
    default_queuename = "test-queue"

    def construct_callback(self, dispatch: str = "score_update") -> str:
        return f"http://lms.stand-in.test/xqueue/{dispatch}"


class _ReplaceUrls:
    def replace_urls(self, text, static_replace_only=False):
        return text


@dataclass
class PublishedEvent:
    """What the block published: its event type and data, and when (the runtime's clock)."""

    name: str
    data: dict
    timestamp: datetime


@dataclass
class ProblemRuntimeClock:
    """A deterministic clock: each published event is ``step`` later than the one before."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC))
    step: timedelta = timedelta(seconds=7)

    def tick(self) -> datetime:
        self.now += self.step
        return self.now


def _runtime_class():
    from xblock.reference.user_service import UserService, XBlockUser  # noqa: PLC0415
    from xblock.test.tools import TestRuntime  # noqa: PLC0415

    class StandInUserService(UserService):
        def __init__(self, user_id: int, username: str):
            super().__init__()
            self._user = XBlockUser(is_current_user=True, emails=[], full_name="")
            # The attributes edx-platform's user service sets and capa reads.
            self._user.opt_attrs.update(
                {
                    "edx-platform.user_id": user_id,
                    "edx-platform.username": username,
                    "edx-platform.user_is_staff": False,
                    "edx-platform.anonymous_user_id": f"anon-{user_id}",
                    "edx-platform.deprecated_anonymous_user_id": f"anon-{user_id}",
                }
            )

        def get_current_user(self):
            return self._user

    class ProblemRuntime(TestRuntime):
        """Runs ProblemBlocks for one learner; ``publish`` behaves as the LMS's publishing service."""

        resources_fs = None

        def __init__(self, *, user_id: int, username: str, course_key: str, sink, clock):
            super().__init__(
                services={
                    "user": StandInUserService(user_id, username),
                    "cache": _Cache(),
                    "sandbox": _Sandbox(),
                    "xqueue": _XQueue(),
                    "replace_urls": _ReplaceUrls(),
                }
            )
            self.user_id, self.username, self.course_key = user_id, username, course_key
            self.sink, self.clock = sink, clock
            self.published: list[PublishedEvent] = []

        def handler_url(self, block, handler_name, suffix="", query="", thirdparty=False):
            return f"/courses/{self.course_key}/xblock/{block.scope_ids.usage_id}/handler/{handler_name}"

        def local_resource_url(self, block, uri):
            return f"/static/{uri}"

        def publish(self, block, event_type, event_data):
            timestamp = self.clock.tick()
            self.published.append(PublishedEvent(event_type, event_data, timestamp))
            if event_type in NOT_TRACKED or self.sink is None:
                return
            org = self.course_key.split(":", 1)[-1].split("+", 1)[0]
            self.sink(
                {
                    "name": event_type,
                    "timestamp": timestamp,
                    "data": event_data,
                    "context": {
                        "user_id": self.user_id,
                        "username": self.username,
                        "course_id": self.course_key,
                        "org_id": org,
                        "enterprise_uuid": "",
                        "asides": {},
                        "event_source": "server",
                        "page": "x_module",
                        "path": self.handler_url(block, "xmodule_handler") + f"/{event_type}",
                        "module": {"display_name": block.display_name, "usage_key": str(block.scope_ids.usage_id)},
                    },
                }
            )

    return ProblemRuntime


def _default_sink(raw: dict) -> None:
    from xapi_plugin.intake import XapiTrackingBackend  # noqa: PLC0415

    XapiTrackingBackend().send(raw)


def problem_block(
    usage_key: str,
    xml: str,
    *,
    user_id: int,
    username: str = "learner",
    display_name: str = "Problem",
    max_attempts: int | None = None,
    sink: Callable[[dict], None] | None = _default_sink,
    clock: ProblemRuntimeClock | None = None,
):
    """A real ``xblocks_contrib.problem.ProblemBlock`` for ``usage_key`` holding ``xml``, as one learner sees it.

    Submit with ``block.submit_problem({"input_<answer id>": value})`` (what the LMS handler
    ``problem_check`` calls); hints with ``block.get_demand_hint(0)``; the answer with
    ``block.get_answer(None)``. ``block.runtime.published`` lists everything it published.
    """
    from xblock.field_data import DictFieldData  # noqa: PLC0415
    from xblock.fields import ScopeIds  # noqa: PLC0415
    from xblocks_contrib.problem import ProblemBlock  # noqa: PLC0415

    key = UsageKey.from_string(usage_key)
    runtime = _runtime_class()(
        user_id=user_id,
        username=username,
        course_key=str(key.course_key),
        sink=sink,
        clock=clock or ProblemRuntimeClock(),
    )
    fields = {"data": xml, "display_name": display_name, "showanswer": "always", "rerandomize": "never"}
    if max_attempts is not None:
        fields["max_attempts"] = max_attempts
    return ProblemBlock(runtime, DictFieldData(fields), ScopeIds(f"user-{user_id}", "problem", key, key))


def answer_ids(block) -> list[str]:
    """The block's answer (input) ids in display order, e.g. ``['<block id>_2_1', '<block id>_3_1']``."""
    return sorted(block.lcp.inputs)


def submit(block, answers: dict[str, str | list[str]]) -> dict:
    """Submit answers the way the LMS's ``problem_check`` handler does (a form: lists as ``input_<id>[]``)."""
    from webob.multidict import MultiDict  # noqa: PLC0415

    form = MultiDict()
    for answer_id, value in answers.items():
        if isinstance(value, list):
            for item in value:
                form.add(f"input_{answer_id}[]", item)
        else:
            form.add(f"input_{answer_id}", value)
    return block.submit_problem(form)
