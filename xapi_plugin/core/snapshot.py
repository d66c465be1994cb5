"""A read-once scope for cached configuration: a worker's batch reads each course's settings once.

Course settings and connection scopes live in Django's shared cache, and every statement asks for
them: with Redis or memcached that is a network round trip per question. Inside
:func:`configuration_snapshot` (a worker folding one claimed batch, a fraction of a second) the
answer to each question is remembered; outside it (the request path, admin, tools) every call
reads the cache as before. A change saved during a batch is seen by the next batch.

:class:`ProcessMemo` is the request path's counterpart: answers a web process keeps for a second
or two, for checks the worker makes again.
"""

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_memo: ContextVar[dict | None] = ContextVar("xapi_configuration_snapshot", default=None)


@contextmanager
def configuration_snapshot() -> Iterator[None]:
    """Remember configuration reads until the block ends (nested blocks share the outer one)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered[T](key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, or what it gave for ``key`` earlier in the current snapshot."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


class ProcessMemo:
    """Answers one process remembers for ``seconds`` (the request path's view of slow-changing settings).

    For checks the worker makes again anyway: a web process may act on an answer up to ``seconds``
    old. At most ``size`` answers are kept; past that the memory starts afresh.
    """

    def __init__(self, seconds: float, size: int):
        self.seconds = seconds
        self.size = size
        self._answers: dict = {}

    def get(self, key: Hashable, read: Callable[[], object]):
        """The answer for ``key`` remembered less than ``seconds`` ago, else ``read()`` (remembered)."""
        now = time.monotonic()
        found = self._answers.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = read()
        if len(self._answers) >= self.size:
            self._answers.clear()
        self._answers[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        """Forget every answer (tests, or a change this process made itself)."""
        self._answers.clear()
