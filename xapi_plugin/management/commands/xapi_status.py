"""Print each LRS connection's status and outbox counts, then the plugin's counters; ``--check`` tests each."""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from xapi_plugin.core.metrics import read_counters
from xapi_plugin.delivery import LRSClient, check_passed, check_summary, outbox_summary
from xapi_plugin.intake import event_intake_summary, find_problems
from xapi_plugin.models import LRSConnection
from xapi_plugin.video import intake_summary


def _age(delta) -> str:
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{minutes}m"] * bool(minutes)
    return "".join(parts + [f"{seconds}s"])


def _intake_fields(summary) -> dict:
    """What ``--json`` shows of an intake table (video or event): backlog, oldest row, fold latency."""
    age = summary.oldest_pending_age
    return {
        "pending": summary.pending,
        "oldest_pending_age_seconds": round(age.total_seconds(), 3) if age else None,
        "oldest_pending_age": _age(age),
        "recent_folded": summary.folded_recently,
        "median_fold_latency_seconds": summary.median_fold_latency,
        "p95_fold_latency_seconds": summary.p95_fold_latency,
    }


class Command(BaseCommand):
    help = "Per LRS connection: status, pending, oldest pending age, held, rejected, expired; then counters."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON document instead of text.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Also run the connection check on each enabled connection (GET /about if the LRS has it, "
            "an authenticated GET /statements?limit=1), as the admin's Test connection does.",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        rows = []
        for connection in LRSConnection.objects.order_by("name"):
            summary = outbox_summary(connection.pk, now)
            failing = connection.consecutive_failures > 0
            rows.append(
                {
                    "id": connection.pk,
                    "name": connection.name,
                    "endpoint": connection.endpoint,
                    "enabled": connection.enabled,
                    "status": connection.status or "UNUSED",
                    "detail": connection.last_failure_detail if failing else connection.last_success_detail,
                    "since": connection.failing_since.isoformat() if failing and connection.failing_since else None,
                    "next_attempt": connection.retry_at.isoformat() if failing and connection.retry_at else None,
                    "pending": summary.pending,
                    "held": summary.held,
                    "rejected": summary.rejected,
                    "expired": summary.expired,
                    "delivered": summary.delivered,
                    "oldest_pending_age_seconds": (
                        int(summary.oldest_pending_age.total_seconds()) if summary.oldest_pending_age else None
                    ),
                    "oldest_pending_age": _age(summary.oldest_pending_age),
                }
            )
            if options["check"] and connection.enabled:
                checks = LRSClient(connection).check()
                rows[-1]["check"] = {"passed": check_passed(checks), "detail": check_summary(checks)}
        counters = read_counters()
        video = intake_summary(now)
        intake = _intake_fields(video)
        events = event_intake_summary(now)
        event_intake = {**_intake_fields(events), "retrying": events.retrying, "failed": events.failed}
        problems = [{"id": p.id, "message": p.message, "hint": p.hint} for p in find_problems()]
        if options["json"]:
            payload = {
                "connections": rows,
                "video_intake": intake,
                "event_intake": event_intake,
                "counters": counters,
                "prerequisites": problems,
            }
            self.stdout.write(json.dumps(payload, indent=2))
            return
        if not rows:
            self.stdout.write("No LRS connections yet (Django admin > xAPI > LRS connections).")
        for row in rows:
            self.stdout.write(f"{row['name']} ({row['endpoint']}){'' if row['enabled'] else ' [disabled]'}")
            status = row["status"]
            if row["since"]:
                status += f" since {row['since']}"
            if row["next_attempt"]:
                status += f", next attempt {row['next_attempt']}"
            self.stdout.write(f"  status: {status}")
            if row["detail"]:
                self.stdout.write(f"  detail: {row['detail']}")
            self.stdout.write(
                f"  pending: {row['pending']}  held: {row['held']}  rejected: {row['rejected']}  "
                f"expired: {row['expired']}  delivered: {row['delivered']}"
            )
            self.stdout.write(f"  oldest pending: {row['oldest_pending_age']}")
            if "check" in row:
                self.stdout.write(
                    f"  check: {'passed' if row['check']['passed'] else 'FAILED'}: {row['check']['detail']}"
                )
        latency = "-" if video.median_fold_latency is None else f"{video.median_fold_latency:.3f} s"
        p95 = "-" if video.p95_fold_latency is None else f"{video.p95_fold_latency:.3f} s"
        self.stdout.write(
            f"video intake: unfolded observations: {video.pending}  oldest unfolded: {intake['oldest_pending_age']}  "
            f"event-to-outbox latency (last {video.folded_recently} folded): median {latency}, p95 {p95}"
        )
        latency = "-" if events.median_fold_latency is None else f"{events.median_fold_latency:.3f} s"
        p95 = "-" if events.p95_fold_latency is None else f"{events.p95_fold_latency:.3f} s"
        self.stdout.write(
            f"event intake: unreported events: {events.pending}  oldest: {event_intake['oldest_pending_age']}  "
            f"retrying: {events.retrying}  failed: {events.failed}  "
            f"event-to-outbox latency (last {events.folded_recently} reported): median {latency}, p95 {p95}"
        )
        if events.failed:
            self.stdout.write("  failed events are kept: `manage.py lms xapi_retry_failed_events` tries them again")
        self.stdout.write("counters: " + " ".join(f"{name}={value}" for name, value in counters.items()))
        # Platform prerequisites that are off: what they silence and how to fix them.
        for problem in problems:
            self.stdout.write(f"prerequisite off: {problem['message']}")
            self.stdout.write(f"  fix: {problem['hint']}")
        if not problems:
            self.stdout.write("prerequisites: all on")
