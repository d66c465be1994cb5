"""Emails to operators: once when an LRS starts failing, at most one more every
``XAPI_ALERT_REMINDER_INTERVAL`` while it lasts (a reminder, or news that the failure changed:
an LRS flapping between 502 and refused connections sends one email, not one per failure), and
once when the backlog has gone through.

Who sends is decided by a conditional UPDATE on the connection (``alerted_status``,
``last_alert_at``), so many workers send each email once; if the mail server refuses it, the
UPDATE is undone, so the next failure or sweep sends it again. Mail goes through Django's email
framework to the connection's contact email and ``XAPI_ALERT_ADMIN_EMAILS``.
"""

import logging
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from xapi_plugin.core.conf import get_setting, lms_root_url
from xapi_plugin.core.constants import ConnectionStatus, OutboxState

log = logging.getLogger(__name__)

WHAT_TO_CHECK = {
    ConnectionStatus.CANT_CONNECT: (
        "The LRS could not be reached, or its endpoint URL is wrong. Check that the LRS is up, that the "
        "endpoint URL is right (it should answer GET <endpoint>/about), and DNS, firewalls and certificates "
        "between the LMS workers and the LRS."
    ),
    ConnectionStatus.SERVER_ERROR: (
        "The LRS answered with server errors or asked to slow down (HTTP 429/5xx). Check the LRS's own logs "
        "and health; statements are retried with increasing delays."
    ),
    ConnectionStatus.AUTH_ERROR: (
        "The LRS refused the credentials (HTTP 401/403). Check the key and secret (or token, or OAuth client "
        "id, secret, token URL and scope) in Django admin, and the key's permissions on the LRS. Statements "
        "are held, not dropped, until it works again; use the 'Test connection' action after fixing it."
    ),
}


# When the stored credentials cannot even be decrypted, the LRS is not the one to check.
WHAT_TO_CHECK_UNDECRYPTABLE = (
    "The plugin cannot decrypt this connection's stored credentials: the key they were encrypted with is no "
    "longer in XAPI_ENCRYPTION_KEYS. Put it back (after the newest key) and run `./manage.py lms "
    "xapi_rotate_keys`, or enter the key and secret again in Django admin. Statements are held, not dropped."
)


def _what_to_check(connection) -> str:
    if connection.status == ConnectionStatus.AUTH_ERROR and "XAPI_ENCRYPTION_KEYS" in connection.last_failure_detail:
        return WHAT_TO_CHECK_UNDECRYPTABLE
    return WHAT_TO_CHECK.get(connection.status, "")


def _recipients(connection) -> list[str]:
    recipients = [connection.contact_email] if connection.contact_email else []
    for address in get_setting("XAPI_ALERT_ADMIN_EMAILS") or []:
        if address not in recipients:
            recipients.append(address)
    return recipients


def _admin_link(connection) -> str:
    try:
        return f"{lms_root_url()}/admin/xapi_plugin/lrsconnection/{connection.pk}/change/"
    except RuntimeError:
        return "Django admin > xAPI > LRS connections"


def _one_line(text: str) -> str:
    """Text safe for a mail header: control characters (rows saved before names were checked) as spaces."""
    return " ".join("".join(" " if unicodedata.category(char) == "Cc" else char for char in text or "").split())


def _send(connection, subject: str, body: str) -> bool | None:
    """True if sent, False if the mail server failed, None when there is nobody to tell."""
    recipients = _recipients(connection)
    if not recipients:
        return None
    try:
        send_mail(
            _one_line(subject),
            body,
            get_setting("XAPI_ALERT_FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL,
            recipients,
            fail_silently=False,
        )
    except Exception:  # noqa: BLE001 - a mail outage must not stop delivery
        log.warning("could not send the alert email for LRS connection %s", connection.pk, exc_info=True)
        return False
    return True


def _failure_body(connection, reminder: bool) -> str:
    from xapi_plugin.delivery.status import outbox_summary  # noqa: PLC0415

    summary = outbox_summary(connection.pk)
    opening = "is still failing" if reminder else "has started failing"
    return "\n".join(
        [
            f"The LRS connection '{connection.name}' ({connection.endpoint}) {opening}.",
            "",
            f"Status: {connection.status} since {connection.failing_since or connection.status_changed_at}",
            f"Last failure: {connection.last_failure_detail}",
            f"Statements waiting: {summary.pending} pending, {summary.held} held",
            f"Next attempt: {connection.retry_at or 'soon'}",
            "",
            "What to check: " + _what_to_check(connection),
            "",
            "Nothing is lost: statements are kept in the outbox and sent when the LRS works again.",
            f"Connection: {_admin_link(connection)}",
            "Command line: ./manage.py lms xapi_status",
        ]
    )


def _reminder_cutoff():
    return timezone.now() - timedelta(seconds=float(get_setting("XAPI_ALERT_REMINDER_INTERVAL")))


def _claim_and_send(connection, subject: str, body: str) -> bool:
    """Win the right to send (conditional UPDATE), send, and give the right back if the mail failed."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    now = timezone.now()
    won = LRSConnection.objects.filter(
        pk=connection.pk, alerted_status=connection.alerted_status, last_alert_at=connection.last_alert_at
    ).update(alerted_status=connection.status, last_alert_at=now)
    if not won:
        return False
    sent = _send(connection, subject, body)
    if sent is False:
        # Not sent: undo, so the next failure (or the sweep's reminder pass) tries again.
        LRSConnection.objects.filter(pk=connection.pk, last_alert_at=now).update(
            alerted_status=connection.alerted_status, last_alert_at=connection.last_alert_at
        )
    return bool(sent)


def notify_failure(connection_id: int) -> bool:
    """Send the alert if the connection has just started failing (or its failure changed after the
    reminder interval); True if sent."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    connection = LRSConnection.objects.get(pk=connection_id)
    if connection.status not in ConnectionStatus.ERRORS or connection.alerted_status == connection.status:
        return False
    if connection.status != ConnectionStatus.AUTH_ERROR and connection.consecutive_failures < int(
        get_setting("XAPI_ALERT_AFTER_FAILURES")
    ):
        return False  # transient so far: the next attempt (the probe) decides
    if (
        connection.alerted_status in ConnectionStatus.ERRORS
        and connection.last_alert_at
        and connection.last_alert_at > _reminder_cutoff()
    ):
        return False  # alerted in this failure already: the change waits for the reminder
    subject = f"[xAPI] LRS '{connection.name}' is failing: {connection.get_status_display()}"
    return _claim_and_send(connection, subject, _failure_body(connection, reminder=False))


def send_reminders() -> int:
    """Remind about connections still failing since their last email, and send alerts the mail
    server refused earlier; returns how many were sent."""
    from xapi_plugin.models import LRSConnection  # noqa: PLC0415

    sent = 0
    failing = LRSConnection.objects.filter(
        status__in=ConnectionStatus.ERRORS,
        alerted_status__in=ConnectionStatus.ERRORS,
        last_alert_at__lte=_reminder_cutoff(),
    )
    for connection in failing:
        subject = f"[xAPI] Reminder: LRS '{connection.name}' is still failing ({connection.get_status_display()})"
        sent += _claim_and_send(connection, subject, _failure_body(connection, reminder=True))
    return sent


def notify_recovery_if_drained(connection_id: int) -> bool:
    """Once a recovered connection has sent everything that waited, email how much went late; True if sent."""
    from xapi_plugin.models import LRSConnection, OutboxStatement  # noqa: PLC0415

    connection = LRSConnection.objects.get(pk=connection_id)
    if connection.status != ConnectionStatus.OK or connection.consecutive_failures:
        return False
    if not connection.failing_since:
        return False
    recovered_at = connection.status_changed_at or timezone.now()
    waiting = OutboxStatement.objects.filter(
        connection_id=connection_id, state__in=[OutboxState.PENDING, OutboxState.HELD], created__lt=recovered_at
    )
    if waiting.exists():
        return False
    won = LRSConnection.objects.filter(pk=connection_id, failing_since=connection.failing_since).update(
        failing_since=None, alerted_status="", last_alert_at=None
    )
    if not won or connection.alerted_status not in ConnectionStatus.ERRORS:
        return False  # a failure that never reached an alert needs no recovery email
    late = OutboxStatement.objects.filter(
        connection_id=connection_id,
        state=OutboxState.DELIVERED,
        delivered_at__gte=connection.failing_since,
        created__lt=recovered_at,
    ).count()
    subject = f"[xAPI] LRS '{connection.name}' works again"
    body = "\n".join(
        [
            f"The LRS connection '{connection.name}' ({connection.endpoint}) works again since {recovered_at}.",
            f"It had been failing since {connection.failing_since} ({connection.alerted_status}).",
            "",
            f"Statements delivered late: {late}",
            f"Connection: {_admin_link(connection)}",
        ]
    )
    sent = _send(connection, subject, body)
    if sent is False:
        # Not sent: put the episode back (unless a new failure started), so the sweep tries again.
        LRSConnection.objects.filter(pk=connection_id, failing_since=None, consecutive_failures=0).update(
            failing_since=connection.failing_since,
            alerted_status=connection.alerted_status,
            last_alert_at=connection.last_alert_at,
        )
    return bool(sent)
