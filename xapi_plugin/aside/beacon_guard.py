"""Is a live playback report from a browser believable? Pure: state and report in, verdict out.

A learner controls what their browser sends, so the aside's handler checks every report before it
reaches the viewing state:

* reports of one page come in order (``seq`` increases): a replayed or reordered report is refused;
* the video's length is fixed by the first report that knows it;
* media time may only move forward as fast as the wall clock allows (``MAX_RATE`` times real time,
  plus ``SLACK`` for network jitter), measured on the server's clock since the page's previous
  accepted report; a seek may jump anywhere, but its ``time_from`` (where watching stopped) is held
  to the same rule, since everything before it counts as watched;
* across all pages of one learner and video, forward media time is drawn from a budget that fills
  at ``MAX_RATE`` per wall-clock second up to ``BUDGET_CAP``: opening many tabs does not watch a
  video faster, and idling does not bank a jump;
* ``ended`` must be at the end of the video;
* a page the server has no record of (new, or its record expired) must start with ``load`` or
  ``play``: anything else is answered "restart" so the script re-anchors with a ``play``.
"""

from dataclasses import dataclass, replace

#: Fastest playback the Open edX player offers is 2x.
MAX_RATE = 2.0
#: Seconds of media time tolerated beyond what the clock allows (request latency, timer jitter).
SLACK = 2.0
#: At most this much unspent forward time is kept (the longest gap between two beacons is 30 s).
BUDGET_CAP = 30.0 * MAX_RATE + SLACK
#: A page's ``ended`` must be this close to the length.
END_TOLERANCE = 1.0
#: Two reports of the length may differ this much (containers round differently).
LENGTH_TOLERANCE = 0.5

KINDS = ("load", "play", "pause", "seek", "position", "ended", "unload")
_ANCHORS = ("load", "play")
_ADVANCING = ("pause", "position", "ended", "unload")


@dataclass(frozen=True)
class Report:
    """One report from the page's script, already type-checked."""

    kind: str
    seq: int
    position: float
    duration: float | None = None
    time_from: float | None = None
    time_to: float | None = None


@dataclass(frozen=True)
class PageRecord:
    """What the server accepted last from one page (kept in the cache between requests)."""

    seq: int
    position: float
    at: float  # server time (seconds) of that report
    duration: float | None = None
    kind: str = ""  # of that report (a repeat that changes nothing is not fed again)


@dataclass(frozen=True)
class Budget:
    """Forward media time one learner may still claim for one video, and when it was last topped up."""

    seconds: float
    at: float


@dataclass(frozen=True)
class Verdict:
    """``status`` 200 (accepted), 400 (refused: implausible or malformed) or 409 (restart the page)."""

    status: int
    reason: str = ""
    page: PageRecord | None = None
    budget: Budget | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 200


def _refuse(reason: str) -> Verdict:
    return Verdict(400, reason)


def check_report(report: Report, page: PageRecord | None, budget: Budget | None, now: float) -> Verdict:
    """Decide on ``report``; when accepted, the verdict carries the page record and budget to store."""
    if report.kind not in KINDS:
        return _refuse(f"unknown kind {report.kind!r}")
    times = [report.position, report.duration, report.time_from, report.time_to]
    if any(value is not None and value < 0 for value in times):
        return _refuse("negative time")

    duration = report.duration if report.duration else None
    if page is not None and page.duration:
        if duration and abs(duration - page.duration) > LENGTH_TOLERANCE:
            return _refuse("the video's length changed")
        duration = page.duration
    if duration:
        for value in times[:1] + times[2:]:
            if value is not None and value > duration + LENGTH_TOLERANCE:
                return _refuse("time beyond the end of the video")

    if page is None:
        if report.kind not in _ANCHORS:
            return Verdict(409, "unknown page: send play (or load) first")
        budget = _topped_up(budget, now)
        return Verdict(200, page=PageRecord(report.seq, report.position, now, duration, report.kind), budget=budget)

    if report.seq <= page.seq:
        return _refuse("report out of order or repeated")

    budget = _topped_up(budget, now)
    # Where watching got to, according to this report.
    reached = report.time_from if report.kind == "seek" else report.position
    if reached is None:
        return _refuse("seek without time_from")
    advance = reached - page.position
    if report.kind in _ADVANCING or report.kind == "seek":
        allowed = (now - page.at) * MAX_RATE + SLACK
        if advance > allowed:
            return _refuse(f"media time advanced {advance:.1f} s in {now - page.at:.1f} s")
        if advance > budget.seconds:
            return _refuse("media time advanced faster than real time allows")
    if report.kind == "ended" and duration and report.position < duration - END_TOLERANCE:
        return _refuse("ended before the end of the video")

    spent = max(0.0, advance) if report.kind != "play" else 0.0
    budget = replace(budget, seconds=budget.seconds - spent)
    position = report.time_to if report.kind == "seek" and report.time_to is not None else report.position
    return Verdict(200, page=PageRecord(report.seq, position, now, duration, report.kind), budget=budget)


def _topped_up(budget: Budget | None, now: float) -> Budget:
    if budget is None:
        return Budget(seconds=SLACK, at=now)
    seconds = min(BUDGET_CAP, budget.seconds + max(0.0, now - budget.at) * MAX_RATE)
    return Budget(seconds=seconds, at=now)


#: Reports one learner may send, across all pages and videos: this many a second, in bursts of
#: up to :data:`REPORT_BURST` (the script sends one every few seconds, plus one per click).
REPORTS_PER_SECOND = 2.0
REPORT_BURST = 10.0


@dataclass(frozen=True)
class ReportAllowance:
    """Reports a learner may still send now, and when that was worked out (a token bucket)."""

    tokens: float
    at: float


def take_report(allowance: ReportAllowance | None, now: float) -> tuple[bool, ReportAllowance]:
    """Spend one report from the learner's allowance; False (and the allowance unchanged) when none is left."""
    if allowance is None:
        allowance = ReportAllowance(REPORT_BURST, now)
    tokens = min(REPORT_BURST, allowance.tokens + max(0.0, now - allowance.at) * REPORTS_PER_SECOND)
    if tokens < 1.0:
        return False, ReportAllowance(tokens, now)
    return True, ReportAllowance(tokens - 1.0, now)


def changes_nothing(report: Report, page: PageRecord | None) -> bool:
    """A report that repeats the page's last one (same kind, same media time): nothing to feed."""
    return (
        page is not None
        and report.kind in ("load", "play", "pause", "position")
        and report.kind == page.kind
        and abs(report.position - page.position) < 0.001
    )
