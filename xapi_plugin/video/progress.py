"""Pure arithmetic of watching a video: played segments, progress, completion threshold, beacons.

Times are seconds of media time rounded to milliseconds. A *segment* is a ``(start, end)`` pair
of media time that was played; segments are kept in the order they were watched (the Video
Profile's ``played-segments`` is chronological), and progress is the length of their union
divided by the video's length. Nothing here does I/O.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xapi_plugin.core.constants import BeaconInterval

Segment = tuple[float, float]

# Float slack when comparing covered seconds with a target.
_EPSILON = 1e-9
QUARTERS = (0.25, 0.5, 0.75, 1.0)
ONE_PERCENT_MIN_GAP = 1.0  # seconds of playback between two one-percent beacons, at least
ONE_PERCENT_MAX_GAP = 30.0  # ... and at most
# Players report the first play a few hundredths after 0 and may stop just short of the end:
# coverage within this many seconds of either edge counts as reaching it, or 100 % is unreachable.
EDGE_SNAP = 0.5


def round_time(value: float) -> float:
    """Seconds with 3 decimals, as the Video Profile writes times."""
    return round(float(value) + 0.0, 3)


def clamp_time(value: float, length: float | None) -> float:
    """A media time forced into ``0..length`` (``0..`` when the length is unknown), 3 decimals."""
    value = max(0.0, float(value))
    if length:
        value = min(value, float(length))
    return round_time(value)


def merge_segments(segments: Iterable[Sequence[float]], length: float | None = None) -> list[Segment]:
    """The union of segments as sorted, disjoint pairs (clipped to the length when it is known)."""
    # clamp_time written out inline: this runs over every segment on every pause of a fold.
    pairs = []
    top = float(length) if length else None
    if top is None:
        for start, end in segments:
            start, end = round(max(0.0, float(start)) + 0.0, 3), round(max(0.0, float(end)) + 0.0, 3)
            if start <= EDGE_SNAP:
                start = 0.0
            if end > start:
                pairs.append((start, end))
    else:
        snapped_end, edge = round(top + 0.0, 3), length - EDGE_SNAP
        for start, end in segments:
            start = round(min(max(0.0, float(start)), top) + 0.0, 3)
            end = round(min(max(0.0, float(end)), top) + 0.0, 3)
            if start <= EDGE_SNAP:
                start = 0.0
            if end >= edge:
                end = snapped_end
            if end > start:
                pairs.append((start, end))
    pairs.sort()
    merged: list[Segment] = []
    for start, end in pairs:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def covered_seconds(merged: Sequence[Segment]) -> float:
    """Total length of disjoint segments."""
    return sum(end - start for start, end in merged)


def compute_progress(segments: Iterable[Sequence[float]], length: float | None) -> float:
    """Share of the video played at least once, clamped to 0..1 (0 when the length is unknown)."""
    if not length or length <= 0:
        return 0.0
    return min(1.0, max(0.0, covered_seconds(merge_segments(segments, length)) / length))


def format_played_segments(segments: Iterable[Sequence[float]]) -> str:
    """``0.000[.]12.000[,]14.000[.]21.000``: chronological ``start[.]end`` pairs joined by ``[,]``."""
    return "[,]".join(f"{start:.3f}[.]{end:.3f}" for start, end in segments)


def completion_threshold(length: float | None, end_percent: int, end_seconds: int) -> float | None:
    """Share of the video to watch for completion: ``end_percent`` % or up to ``end_seconds`` from
    the end, whichever comes first, clamped to 0..1 with 3 decimals. None when the length is unknown."""
    if not length or length <= 0:
        return None
    by_percent = end_percent / 100.0
    by_seconds = (length - end_seconds) / length
    return round(min(1.0, max(0.0, min(by_percent, by_seconds))), 3)


def position_reaching(covered: Sequence[Segment], start: float, end: float, target: float) -> float | None:
    """Where playback going from ``start`` to ``end`` makes the covered time reach ``target`` seconds.

    ``covered`` is the union already watched (merged). Playing ``[start, pos]`` adds the parts
    not covered yet, so covered time grows with ``pos`` (flat over parts seen before). Returns
    the first such ``pos`` in ``[start, end]``, or None when ``end`` is not enough.
    """
    total = covered_seconds(covered)
    if total + _EPSILON >= target:
        return start
    position = start
    for seg_start, seg_end in list(covered) + [(math.inf, math.inf)]:
        if seg_end <= position:
            continue
        # A gap [position, seg_start) not watched before: covered time grows one for one here.
        gap_end = min(seg_start, end)
        if gap_end > position:
            if total + (gap_end - position) + _EPSILON >= target:
                return round_time(position + max(0.0, target - total))
            total += gap_end - position
        position = max(position, seg_end)
        if position >= end:
            return None
    return None


def covered_after(covered: Sequence[Segment], start: float, position: float) -> float:
    """Covered seconds once ``[start, position]`` is added to the merged ``covered``."""
    return covered_seconds(merge_segments(list(covered) + [(start, position)]))


@dataclass(frozen=True)
class Beacon:
    """A progress report due at media time ``position``, when ``played_time`` seconds had been played."""

    position: float
    played_time: float
    progress: float


def plan_beacons(
    mode: str,
    *,
    covered: Sequence[Segment],
    start: float,
    end: float,
    length: float,
    played_before: float,
    last_progress: float | None,
    last_played: float | None,
) -> list[Beacon]:
    """The beacons due while playback advanced from ``start`` to ``end`` (media time).

    ``covered``: the merged union watched before this stretch; ``played_before``: seconds of
    playback before it; ``last_progress``/``last_played``: progress and playback time of the
    previous beacon (None: none yet).

    * ``quarters``: one beacon as progress crosses each of 25, 50, 75 and 100 %.
    * ``one_percent``: a beacon as progress crosses each whole percent, but at least 1 s and at
      most 30 s of playback after the previous one (the 30 s beacon also fires while rewatching).
    """
    if not length or end <= start:
        return []
    if mode == BeaconInterval.QUARTERS:
        return _quarter_beacons(covered, start, end, length, played_before, last_progress or 0.0)
    return _one_percent_beacons(covered, start, end, length, played_before, last_progress, last_played)


def _beacon_at(covered, start, position, length, played_before) -> Beacon:
    progress = min(1.0, covered_after(covered, start, position) / length)
    return Beacon(
        position=round_time(position),
        played_time=round_time(played_before + (position - start)),
        progress=progress,
    )


def _quarter_beacons(covered, start, end, length, played_before, last_progress) -> list[Beacon]:
    beacons = []
    for quarter in QUARTERS:
        if last_progress + _EPSILON >= quarter:
            continue
        position = position_reaching(covered, start, end, quarter * length)
        if position is None:
            break
        beacons.append(_beacon_at(covered, start, position, length, played_before))
    return beacons


def _one_percent_beacons(covered, start, end, length, played_before, last_progress, last_played) -> list[Beacon]:
    beacons = []
    last_percent = math.floor((last_progress or 0.0) * 100 + _EPSILON)
    last_played = played_before if last_played is None else min(last_played, played_before)
    while True:
        # Media time at which the playback counter reaches last_played + gap.
        earliest = start + (last_played + ONE_PERCENT_MIN_GAP - played_before)
        latest = start + (last_played + ONE_PERCENT_MAX_GAP - played_before)
        candidates = [latest]
        if last_percent < 100:
            crossing = position_reaching(covered, start, end, (last_percent + 1) / 100 * length)
            if crossing is not None:
                candidates.append(max(crossing, earliest))
        due = max(start, min(candidates))
        if due > end + _EPSILON:
            return beacons
        beacon = _beacon_at(covered, start, due, length, played_before)
        beacons.append(beacon)
        last_played = played_before + (due - start)
        last_percent = math.floor(beacon.progress * 100 + _EPSILON)
