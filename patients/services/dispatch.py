"""Reminder dispatch: claim due rows, send outside any transaction, record the outcome.

The rows are the schedule (REMINDERS.md, "Claim, then send"). Every driver - the Celery tasks in
`patients.tasks` and the embedded loop `dispatch_due` run by `manage.py run_dispatcher` - goes
through the same three steps:

1. ``claim_due`` moves due ``pending`` rows to ``sending`` with a conditional update (on
   PostgreSQL one short ``SELECT ... FOR UPDATE SKIP LOCKED`` transaction per batch), stamping
   ``claimed_at`` and counting the attempt. Only the caller whose update changed the row owns it.
2. ``send_claimed`` renews the claim with a compare-and-set on ``claimed_at`` just before calling
   the gateway (so a duplicated task, or a row cancelled by a re-plan since it was claimed, sends
   nothing), calls the gateway with no transaction open, and records the result with a second
   conditional update.
3. ``reap_stuck`` returns rows left in ``sending`` past a timeout (a worker killed mid-send, a
   task lost with the broker) to ``pending``, so the next tick claims them again.

What is guaranteed
------------------
* Send *attempts* are at-least-once: a worker can die after the gateway accepted a message and
  before the row says so; the redelivered task (``acks_late``) or the reaper then sends again.
* *Delivery* is exactly-once per row: the row id travels as the provider's idempotency key
  (``Outgoing.idempotency_key``), so the provider recognises the second attempt and delivers
  nothing new. Two claimers never hold the same row, so outside a crash or a gateway timeout
  (where the first attempt's fate is unknown) there is exactly one attempt per row.
* A row cancelled before its send began is never sent; one cancelled while the gateway call was
  in flight is recorded as sent, because it was: the table tells staff the truth.

Retries
-------
A transient ``GatewayError`` leaves the row claimed and propagates. The Celery task retries it
with exponential backoff (short countdowns, well under the broker's visibility timeout); when its
retries are spent, or at once in the embedded loop, ``release_for_retry`` hands the row back to
the table as ``pending`` and the next tick tries again. After ``MAX_ATTEMPTS`` claims the row is
``failed`` and shows on the staff worklist. ``PermanentGatewayError`` fails the row at once.
"""

from __future__ import annotations

import datetime
import enum
import logging
import uuid
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from patients.models.reminders import MessageStatus, PlannedMessage
from patients.notifications import GatewayError, PermanentGatewayError, deliver

log = logging.getLogger("patients.dispatch")

#: Claims per row before it is marked failed (each claim may hold several Celery retries).
MAX_ATTEMPTS = 5
#: Rows claimed per transaction: short enough that a lock is never held for long.
CLAIM_BATCH = 500
#: A row still ``sending`` after this long is presumed orphaned. Must exceed the longest retry
#: window of one claim (``patients.tasks.send_message``: a few minutes of backoff), or the reaper
#: would start a second attempt beside a live one - harmless to the parent (idempotency key), but
#: wasted work.
REAP_AFTER = datetime.timedelta(minutes=15)

MessageId = uuid.UUID | str
Sender = Callable[[PlannedMessage], str]


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    #: The row is not ``sending`` (already sent, cancelled, reaped): a stale or duplicate task.
    NOT_CLAIMED = "not_claimed"
    #: Another attempt renewed the claim first; that attempt sends.
    LOST_RACE = "lost_race"


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def claim_due(*, now: datetime.datetime, limit: int = CLAIM_BATCH) -> list[uuid.UUID]:
    """Claim up to `limit` pending rows due by `now`, oldest first; the ids this caller now owns."""
    due = PlannedMessage.objects.filter(status=MessageStatus.PENDING, due_at__lte=now).order_by(
        "due_at"
    )
    claim = {
        "status": MessageStatus.SENDING,
        "claimed_at": now,
        "attempts": F("attempts") + 1,
        "updated_at": timezone.now(),
    }
    if connection.vendor == "postgresql":
        # SKIP LOCKED lets concurrent dispatchers take disjoint batches instead of queueing on
        # each other's locks; the rows stay locked only for these two statements.
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
            PlannedMessage.objects.filter(id__in=ids, status=MessageStatus.PENDING).update(**claim)
        return ids

    # Elsewhere (SQLite): one conditional update per row, and a row count of 1 means this caller
    # won it. The transaction only batches the commits; SQLite's single writer lock already
    # serialises competing claimers.
    won: list[uuid.UUID] = []
    with transaction.atomic():
        for message_id in list(due.values_list("id", flat=True)[:limit]):
            if PlannedMessage.objects.filter(id=message_id, status=MessageStatus.PENDING).update(
                **claim
            ):
                won.append(message_id)
    return won


def send_claimed(
    message_id: MessageId,
    *,
    now_fn: Callable[[], datetime.datetime] = timezone.now,
    send: Sender | None = None,
) -> SendOutcome:
    """Send one claimed row and record the result. Must be called outside any transaction.

    Raises GatewayError (row left claimed, error noted) so the caller can retry or release it.
    Any other exception is a bug: the row is failed at once and the exception re-raised.
    """
    message = _for_sending().filter(id=message_id).first()
    if message is None:
        return SendOutcome.NOT_CLAIMED
    return _send_loaded(message, now_fn=now_fn, send=send or deliver)


def _for_sending():
    # What rendering reads (patients.notifications.render), in the same query as the row.
    return PlannedMessage.objects.select_related(
        "guardian", "infant__clinic", "planned_dose"
    ).order_by()


def _send_loaded(
    message: PlannedMessage, *, now_fn: Callable[[], datetime.datetime], send: Sender
) -> SendOutcome:
    if message.status != MessageStatus.SENDING:
        return SendOutcome.NOT_CLAIMED

    # Renew the claim with a compare-and-set: of two deliveries of the same task only one passes,
    # a row cancelled or reaped since it was claimed fails it, and the reaper's clock restarts.
    started = now_fn()
    renewed = PlannedMessage.objects.filter(
        id=message.id, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    ).update(claimed_at=started, updated_at=started)
    if not renewed:
        return SendOutcome.LOST_RACE

    try:
        provider_id = send(message)
    except PermanentGatewayError as exc:
        _finish(message.id, status=MessageStatus.FAILED, last_error=_error_text(exc))
        log.warning("message %s refused by the gateway", message.id)
        return SendOutcome.FAILED
    except GatewayError as exc:
        PlannedMessage.objects.filter(id=message.id, status=MessageStatus.SENDING).update(
            last_error=_error_text(exc), updated_at=now_fn()
        )
        raise
    except Exception as exc:
        _finish(message.id, status=MessageStatus.FAILED, last_error=_error_text(exc))
        raise

    recorded = PlannedMessage.objects.filter(
        # CANCELLED too: a re-plan that landed while the gateway call was in flight cannot recall
        # the message, so the row must say it went out.
        id=message.id,
        status__in=[MessageStatus.SENDING, MessageStatus.CANCELLED],
    ).update(
        status=MessageStatus.SENT,
        sent_at=now_fn(),
        provider_message_id=provider_id[:120],
        last_error="",
        updated_at=now_fn(),
    )
    if not recorded:
        # Another attempt (after a reap) recorded it first; the provider deduplicated ours.
        log.info("message %s was already recorded by another attempt", message.id)
    return SendOutcome.SENT


def _finish(message_id: uuid.UUID, *, status: str, last_error: str) -> None:
    PlannedMessage.objects.filter(id=message_id, status=MessageStatus.SENDING).update(
        status=status, last_error=last_error, updated_at=timezone.now()
    )


def release_for_retry(
    message_id: MessageId, *, now: datetime.datetime, error: BaseException | None = None
) -> str | None:
    """Hand a claimed row back to the table after a transient failure; its new status, or None.

    The due time is kept: the next tick (a minute later) is the backoff, and the guardian's
    computed local time stays on the row. After MAX_ATTEMPTS claims the row fails for good.
    """
    message = PlannedMessage.objects.filter(id=message_id, status=MessageStatus.SENDING).first()
    if message is None:
        return None
    status = MessageStatus.FAILED if message.attempts >= MAX_ATTEMPTS else MessageStatus.PENDING
    changed = PlannedMessage.objects.filter(
        id=message.id, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    ).update(
        status=status,
        claimed_at=None,
        updated_at=now,
        **({"last_error": _error_text(error)} if error else {}),
    )
    return status if changed else None


def release_unsent(message_ids: Iterable[MessageId], *, now: datetime.datetime) -> int:
    """Return claimed rows that were never tried to ``pending``; a claim never tried is no attempt."""
    return PlannedMessage.objects.filter(
        id__in=list(message_ids), status=MessageStatus.SENDING
    ).update(
        status=MessageStatus.PENDING,
        claimed_at=None,
        attempts=F("attempts") - 1,
        updated_at=now,
    )


def reap_stuck(*, now: datetime.datetime, older_than: datetime.timedelta = REAP_AFTER) -> int:
    """Return rows stuck in ``sending`` since before `now - older_than`; how many were reaped.

    A reaped row may already have reached the provider (the worker died before recording it);
    its next attempt carries the same idempotency key, so the parent still gets one message.
    """
    stuck = PlannedMessage.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=now - older_than
    )
    failed = stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=MessageStatus.FAILED,
        last_error="stuck in sending; attempts exhausted",
        updated_at=now,
    )
    returned = stuck.update(
        status=MessageStatus.PENDING, claimed_at=None, last_error="stuck in sending", updated_at=now
    )
    if failed or returned:
        log.warning("reaper: %d rows back to pending, %d failed", returned, failed)
    return failed + returned


def reap_stuck_now() -> int:
    """The reaper as a no-argument job for the embedded loop (settings.EMBEDDED_JOBS)."""
    return reap_stuck(now=timezone.now())


def dispatch_due(
    *, now: datetime.datetime | None = None, batch: int = CLAIM_BATCH, send: Sender | None = None
) -> int:
    """The embedded driver: claim due rows batch by batch and send them inline; how many were sent.

    Stops at the first transient gateway error, handing the untried rest of the batch back
    unharmed: a gateway that is down is retried on the next tick, not hammered row by row.
    """
    sent = 0
    while True:
        ids = claim_due(now=now or timezone.now(), limit=batch)
        # One query loads the batch; each row's claim is still re-checked just before its send.
        loaded = _for_sending().in_bulk(ids)
        for position, message_id in enumerate(ids):
            try:
                message = loaded.get(message_id)
                if message is None:
                    continue
                outcome = _send_loaded(message, now_fn=timezone.now, send=send or deliver)
                if outcome is SendOutcome.SENT:
                    sent += 1
            except GatewayError as exc:
                release_for_retry(message_id, now=timezone.now(), error=exc)
                release_unsent(ids[position + 1 :], now=timezone.now())
                log.warning(
                    "gateway unavailable; %d rows wait for the next tick", len(ids) - position
                )
                return sent
            except Exception:
                # send_claimed has failed the row; one broken message must not block the rest.
                log.exception("message %s failed", message_id)
        if len(ids) < batch:
            return sent
