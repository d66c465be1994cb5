"""Pure rules of delivery: what each LRS answer means, Retry-After, backoff, batch splitting."""

import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import ddt
import requests
from django.test import SimpleTestCase, override_settings

from xapi_plugin.core.constants import ConnectionStatus
from xapi_plugin.delivery.claims import ClaimedRow
from xapi_plugin.delivery.lrs_client import (
    Answer,
    Outcome,
    classify_exception,
    classify_response,
    parse_retry_after,
)
from xapi_plugin.delivery.outcomes import send_with_bisection
from xapi_plugin.delivery.status import backoff_delay


@ddt.ddt
class ClassifyResponseTest(SimpleTestCase):
    @ddt.data(
        (200, Outcome.DELIVERED, ConnectionStatus.OK),
        (204, Outcome.DELIVERED, ConnectionStatus.OK),
        (409, Outcome.CONFLICT, ConnectionStatus.OK),
        (400, Outcome.BAD_REQUEST, ConnectionStatus.OK),
        (413, Outcome.BAD_REQUEST, ConnectionStatus.OK),
        (422, Outcome.BAD_REQUEST, ConnectionStatus.OK),
        (401, Outcome.HOLD, ConnectionStatus.AUTH_ERROR),
        (403, Outcome.HOLD, ConnectionStatus.AUTH_ERROR),
        (404, Outcome.HOLD, ConnectionStatus.CANT_CONNECT),
        (301, Outcome.HOLD, ConnectionStatus.CANT_CONNECT),
        (405, Outcome.HOLD, ConnectionStatus.SERVER_ERROR),
        (429, Outcome.RETRY, ConnectionStatus.SERVER_ERROR),
        (500, Outcome.RETRY, ConnectionStatus.SERVER_ERROR),
        (502, Outcome.RETRY, ConnectionStatus.SERVER_ERROR),
        (503, Outcome.RETRY, ConnectionStatus.SERVER_ERROR),
    )
    @ddt.unpack
    def test_outcome_and_status(self, code, outcome, status):
        answer = classify_response(code, '{"message": "m"}')
        self.assertEqual((answer.outcome, answer.status, answer.status_code), (outcome, status, code))

    def test_retry_after_is_read_from_429_and_5xx(self):
        self.assertEqual(classify_response(429, "", {"Retry-After": "7"}).retry_after, 7.0)
        self.assertEqual(classify_response(503, "", {"retry-after": "120"}).retry_after, 120.0)
        self.assertIsNone(classify_response(500, "").retry_after)

    def test_lrs_message_is_kept_short_and_on_one_line(self):
        answer = classify_response(400, "bad\n  statement " + "x" * 20000)
        self.assertTrue(answer.detail.startswith("bad statement"))
        self.assertLessEqual(len(answer.detail), 4000)  # about 4 KB of what the LRS said is kept

    @ddt.data(
        (requests.ConnectTimeout(), "timeout"),
        (requests.ReadTimeout(), "timeout"),
        (requests.ConnectionError(), "connection failed"),
    )
    @ddt.unpack
    def test_network_errors_are_retried_as_cant_connect(self, error, words):
        answer = classify_exception(error)
        self.assertEqual((answer.outcome, answer.status), (Outcome.RETRY, ConnectionStatus.CANT_CONNECT))
        self.assertIn(words, answer.detail)


class RetryAfterTest(SimpleTestCase):
    def test_seconds_and_http_dates(self):
        now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
        self.assertEqual(parse_retry_after("30", now), 30.0)
        self.assertEqual(parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now), 90.0)
        self.assertEqual(parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now), 0.0)

    def test_garbage_is_ignored(self):
        for value in (None, "", "soon", "-5", "1.5e3x"):
            self.assertIsNone(parse_retry_after(value), value)


@override_settings(XAPI_RETRY_BASE_DELAY=30, XAPI_RETRY_MAX_DELAY=3600, XAPI_RETRY_WINDOW=5 * 86400)
class BackoffTest(SimpleTestCase):
    def test_doubles_with_jitter_between_half_and_full_step(self):
        rand = random.Random(1)
        for failures, step in ((1, 30), (2, 60), (3, 120), (5, 480)):
            delays = [backoff_delay(failures, rand=rand) for _ in range(200)]
            self.assertGreaterEqual(min(delays), step / 2)
            self.assertLessEqual(max(delays), step)
            self.assertGreater(max(delays) - min(delays), step / 4, "jitter spreads retries")

    def test_capped_at_max_delay(self):
        self.assertLessEqual(backoff_delay(40), 3600)
        self.assertGreaterEqual(backoff_delay(40), 1800)

    def test_retry_after_is_a_floor_capped_by_the_window(self):
        self.assertGreaterEqual(backoff_delay(1, retry_after=600), 600)
        self.assertEqual(backoff_delay(1, retry_after=10**9), 5 * 86400)
        self.assertLessEqual(backoff_delay(1, retry_after=1), 30)


def _rows(n):
    return [ClaimedRow(pk=i, payload=json.dumps({"id": f"s{i}"})) for i in range(n)]


class FakeLRS:
    """Answers a batch like an LRS: 400 if it holds a bad id, 409 for a conflicting one, else 200."""

    def __init__(self, bad=(), conflicting=(), fail_after=None, fail_answer=None):
        self.bad, self.conflicting = set(bad), set(conflicting)
        self.fail_after, self.fail_answer = fail_after, fail_answer
        self.batches = []

    def post(self, payloads):
        ids = [json.loads(p)["id"] for p in payloads]
        self.batches.append(ids)
        if self.fail_after is not None and len(self.batches) > self.fail_after:
            return self.fail_answer
        if self.bad.intersection(ids):
            return Answer(Outcome.BAD_REQUEST, ConnectionStatus.OK, 400, f"invalid {sorted(self.bad & set(ids))}")
        if self.conflicting.intersection(ids):
            return Answer(Outcome.CONFLICT, ConnectionStatus.OK, 409, "conflict")
        return Answer(Outcome.DELIVERED, ConnectionStatus.OK, 200)


class BisectionTest(SimpleTestCase):
    def test_good_batch_is_one_request(self):
        lrs = FakeLRS()
        result = send_with_bisection(lrs.post, _rows(100))
        self.assertEqual((len(result.delivered), result.requests, result.failure), (100, 1, None))

    def test_one_bad_statement_is_isolated_and_the_rest_delivered(self):
        lrs = FakeLRS(bad={"s37"})
        result = send_with_bisection(lrs.post, _rows(100))
        self.assertEqual([row.pk for row, _ in result.rejected], [37])
        self.assertEqual(sorted(row.pk for row in result.delivered), [i for i in range(100) if i != 37])
        self.assertIn("s37", result.rejected[0][1].detail)
        self.assertLessEqual(result.requests, 2 * 7 + 1)  # about two requests per halving
        delivered_ids = [i for batch in lrs.batches for i in batch]
        self.assertEqual(len(result.delivered) + 1, len(set(delivered_ids)))

    def test_several_bad_statements(self):
        result = send_with_bisection(FakeLRS(bad={"s0", "s5", "s9"}).post, _rows(10))
        self.assertEqual(sorted(row.pk for row, _ in result.rejected), [0, 5, 9])
        self.assertEqual(len(result.delivered), 7)

    def test_conflict_alone_counts_as_delivered(self):
        result = send_with_bisection(FakeLRS(conflicting={"s3"}).post, _rows(8))
        self.assertEqual([row.pk for row in result.conflicts], [3])
        self.assertEqual(len(result.delivered), 7)
        self.assertEqual(result.rejected, [])

    def test_transient_failure_stops_and_leaves_the_rest_unsent(self):
        failure = Answer(Outcome.RETRY, ConnectionStatus.SERVER_ERROR, 503, "down")
        result = send_with_bisection(FakeLRS(bad={"s1"}, fail_after=2, fail_answer=failure).post, _rows(8))
        self.assertIs(result.failure, failure)
        everyone = {row.pk for row in result.delivered} | {row.pk for row in result.unsent}
        everyone |= {row.pk for row, _ in result.rejected}
        self.assertEqual(everyone, set(range(8)))
        self.assertTrue(result.unsent)
