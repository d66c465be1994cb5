"""A seeded generator of hostile tracking events: what a buggy XBlock, a forged browser event or a
corrupt log line can put in front of the intake. Deterministic for a seed, so a failure replays.
"""

import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal

from xapi_plugin.intake.tracking import TRACKING_ROUTES

ROUTED_NAMES = sorted(TRACKING_ROUTES)
COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"


class Booby:
    """An object that raises from every dunder a careless reader calls."""

    def __repr__(self):
        raise RuntimeError("repr")

    __str__ = __repr__

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __hash__(self):
        raise RuntimeError("hash")

    def __bool__(self):
        raise RuntimeError("bool")


def deep(levels: int, leaf=1):
    """A list nested ``levels`` deep (beyond json's and repr's recursion limits when large)."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def deep_dict(levels: int):
    value = {"leaf": 1}
    for _ in range(levels):
        value = {"k": value}
    return value


class HostileEvents:
    """``event()`` gives one hostile raw event; ``json_line()`` one hostile tracking-log line (bytes)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def scalar(self):
        rng = self.rng
        return rng.choice(
            [
                lambda: 10**400,
                lambda: -(2**70),
                lambda: float("nan"),
                lambda: float("inf"),
                lambda: 1e308 * 10,
                lambda: Decimal("1.10"),
                lambda: Decimal("NaN"),
                lambda: datetime(2026, 1, 1, tzinfo=UTC),
                lambda: date(2026, 1, 1),
                lambda: b"\xff\xfe bytes",
                lambda: bytearray(b"abc"),
                lambda: {1, 2, 3},
                lambda: frozenset({"a"}),
                lambda: (1, "tuple"),
                lambda: None,
                lambda: True,
                lambda: "",
                lambda: "\x00\r\n\t\ud800 lone surrogate " + "é" * rng.randint(0, 5),
                lambda: "x" * rng.choice([1, 300, 70_000]),
                lambda: Booby(),
                lambda: object(),
                lambda: rng.random() * 1e6,
                lambda: rng.randint(-5, 5),
                lambda: "2026-13-45T99:99:99",
            ]
        )()

    def value(self, depth: int = 0):
        rng = self.rng
        roll = rng.random()
        if depth > 3 or roll < 0.5:
            return self.scalar()
        if roll < 0.6:
            return deep(rng.choice([50, 1_500, 3_000]))
        if roll < 0.65:
            return deep_dict(rng.choice([50, 2_000]))
        if roll < 0.8:
            return [self.value(depth + 1) for _ in range(rng.randint(0, 4))]
        return self.mapping(depth + 1)

    def key(self):
        return self.rng.choice(["id", "currentTime", "duration", 1, None, 2.5, (1, 2), True, "user_id", "course_id"])

    def mapping(self, depth: int = 0) -> dict:
        return {self.key(): self.value(depth) for _ in range(self.rng.randint(0, 5))}

    def name(self):
        rng = self.rng
        if rng.random() < 0.6:
            return rng.choice(ROUTED_NAMES)
        return rng.choice([["play_video"], {"play_video": 1}, 42, None, b"play_video", Booby(), "play_video\x00", ""])

    def video_data(self) -> dict:
        """Data shaped like a video event's, with hostile values in its fields."""
        data = {"id": "0b9e39477cf34507a7a48f74be381fdd", "code": "html5", "currentTime": 1.0, "duration": 60}
        for field in self.rng.sample(["id", "currentTime", "duration", "old_time", "new_time", "speed"], 2):
            data[field] = self.value()
        return data

    def context(self):
        rng = self.rng
        context = {"user_id": 5, "course_id": COURSE_KEY, "session": "s", "page": "http://lms.test/unit"}
        roll = rng.random()
        if roll < 0.3:
            context[rng.choice(["user_id", "course_id", "page", "session"])] = self.value()
            return context
        if roll < 0.4:
            return self.value()
        if roll < 0.5:
            return json.dumps({"user_id": 5}) + "{broken"
        return context

    def event(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return rng.choice([None, [], "play_video", 7, Booby()])
        data = rng.choice([self.video_data, self.mapping, self.value, lambda: "{not json", lambda: "[1, 2]"])()
        event = {
            "name": self.name(),
            "timestamp": rng.choice(
                [datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "2026-03-02T09:00:00+00:00", None, 5, "garbage", Booby()]
            ),
            "data": data,
            "context": self.context(),
        }
        if rng.random() < 0.1:
            event["event_type"] = self.name()
        return event

    def json_line(self) -> bytes:
        """A tracking-log line: valid JSON of hostile shape, or broken bytes."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return rng.choice([b"\xff\xfe\x00garbage", b"{", b"null", b"[1,2]", b'"str"', b"{}" * 3])
        if roll < 0.25:
            return ("[" * 5_000 + "]" * 5_000).encode()  # deeper than json's recursion limit
        if roll < 0.3:
            head = b'{"event_type": "play_video", "time": "2026-03-02T09:00:00Z", "event": {"currentTime": 1'
            return head + b"0" * 5000 + b"}}"  # an int past Python's 4,300-digit conversion limit
        event = self.event()
        if not isinstance(event, dict):
            event = {"event_type": "play_video", "event": [event]}
        event.setdefault("event_type", event.pop("name", None))
        event["time"] = event.pop("timestamp", None)
        event["event"] = event.pop("data", None)
        try:
            return json.dumps(event, default=_loose, skipkeys=True).encode("utf-8", "surrogatepass")
        except (RecursionError, ValueError):  # deeper than json writes: the line a broken writer leaves
            return b'{"event_type": "play_video", "event": ' + b"[" * 3000 + b"]" * 3000 + b"}"


def _loose(value):
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a Booby
        return "booby"
