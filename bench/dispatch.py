"""Reminder dispatch through the real worker and broker: throughput against a no-op task, and the
lateness of a burst of due reminders under beat.

Throughput. A round inserts N reminders due now and publishes one `dispatch_tick`, as beat does;
the worker claims them, fans them out as send batches and sends each through the loopback gateway.
Its figure is N over the time from the publish to the last `sent_at`. The baseline round publishes
N no-op tasks (one per reminder, each doing the one Redis round trip the gateway does) to the
same worker through the same broker, and its figure is N over the time until the last one ran.
Rounds alternate, baseline first; the ratio is the median of the rounds' ratios.

Lateness. N reminders fall due at once while beat ticks the dispatcher on its production schedule
(every 5 seconds; a tick that claims `patients.tasks.TICK_LIMIT` rows queues the next at once);
lateness is `sent_at - due_at` of each row, its percentiles read from PostgreSQL.

Both check the pipeline's promise at the gateway: every reminder handed over exactly once.
"""

from __future__ import annotations

import datetime
import time

import redis
from django.db import connection, transaction
from django.utils import timezone

from bench import gateway, profile
from bench.bulkcopy import Rows, new_id
from bench.stack import REDIS_URL
from bench.tasks import NOOP_COUNTER, noop
from patients import models as m
from patients.models.reminders import MessageStatus
from patients.tasks import dispatch_tick


def recipients(clinic: m.Clinic, count: int) -> list[tuple]:
    """(guardian, infant, planned dose, day) of reminded infants' coming doses: real rows for the
    messages to render from."""
    return list(
        m.PlannedDose.objects.filter(
            course__infant__clinic=clinic,
            course__infant__follow_up_status="active",
            status="planned",
            course__infant__guardianships__guardian__consents__purpose="reminders",
        ).values_list(
            "course__infant__guardianships__guardian_id", "course__infant_id", "id", "due_on"
        )[:count]
    )


def insert_due(
    prefix: str, count: int, *, targets: list[tuple], due_at: datetime.datetime
) -> list[str]:
    """`count` pending reminders due at `due_at`, half by SMS and half by e-mail; their ids."""
    rows = Rows(m.PlannedMessage, now=timezone.now(), reason="")
    ids = []
    for n in range(count):
        guardian_id, infant_id, dose_id, on = targets[n % len(targets)]
        message_id = new_id()
        ids.append(message_id)
        rows.add(
            id=message_id,
            slot_key=f"{prefix}:{n}",
            guardian_id=guardian_id,
            infant_id=infant_id,
            planned_dose_id=dose_id,
            kind="dose_morning_of",
            channel="sms" if n % 2 else "email",
            due_at=due_at,
            event_on=on,
        )
        if len(rows.rows) >= 10_000:
            with transaction.atomic():
                rows.flush()
    with transaction.atomic():
        rows.flush()
    return ids


def _sent(ids: list[str]) -> tuple[int, datetime.datetime | None]:
    """How many of the rows are sent, and the last `sent_at`: once, by primary key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(sent_at) FROM patients_plannedmessage "
            "WHERE id = ANY(%s::uuid[]) AND status = %s",
            [ids, MessageStatus.SENT],
        )
        return cursor.fetchone()


def _still_to_send(due_at: datetime.datetime) -> int:
    """Rows of a burst not yet sent, read through the dispatcher's own partial indexes (pending
    by due time, and everything in "sending", of which only the burst's rows exist while it is
    sent): cheap enough to ask four times a second while 50,000 rows go out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM patients_plannedmessage "
            "        WHERE status = 'pending' AND due_at = %s)"
            "     + (SELECT count(*) FROM patients_plannedmessage WHERE status = 'sending')",
            [due_at],
        )
        return cursor.fetchone()[0]


def _wait_sent(
    ids: list[str], due_at: datetime.datetime, timeout: float
) -> datetime.datetime | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _still_to_send(due_at) == 0:
            sent, last = _sent(ids)
            if sent >= len(ids):
                return last
        time.sleep(0.25)
    return None


def _redis() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def dispatch_round(prefix: str, count: int, targets: list[tuple], timeout: float) -> dict:
    due_at = timezone.now() - datetime.timedelta(seconds=1)
    ids = insert_due(prefix, count, targets=targets, due_at=due_at)
    started = timezone.now()
    dispatch_tick.apply_async()
    last = _wait_sent(ids, due_at, timeout)
    if last is None:
        return {"count": count, "complete": False, "sent": _sent(ids)[0]}
    seconds = (last - started).total_seconds()
    return {
        "count": count,
        "complete": True,
        "seconds": round(seconds, 2),
        "per_second": count / seconds,
    }


def noop_round(count: int, timeout: float) -> dict:
    client = _redis()
    client.delete(NOOP_COUNTER)
    started = time.time()
    with noop.app.producer_or_acquire() as producer:
        for n in range(count):
            noop.apply_async((n,), producer=producer)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(client.get(NOOP_COUNTER) or 0) >= count:
            seconds = time.time() - started
            return {
                "count": count,
                "complete": True,
                "seconds": round(seconds, 2),
                "per_second": count / seconds,
            }
        time.sleep(0.02)
    return {"count": count, "complete": False}


def throughput(clinic: m.Clinic, *, count: int, rounds: int, timeout: float) -> dict:
    targets = recipients(clinic, 2000)
    # One round of each, not counted, first: the worker's first sends load the templates, the
    # gateway's connections and PostgreSQL's pages of the recipients, which the no-op task never
    # needs (in both full runs the first round read 0.61, the next ones 0.99 to 1.22).
    noop_round(count // 5, timeout)
    dispatch_round(f"bench-dispatch-warm-{new_id()[:8]}", count // 5, targets, timeout)
    noops, dispatches = [], []
    for r in range(rounds):
        noops.append(noop_round(count, timeout))
        dispatches.append(
            dispatch_round(f"bench-dispatch-{r}-{new_id()[:8]}", count, targets, timeout)
        )
    from bench.stats import median, ratios

    complete = all(x["complete"] for x in noops + dispatches)
    result = {
        "count": count,
        "rounds": rounds,
        "noop": noops,
        "dispatch": dispatches,
        "complete": complete,
    }
    if complete:
        result["ratios"] = ratios(
            [d["per_second"] for d in dispatches], [n["per_second"] for n in noops]
        )
        result["ratio"] = median(result["ratios"])
        result["dispatch_per_second"] = median([d["per_second"] for d in dispatches])
        result["noop_per_second"] = median([n["per_second"] for n in noops])
    return result


def profiled_round(clinic: m.Clinic, *, count: int, worker_pid: int, output) -> dict:
    """One more dispatch round with py-spy sampling the worker's pool; not measured."""
    targets = recipients(clinic, 2000)
    spy = profile.start(worker_pid, 25, output)
    dispatch_round(f"bench-dispatch-profile-{new_id()[:8]}", count, targets, 120)
    spy.wait(timeout=90)
    return profile.summarise(output)


def gateway_counts(ids: list[str]) -> dict:
    """Hand-overs per reminder at the gateway: how many were never handed over, or more than once."""
    client = _redis()
    attempts = []
    for start in range(0, len(ids), 5000):
        attempts += client.hmget(gateway.ATTEMPTS, ids[start : start + 5000])
    counts = [int(a or 0) for a in attempts]
    return {
        "reminders": len(ids),
        "never": sum(1 for c in counts if c == 0),
        "once": sum(1 for c in counts if c == 1),
        "more_than_once": sum(1 for c in counts if c > 1),
    }


#: Written this long (at least) before the burst falls due.
LEAD_SECONDS = 30


def lateness(clinic: m.Clinic, *, count: int, deadline_seconds: float, beat_started: float) -> dict:
    """`count` reminders due at once, sent by beat's ticks; sent minus due, in seconds.

    The rows are written ahead of their time, as the planner writes reminders days ahead, and
    fall due together on a half minute at least `LEAD_SECONDS` later (writing 50,000 rows takes a
    few seconds, which would otherwise count as lateness). Beat's 5-second ticks run from
    whenever beat started, so the first claim comes up to 5 s after the burst falls due, as in
    production.
    """
    targets = recipients(clinic, 5000)
    time.sleep(max(0.0, beat_started + 5 - time.monotonic()))
    now = timezone.now().replace(microsecond=0)
    due_at = now + datetime.timedelta(seconds=LEAD_SECONDS)
    due_at += datetime.timedelta(seconds=(30 - due_at.second) % 60)
    prefix = f"bench-lateness-{new_id()[:8]}"
    ids = insert_due(prefix, count, targets=targets, due_at=due_at)
    inserted = timezone.now()
    if inserted >= due_at:
        raise RuntimeError(f"the burst was written {inserted - due_at} after it fell due")
    last = _wait_sent(ids, due_at, deadline_seconds + (due_at - inserted).total_seconds())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE status = 'sent'),
                   percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (
                       ORDER BY extract(epoch FROM sent_at - due_at)),
                   max(extract(epoch FROM sent_at - due_at)),
                   min(extract(epoch FROM claimed_at - due_at)),
                   count(DISTINCT date_trunc('second', claimed_at)) FILTER (WHERE status = 'sent')
            FROM patients_plannedmessage WHERE id = ANY(%s::uuid[])
            """,
            [ids],
        )
        sent, (p50, p90, p99), worst, first_claim, _ = cursor.fetchone()
        cursor.execute(
            "SELECT status, count(*) FROM patients_plannedmessage WHERE id = ANY(%s::uuid[]) "
            "GROUP BY status",
            [ids],
        )
        statuses = dict(cursor.fetchall())
    return {
        "count": count,
        "complete": last is not None,
        "sent": sent,
        "statuses": statuses,
        "written_ahead_s": round((due_at - inserted).total_seconds(), 1),
        "p50_s": round(float(p50), 1) if p50 is not None else None,
        "p90_s": round(float(p90), 1) if p90 is not None else None,
        "p99_s": round(float(p99), 1) if p99 is not None else None,
        "max_s": round(float(worst), 1) if worst is not None else None,
        # claimed_at is renewed when each send begins, so this is the first send, not the claim.
        "first_claim_after_s": round(float(first_claim), 1) if first_claim is not None else None,
        "gateway": gateway_counts(ids),
    }
