"""User retirement: forget everything the plugin holds about a learner when the LMS retires them.

The LMS retirement pipeline sends ``USER_RETIRE_LMS_MISC`` (the ``retire_misc`` step) and
``USER_RETIRE_LMS_CRITICAL`` (the ``retire`` step); both reach :func:`retire_learner` through the
receivers below, so whichever step runs first does the work and the other finds nothing left.

Deleted: every row keyed by the learner's user id in every table of the plugin: all their outbox
rows whatever the state (pending, held, rejected, expired, delivered; never sent afterwards),
their video viewing state, their course state and their fixed agent per course
(``LearnerCourseAgent``, the cached actor). Outbox rows stored without a user id are deleted when
their payload names one of the learner's identifiers (mbox or account name).

Failure is not swallowed: the pipeline's views send these signals with ``Signal.send`` inside a
``try`` that answers 500, the retirement driver marks the learner's state ERRORED, and an operator
re-runs the step. Reporting success while the learner's data stays would be a silent privacy
failure; re-running is safe because retirement is idempotent.
"""

import json
import logging
import time
from collections.abc import Iterable

from django.apps import apps
from django.db import OperationalError, transaction
from django.db.models import Q

from xapi_plugin import platform
from xapi_plugin.core.conf import get_setting
from xapi_plugin.privacy.identity import forget_learner
from xapi_plugin.statements import opaque_account_name

log = logging.getLogger(__name__)

# Lock waits and deadlocks with a delivery worker are worth another try; anything else is not.
_ATTEMPTS = 3
_RETRY_PAUSE = 0.5  # seconds, doubled after each failed attempt


class RetirementFailed(Exception):
    """The plugin could not delete a learner's data; the retirement step must fail and be re-run."""


def learner_identifiers(user_id: int, emails: Iterable[str] = ()) -> set[str]:
    """Every identifier statements may carry for this learner: ``mailto:`` addresses and account names.

    Taken from the learner's fixed agents (what was actually sent), the given email addresses,
    the learner's platform ExternalId (type ``xapi``) and the account name the current salt gives.
    """
    from xapi_plugin.models import LearnerCourseAgent  # noqa: PLC0415

    identifiers = {opaque_account_name(user_id, get_setting("XAPI_ACTOR_ID_SALT"))}
    # The platform keeps the learner's xAPI ExternalId through retirement; outbox rows naming it
    # are theirs. Read only: retirement never creates one.
    external_id = platform.get_external_user_id(user_id, create=False)
    if external_id:
        identifiers.add(external_id)
    identifiers.update(f"mailto:{email.strip()}" for email in emails if email and email.strip())
    for agent_json in LearnerCourseAgent.objects.filter(user_id=user_id).values_list("agent_json", flat=True):
        try:
            agent = json.loads(agent_json)
        except ValueError:
            continue
        if agent.get("mbox"):
            identifiers.add(agent["mbox"])
        if isinstance(agent.get("account"), dict) and agent["account"].get("name"):
            identifiers.add(agent["account"]["name"])
    return identifiers


def _payload_names_any(identifiers: Iterable[str]) -> Q:
    """Rows whose payload holds one of the identifiers as a whole JSON string (``"mailto:a@b.c"``)."""
    condition = Q(pk__in=[])
    for identifier in identifiers:
        # Quoted as serialise_statement writes it, so "a@b.c" never matches "a@b.com".
        condition |= Q(payload__contains=json.dumps(identifier, ensure_ascii=False))
    return condition


def models_keyed_by_user() -> list[type]:
    """Every model of the plugin with a ``user_id`` column: what retirement deletes rows from.

    Found by introspection, so a model added later is covered without touching this module
    (``tests/privacy`` checks that every model annotated ``.. pii_retirement: local_api`` is).
    """
    return [
        model
        for model in apps.get_app_config("xapi_plugin").get_models()
        if any(field.concrete and field.attname == "user_id" for field in model._meta.get_fields())
    ]


def retire_learner(user_id: int, emails: Iterable[str] = ()) -> dict[str, int]:
    """Delete all the plugin's data about ``user_id``; returns how many rows went, per model name.

    One transaction: a delivery worker that claimed some of the learner's outbox rows finds them
    gone when it records its outcome (it updates by primary key, which re-creates nothing).
    Running it again deletes nothing more and succeeds.
    """
    from xapi_plugin.models import OutboxStatement  # noqa: PLC0415

    with transaction.atomic():
        identifiers = learner_identifiers(user_id, emails)  # before their agents are deleted
        counts = {model._meta.model_name: 0 for model in models_keyed_by_user()}
        # Rows queued without a user id (none today) are found by what their payload names.
        unowned, _ = OutboxStatement.objects.filter(Q(user_id__isnull=True) & _payload_names_any(identifiers)).delete()
        counts[OutboxStatement._meta.model_name] += unowned
        for model in models_keyed_by_user():
            deleted, _ = model.objects.filter(user_id=user_id).delete()
            counts[model._meta.model_name] += deleted
    return counts


def retire_learner_with_retries(user_id: int, emails: Iterable[str] = ()) -> dict[str, int]:
    """:func:`retire_learner`, tried again on lock timeouts and deadlocks; raises RetirementFailed at last."""
    pause = _RETRY_PAUSE
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return retire_learner(user_id, emails)
        except OperationalError as exc:
            # Inside the caller's transaction a deadlock has already rolled it back: no retry helps.
            if attempt == _ATTEMPTS or transaction.get_connection().in_atomic_block:
                raise RetirementFailed(f"could not delete xAPI data of user id {user_id}: {exc}") from exc
            log.warning("xAPI retirement of user id %s hit %s; trying again", user_id, type(exc).__name__)
            time.sleep(pause)
            pause *= 2
        except Exception as exc:
            raise RetirementFailed(f"could not delete xAPI data of user id {user_id}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _retire_from_signal(step: str, user) -> None:
    user_id = getattr(user, "pk", None)
    if user_id is None:
        log.error("xAPI retirement (%s step): the signal carried no saved user; nothing deleted", step)
        return
    # At signal time user.email is already the retired placeholder (the platform replaced it when
    # retirement was requested); statements went out with the original, kept by the platform.
    try:
        try:
            original_email = platform.get_original_email(user_id) or ""
        except Exception as exc:
            raise RetirementFailed(f"could not read the original email of user id {user_id}: {exc}") from exc
        counts = retire_learner_with_retries(user_id, emails=[getattr(user, "email", "") or "", original_email])
    except RetirementFailed:
        log.exception("xAPI retirement (%s step) failed for user id %s; the step must be re-run", step, user_id)
        raise
    forget_learner(user_id)
    log.info("xAPI retirement (%s step) of user id %s deleted %s", step, user_id, counts)


def user_retire_lms_critical_receiver(sender, user=None, **kwargs) -> None:
    """``USER_RETIRE_LMS_CRITICAL``: delete the learner's xAPI data (raises RetirementFailed if it cannot)."""
    _retire_from_signal("critical", user)


def user_retire_lms_misc_receiver(sender, user=None, **kwargs) -> None:
    """``USER_RETIRE_LMS_MISC``: delete the learner's xAPI data (raises RetirementFailed if it cannot)."""
    _retire_from_signal("misc", user)
