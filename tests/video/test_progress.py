"""The pure arithmetic of watching: segments, progress, thresholds, beacons."""

import ddt
from django.test import SimpleTestCase

from xapi_plugin.core.constants import BeaconInterval
from xapi_plugin.video import progress as p


@ddt.ddt
class SegmentTest(SimpleTestCase):
    @ddt.data(
        # The profile's own example: 0-12 and 14-30 covered, 28 s.
        ([(0, 12), (14, 21), (18, 30)], 30, [(0, 12), (14, 30)], 28 / 30),
        ([(0, 10), (10, 20)], 40, [(0, 20)], 0.5),  # touching segments join
        ([(5, 5), (7, 3)], 10, [], 0.0),  # empty and backwards segments count for nothing
        ([(0, 500)], 100, [(0, 100)], 1.0),  # clipped to the length: progress never above 1
        ([(-3, 4)], 8, [(0, 4)], 0.5),  # negative times clamp to 0
        ([(0, 10)], None, [(0, 10)], 0.0),  # unknown length: no progress
    )
    @ddt.unpack
    def test_merge_and_progress(self, segments, length, merged, progress):
        self.assertEqual(p.merge_segments(segments, length), merged)
        self.assertAlmostEqual(p.compute_progress(segments, length), progress)

    def test_played_segments_format_is_chronological(self):
        segments = [(0, 12), (14, 21), (18, 30)]
        self.assertEqual(p.format_played_segments(segments), "0.000[.]12.000[,]14.000[.]21.000[,]18.000[.]30.000")

    @ddt.data((12.34567, None, 12.346), (-1, 10, 0.0), (11.5, 10, 10.0), (3.0004, 10, 3.0))
    @ddt.unpack
    def test_clamp_time(self, value, length, expected):
        self.assertEqual(p.clamp_time(value, length), expected)


@ddt.ddt
class ThresholdTest(SimpleTestCase):
    @ddt.data(
        (200, 100, 0, 1),  # defaults: the whole video
        (200, 90, 0, 0.9),
        (200, 100, 30, 0.85),  # 30 s before the end of 200 s
        (200, 90, 10, 0.9),  # whichever comes first: 90 % before 190 s
        (200, 95, 30, 0.85),
        (195, 100, 10, 0.949),  # 3 decimals
        (20, 100, 30, 0.0),  # end_seconds beyond the length: clamped to 0
        (None, 90, 0, None),  # unknown length: no threshold yet
        (0, 90, 0, None),
    )
    @ddt.unpack
    def test_threshold(self, length, end_percent, end_seconds, expected):
        self.assertEqual(p.completion_threshold(length, end_percent, end_seconds), expected)


@ddt.ddt
class PositionReachingTest(SimpleTestCase):
    @ddt.data(
        ([], 0, 100, 25, 25),
        ([(0, 30)], 0, 100, 40, 40),  # the first 30 s add nothing, then one for one
        ([(0, 30)], 10, 100, 40, 40),
        ([(20, 30)], 0, 100, 25, 15),  # the 10 s watched before count towards the target
        ([(5, 10)], 0, 100, 12, 12),  # passes over what was already watched
        ([(0, 50)], 0, 40, 60, None),  # not reached in this stretch
        ([(0, 60)], 70, 80, 50, 70),  # already reached: at the start
    )
    @ddt.unpack
    def test_position_reaching(self, covered, start, end, target, expected):
        self.assertEqual(p.position_reaching(covered, start, end, target), expected)


@ddt.ddt
class BeaconTest(SimpleTestCase):
    def plan(self, mode, start, end, length, covered=(), played_before=0.0, last_progress=None, last_played=None):
        return p.plan_beacons(
            mode,
            covered=list(covered),
            start=start,
            end=end,
            length=length,
            played_before=played_before,
            last_progress=last_progress,
            last_played=last_played,
        )

    @ddt.data(
        (0, 100, None, [25, 50, 75, 100]),
        (0, 60, None, [25, 50]),
        (0, 60, 0.5, []),  # 25 and 50 were reported already
        (30, 80, 0.25, [50, 75]),
    )
    @ddt.unpack
    def test_quarters(self, start, end, last_progress, positions):
        # Everything before ``start`` was watched already.
        covered = [(0, start)] if start else []
        beacons = self.plan(BeaconInterval.QUARTERS, start, end, 100, covered=covered, last_progress=last_progress)
        self.assertEqual([b.position for b in beacons], positions)
        for beacon in beacons:
            self.assertAlmostEqual(beacon.progress, beacon.position / 100)

    def test_quarters_on_rewatch_report_nothing_new(self):
        beacons = self.plan(BeaconInterval.QUARTERS, 0, 50, 100, covered=[(0, 50)], last_progress=0.5)
        self.assertEqual(beacons, [])

    @ddt.data(
        # (length, seconds played from 0): each 1 % is 1 s on a 100 s video
        (100, 10, list(range(1, 11))),
        # 1 % of a 50 s video is 0.5 s: never more often than every 1 s of playback
        (50, 5, [1, 2, 3, 4, 5]),
        # 1 % of a 1 h video is 36 s: never less often than every 30 s
        (3600, 100, [30, 36, 66, 72]),
    )
    @ddt.unpack
    def test_one_percent_gaps(self, length, played, positions):
        beacons = self.plan(BeaconInterval.ONE_PERCENT, 0, played, length)
        self.assertEqual([b.position for b in beacons], positions)
        gaps = [b.played_time - a.played_time for a, b in zip(beacons, beacons[1:], strict=False)]
        self.assertTrue(all(1 - 1e-9 <= gap <= 30 + 1e-9 for gap in gaps), gaps)

    def test_one_percent_keeps_reporting_while_rewatching(self):
        # Rewatching adds no progress: the 30 s rule still reports.
        beacons = self.plan(
            BeaconInterval.ONE_PERCENT,
            0,
            70,
            100,
            covered=[(0, 100)],
            played_before=100,
            last_progress=1.0,
            last_played=100,
        )
        self.assertEqual([b.played_time for b in beacons], [130, 160])
        self.assertTrue(all(b.progress == 1.0 for b in beacons))

    def test_one_percent_continues_from_the_last_beacon(self):
        first = self.plan(BeaconInterval.ONE_PERCENT, 0, 10.5, 100)
        last = first[-1]
        second = self.plan(
            BeaconInterval.ONE_PERCENT,
            10.5,
            13,
            100,
            covered=[(0, 10.5)],
            played_before=10.5,
            last_progress=last.progress,
            last_played=last.played_time,
        )
        self.assertEqual([b.position for b in second], [11, 12, 13])


def test_coverage_snaps_to_the_edges_within_half_a_second():
    from xapi_plugin.video.progress import EDGE_SNAP, compute_progress  # noqa: PLC0415

    # The LMS player's first play reports ~0.03 s; the end may be reported a frame short.
    assert compute_progress([(0.033, 59.98)], 60) == 1.0
    # Beyond the snap distance the gap counts.
    assert compute_progress([(EDGE_SNAP + 0.5, 60)], 60) < 1.0
    assert compute_progress([(0, 60 - EDGE_SNAP - 0.5)], 60) < 1.0
