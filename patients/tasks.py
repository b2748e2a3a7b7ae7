"""Celery tasks: thin wrappers that pass ids to patients.services.dispatch.

Beat ticks `dispatch_tick` every 5 seconds (settings.CELERY_BEAT_SCHEDULE, UTC, expiring before
the next tick so a backlog of ticks never piles up). The tick claims due rows in the database and fans
them out as `send_messages` tasks of a few dozen rows each; nothing is ever parked in the broker
for later, so a lost broker loses at most work in flight, which the reaper returns to the table.
Arguments are row ids only: no patient data passes through Redis.

Why batches: a task costs a broker round trip, an acknowledgement, a log line and a database
connection check. With one task per row that overhead, a query to load each row and a second
commit per row took most of the CPU of a send (about 12 ms of worker CPU per message against
under 3 ms in batches of 50, 10,000 messages through a 4-process worker on 2 cores). A batch task
loads its rows in one query and still renews and records every row on its own
(patients.services.dispatch), so a duplicated or redelivered batch is as safe as a duplicated
single send.
"""

from __future__ import annotations

import datetime
import math

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import timezone

from patients.services import dispatch

#: Rows one tick may claim before it hands over to a follow-up tick (see `dispatch_tick`).
TICK_LIMIT = 5000
#: How long a queued tick stays worth running. Beat ticks every 5 s (settings), so a tick that
#: waited longer than that in the queue is already replaced by a newer one.
TICK_EXPIRES = 4
#: Most rows in one send task: enough to spread the task overhead thin, few enough that a task
#: redelivered after a lost worker, or retried during an outage, holds little back.
SEND_BATCH = 50
#: A claimed batch goes out as at least this many tasks when it has the rows, so a small tick
#: still keeps every worker process busy instead of queueing its rows behind one slow gateway.
SEND_SPREAD = 8
#: Celery retries within one claim. The countdowns (up to factor, 2x factor, ...) stay far below
#: the Redis visibility timeout, so a waiting retry is never redelivered as a duplicate.
SEND_MAX_RETRIES = 4
SEND_RETRY_BACKOFF = getattr(settings, "REMINDER_SEND_RETRY_BACKOFF_SECONDS", 5)
SEND_RETRY_BACKOFF_MAX = 120


def fan_out(ids: list) -> list[list[str]]:
    """Split claimed row ids into send batches, keeping their order (oldest due first)."""
    size = max(1, min(SEND_BATCH, math.ceil(len(ids) / SEND_SPREAD)))
    return [[str(i) for i in ids[start : start + size]] for start in range(0, len(ids), size)]


@shared_task(ignore_result=True)
def dispatch_tick(limit: int | None = None) -> int:
    """Claim due rows and queue them as send batches; how many rows were queued.

    Beat's tick (no `limit`) that claims `TICK_LIMIT` rows queues a follow-up tick at once, behind
    the send batches it just published: a backlog (50,000 evening reminders falling due at 19:00)
    then drains at the workers' pace instead of 5,000 rows per beat interval, while the broker
    never holds much more than one tick's worth of batches, because the follow-up is only taken
    from the queue once the workers have reached it. A tick given an explicit limit does exactly
    that much.
    """
    follow_up = limit is None
    limit = limit or TICK_LIMIT
    queued = 0
    # Claim and publish batch by batch: if this worker dies, at most one claimed batch is left
    # without tasks, and the reaper returns it to the table.
    with send_messages.app.producer_or_acquire() as producer:
        while queued < limit:
            ids = dispatch.claim_due(
                now=timezone.now(), limit=min(dispatch.CLAIM_BATCH, limit - queued)
            )
            for batch in fan_out(ids):
                send_messages.apply_async((batch,), producer=producer)
            queued += len(ids)
            if len(ids) < dispatch.CLAIM_BATCH:
                break
        if follow_up and queued >= limit:
            dispatch_tick.apply_async(expires=TICK_EXPIRES, producer=producer)
    return queued


_SEND_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    # A worker killed mid-send puts the task back on the queue rather than dropping it.
    "reject_on_worker_lost": True,
    # Retried by hand, on GatewayError only (see _send): a retry carries only the rows not yet
    # sent, which autoretry_for, repeating the original arguments, cannot do.
    "max_retries": SEND_MAX_RETRIES,
    "ignore_result": True,
}


@shared_task(**_SEND_TASK_OPTIONS)
def send_messages(self, message_ids: list[str]) -> str:
    """Send a batch of claimed rows. Only GatewayError is retried; a refusal or a bug fails the
    row and the batch goes on."""
    return _send(self, message_ids, batch=True)


@shared_task(**_SEND_TASK_OPTIONS)
def send_message(self, message_id: str) -> str:
    """Send one claimed row: a resend by hand, and the sends ticks queued before batches."""
    return _send(self, [message_id], batch=False)


def _send(task, message_ids: list[str], *, batch: bool) -> str:
    # Redis marks a task it hands out again because its worker was lost; that worker may have
    # reached the gateway with a row it never recorded.
    redelivered = bool((task.request.delivery_info or {}).get("redelivered"))
    report = dispatch.send_batch(message_ids, redelivered=redelivered)
    stopped = report.stopped
    if stopped is None:
        summary = ", ".join(f"{o}: {report.count(o)}" for o in dispatch.SendOutcome)
        return f"{summary} (redelivered)" if redelivered else summary
    if task.request.retries >= task.max_retries:
        # Retries spent: hand the rows back to the table; the next tick claims them again, and
        # after dispatch.MAX_ATTEMPTS claims a row fails and shows on the worklist.
        dispatch.release_stopped(stopped, now=timezone.now())
        return f"released {len(stopped.remaining)}"
    countdown = get_exponential_backoff_interval(
        factor=SEND_RETRY_BACKOFF,
        retries=task.request.retries,
        maximum=SEND_RETRY_BACKOFF_MAX,
        full_jitter=True,
    )
    remaining = [str(i) for i in stopped.remaining]
    raise task.retry(
        args=(remaining,) if batch else tuple(remaining),
        exc=stopped.error,
        countdown=countdown,
    )


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


@shared_task(ignore_result=True, expires=3000)
def fold_infant_counts() -> int:
    """Keep the clinics' kept counts of active infants to about one row a clinic."""
    from patients.services.infant_counts import fold_infant_counts as fold

    return fold()
