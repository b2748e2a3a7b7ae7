"""Celery tasks: thin wrappers that pass ids to patients.services.dispatch.

Beat ticks `dispatch_tick` every minute (settings.CELERY_BEAT_SCHEDULE, UTC, expiring before the
next tick so a backlog of ticks never piles up). The tick claims due rows in the database and fans
out one `send_message` per row; nothing is ever parked in the broker for later, so a lost broker
loses at most work in flight, which the reaper returns to the table. Arguments are row ids only:
no patient data passes through Redis.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from patients.notifications import GatewayError
from patients.services import dispatch

#: Rows one tick may claim; the rest wait for the next minute rather than flood the queue.
TICK_LIMIT = 5000
#: Celery retries within one claim. The countdowns (factor, 2x factor, ...) stay far below the
#: Redis visibility timeout, so a waiting retry is never redelivered as a duplicate.
SEND_MAX_RETRIES = 4
SEND_RETRY_BACKOFF = getattr(settings, "REMINDER_SEND_RETRY_BACKOFF_SECONDS", 5)


@shared_task(ignore_result=True)
def dispatch_tick(limit: int | None = None) -> int:
    """Claim due rows and queue one send per row; how many were queued."""
    limit = limit or TICK_LIMIT
    queued = 0
    # Claim and publish batch by batch: if this worker dies, at most one claimed batch is left
    # without tasks, and the reaper returns it to the table.
    with send_message.app.producer_or_acquire() as producer:
        while queued < limit:
            ids = dispatch.claim_due(
                now=timezone.now(), limit=min(dispatch.CLAIM_BATCH, limit - queued)
            )
            for message_id in ids:
                send_message.apply_async((str(message_id),), producer=producer)
            queued += len(ids)
            if len(ids) < dispatch.CLAIM_BATCH:
                break
    return queued


@shared_task(
    bind=True,
    acks_late=True,
    # A worker killed mid-send puts the message back on the queue rather than dropping it.
    reject_on_worker_lost=True,
    autoretry_for=(GatewayError,),
    retry_backoff=SEND_RETRY_BACKOFF,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=SEND_MAX_RETRIES,
    ignore_result=True,
)
def send_message(self, message_id: str) -> str:
    """Send one claimed row. Only GatewayError is retried; a refusal or a bug fails the row."""
    try:
        return dispatch.send_claimed(message_id)
    except GatewayError as exc:
        if self.request.retries >= self.max_retries:
            # Retries spent: hand the row back to the table; the next tick claims it again, and
            # after dispatch.MAX_ATTEMPTS claims it fails and shows on the worklist.
            dispatch.release_for_retry(message_id, now=timezone.now(), error=exc)
            return "released"
        raise


@shared_task(ignore_result=True)
def reap_stuck_messages(older_than_seconds: float | None = None) -> int:
    older_than = (
        dispatch.REAP_AFTER
        if older_than_seconds is None
        else datetime.timedelta(seconds=older_than_seconds)
    )
    return dispatch.reap_stuck(now=timezone.now(), older_than=older_than)


@shared_task(ignore_result=True, expires=540)
def mark_missed_doses() -> int:
    """Doses not recorded by the end of their day (clinic time) become missed; one follow-up each."""
    from patients.services.reminders import mark_missed_doses as mark

    return mark(now=timezone.now())


@shared_task(ignore_result=True, expires=3000)
def refresh_alerts() -> int:
    """The pass for rules that fire with time alone (48 hours without potassium, overdue items)."""
    from patients.services.alerts import refresh_alerts_for_followed_infants

    return refresh_alerts_for_followed_infants(now=timezone.now())
