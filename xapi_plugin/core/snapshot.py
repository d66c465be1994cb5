"""A read-once scope for cached configuration: a worker's batch reads each course's settings once.

Course settings and connection scopes live in Django's shared cache, and every statement asks for
them: with Redis or memcached that is a network round trip per question. Inside
:func:`configuration_snapshot` (a worker folding one claimed batch, a fraction of a second) the
answer to each question is remembered; outside it (the request path, admin, tools) every call
reads the cache as before. A change saved during a batch is seen by the next batch.
"""

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
