"""The dispatch service on its own: claim, send, record, release, reap, and the embedded driver.

These run on SQLite and on PostgreSQL; the concurrency tests that need two real connections run
on PostgreSQL only (SQLite serialises writers, so it cannot race in the first place).
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from patients.models.reminders import MessageStatus, PlannedMessage
from patients.notifications import GatewayError, PermanentGatewayError, deliver
from patients.services import dispatch
from patients.services.dispatch import SendOutcome

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 30, 6, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs two real PostgreSQL connections"
)


def rows(ids):
    return {row.id: row for row in PlannedMessage.objects.filter(id__in=ids)}


def statuses(ids):
    return sorted(PlannedMessage.objects.filter(id__in=ids).values_list("status", flat=True))


class Crash(BaseException):
    """A process dying mid-send: not an Exception, so nothing in the service may catch it."""


# -- claim ---------------------------------------------------------------------------------------


def test_claim_takes_due_pending_rows_oldest_first_and_only_once(make_messages):
    late = make_messages(2, due_at=NOW - 10 * MINUTE)
    early = make_messages(2, due_at=NOW - 60 * MINUTE)
    make_messages(2, due_at=NOW + MINUTE)  # not due yet

    first = dispatch.claim_due(now=NOW, limit=3)

    assert first[:2] == sorted(early, key=first.index)  # the oldest first
    assert set(first) < set(early + late)
    claimed = rows(first)
    assert {r.status for r in claimed.values()} == {MessageStatus.SENDING}
    assert {r.claimed_at for r in claimed.values()} == {NOW}
    assert {r.attempts for r in claimed.values()} == {1}
    second = dispatch.claim_due(now=NOW, limit=10)
    assert len(second) == 1 and not set(second) & set(first)
    assert dispatch.claim_due(now=NOW, limit=10) == []


def test_claim_ignores_rows_in_every_other_status(make_messages):
    ids = make_messages(5, due_at=NOW - MINUTE)
    for message_id, status in zip(ids, MessageStatus.values[1:], strict=False):
        PlannedMessage.objects.filter(id=message_id).update(status=status, sent_at=NOW)
    assert dispatch.claim_due(now=NOW, limit=10) == []


def test_interleaved_claimers_partition_the_rows(make_messages):
    ids = make_messages(25, due_at=NOW - MINUTE)
    a, b = [], []
    while batch := dispatch.claim_due(now=NOW, limit=4):
        (a if len(a) <= len(b) else b).extend(batch)
    assert not set(a) & set(b)
    assert sorted(a + b) == sorted(ids)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_on_postgresql_never_share_a_row(make_messages):
    ids = make_messages(600, due_at=NOW - MINUTE)
    won: dict[str, list] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claimer(name):
        start.wait()
        try:
            while batch := dispatch.claim_due(now=NOW, limit=20):
                won[name].extend(batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in won]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not set(won["a"]) & set(won["b"])
    assert sorted(won["a"] + won["b"]) == sorted(ids)
    assert won["a"] and won["b"], "SKIP LOCKED should let both make progress"
    assert set(PlannedMessage.objects.values_list("attempts", flat=True)) == {1}


# -- send and record -----------------------------------------------------------------------------


def test_send_records_sent_with_the_provider_id(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)

    assert dispatch.send_claimed(message_id, now_fn=lambda: NOW) is SendOutcome.SENT

    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.sent_at, row.provider_message_id) == ("sent", NOW, f"gw-{message_id}")
    assert gateway.delivered() == {str(message_id): 1}


def test_a_duplicate_or_stale_task_sends_nothing(make_messages, gateway):
    [message_id, never_claimed] = make_messages(2, due_at=NOW - MINUTE)
    PlannedMessage.objects.filter(id=message_id).update(status="sending", claimed_at=NOW)

    assert dispatch.send_claimed(message_id) is SendOutcome.SENT
    assert dispatch.send_claimed(message_id) is SendOutcome.NOT_CLAIMED  # delivered twice
    assert dispatch.send_claimed(never_claimed) is SendOutcome.NOT_CLAIMED
    assert dispatch.send_claimed("00000000-0000-0000-0000-000000000000") is (
        SendOutcome.NOT_CLAIMED
    )
    assert gateway.accepted() == {str(message_id): 1}


def test_a_row_cancelled_after_its_claim_is_not_sent(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)
    PlannedMessage.objects.filter(id=message_id).update(status=MessageStatus.CANCELLED)

    assert dispatch.send_claimed(message_id) is SendOutcome.NOT_CLAIMED
    assert gateway.attempts() == []


def test_a_row_cancelled_while_in_flight_is_recorded_as_sent(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)

    def send(message):
        PlannedMessage.objects.filter(id=message.id).update(status=MessageStatus.CANCELLED)
        return deliver(message)

    assert dispatch.send_claimed(message_id, send=send) is SendOutcome.SENT
    assert PlannedMessage.objects.get(id=message_id).status == MessageStatus.SENT


def test_a_refusal_fails_the_row_without_retry(make_messages):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)

    def refuse(message):
        raise PermanentGatewayError("invalid number")

    assert dispatch.send_claimed(message_id, send=refuse) is SendOutcome.FAILED
    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.last_error) == ("failed", "PermanentGatewayError: invalid number")


def test_a_bug_fails_the_row_and_is_raised(make_messages):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)

    with pytest.raises(KeyError):
        dispatch.send_claimed(message_id, send=lambda m: {}["missing"])
    assert PlannedMessage.objects.get(id=message_id).status == MessageStatus.FAILED


def test_a_transient_error_keeps_the_claim_then_release_returns_it(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    gateway.configure(fail_next=1)
    dispatch.claim_due(now=NOW, limit=1)

    with pytest.raises(GatewayError):
        dispatch.send_claimed(message_id)
    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.last_error) == ("sending", "GatewayError: gateway unavailable (test)")

    assert dispatch.release_for_retry(message_id, now=NOW) == MessageStatus.PENDING
    row.refresh_from_db()
    assert (row.status, row.due_at, row.attempts) == ("pending", NOW - MINUTE, 1)


def test_release_fails_the_row_after_the_last_attempt(make_messages):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    PlannedMessage.objects.filter(id=message_id).update(attempts=dispatch.MAX_ATTEMPTS - 1)
    dispatch.claim_due(now=NOW, limit=1)

    assert dispatch.release_for_retry(message_id, now=NOW) == MessageStatus.FAILED


# -- reaper --------------------------------------------------------------------------------------


def test_reaper_returns_only_claims_older_than_the_timeout(make_messages):
    old, fresh, exhausted = make_messages(3, due_at=NOW - MINUTE)
    PlannedMessage.objects.filter(id__in=[old, exhausted]).update(
        status="sending", claimed_at=NOW - 20 * MINUTE
    )
    PlannedMessage.objects.filter(id=exhausted).update(attempts=dispatch.MAX_ATTEMPTS)
    PlannedMessage.objects.filter(id=fresh).update(status="sending", claimed_at=NOW - MINUTE)

    assert dispatch.reap_stuck(now=NOW, older_than=15 * MINUTE) == 2

    got = rows([old, fresh, exhausted])
    assert (got[old].status, got[old].claimed_at) == ("pending", None)
    assert got[fresh].status == "sending"
    assert got[exhausted].status == "failed"


def test_a_dispatcher_killed_after_claiming_loses_nothing(make_messages, gateway):
    ids = make_messages(5, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=10)  # ... and the process died before sending

    assert dispatch.dispatch_due(now=NOW) == 0  # claimed rows are not due for anyone else
    dispatch.reap_stuck(now=NOW + dispatch.REAP_AFTER + MINUTE)
    assert dispatch.dispatch_due(now=NOW + dispatch.REAP_AFTER + MINUTE) == 5

    assert gateway.delivered() == {str(i): 1 for i in ids}
    assert gateway.accepted() == {str(i): 1 for i in ids}


def test_a_worker_killed_after_the_gateway_accepted_delivers_once(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)

    def accept_then_die(message):
        deliver(message)
        raise Crash

    with pytest.raises(Crash):
        dispatch.send_claimed(message_id, send=accept_then_die)
    later = timezone.now() + dispatch.REAP_AFTER + MINUTE
    assert dispatch.reap_stuck(now=later) == 1
    assert dispatch.dispatch_due(now=later) == 1

    # Two hand-overs, one message on the parent's phone: the row id is the idempotency key.
    assert gateway.accepted() == {str(message_id): 2}
    assert gateway.delivered() == {str(message_id): 1}
    assert PlannedMessage.objects.get(id=message_id).status == MessageStatus.SENT


# -- the embedded driver -------------------------------------------------------------------------


def test_dispatch_due_sends_every_due_row_in_batches(make_messages, gateway):
    due = make_messages(23, due_at=NOW - MINUTE)
    future = make_messages(2, due_at=NOW + MINUTE)

    assert dispatch.dispatch_due(now=NOW, batch=5) == 23

    assert gateway.delivered() == {str(i): 1 for i in due}
    assert statuses(future) == ["pending", "pending"]


def test_dispatch_due_stops_on_a_gateway_outage_and_recovers(make_messages, gateway):
    ids = make_messages(6, due_at=NOW - MINUTE)
    gateway.configure(fail_next=1)

    assert dispatch.dispatch_due(now=NOW) == 0
    # The failed row counts an attempt; the rows never tried do not.
    assert sorted(PlannedMessage.objects.values_list("attempts", flat=True)) == [0] * 5 + [1]
    assert statuses(ids) == ["pending"] * 6

    assert dispatch.dispatch_due(now=NOW + MINUTE) == 6
    assert gateway.delivered() == {str(i): 1 for i in ids}
    assert gateway.outcomes() == {"error": 1, "delivered": 6}


def test_a_timeout_after_delivery_is_retried_and_delivered_once(make_messages, gateway):
    ids = make_messages(3, due_at=NOW - MINUTE)
    gateway.configure(fail_next=1, mode="timeout")

    dispatch.dispatch_due(now=NOW)
    dispatch.dispatch_due(now=NOW + MINUTE)

    assert gateway.delivered() == {str(i): 1 for i in ids}
    assert sum(gateway.accepted().values()) == 4  # the timed-out hand-over was retried
    assert statuses(ids) == ["sent"] * 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_embedded_dispatchers_at_once_send_each_row_once(make_messages, gateway):
    ids = make_messages(400, due_at=timezone.now() - MINUTE)
    gateway.configure(delay=0.001)
    start = threading.Barrier(2)
    sent = []

    def dispatcher():
        start.wait()
        try:
            sent.append(dispatch.dispatch_due(batch=25))
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(sent) == 400 and all(sent)
    assert gateway.accepted() == {str(i): 1 for i in ids}  # not even a raw duplicate
    assert statuses(ids) == ["sent"] * 400


def test_run_dispatcher_runs_the_configured_jobs(make_messages, gateway):
    ids = make_messages(3, due_at=timezone.now() - MINUTE)
    PlannedMessage.objects.filter(id=ids[0]).update(
        status="sending", claimed_at=timezone.now() - dispatch.REAP_AFTER - MINUTE
    )

    call_command("run_dispatcher", "--once")
    call_command("run_dispatcher", "--once")  # the reaped row goes on the second tick

    assert gateway.delivered() == {str(i): 1 for i in ids}


# -- the Celery wiring ---------------------------------------------------------------------------


def test_celery_tasks_and_schedule_are_wired_for_the_pipeline(settings):
    from patients import tasks

    for task in (tasks.send_messages, tasks.send_message):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.max_retries == tasks.SEND_MAX_RETRIES
        # Retried by hand on GatewayError only (tests/reminders/test_dispatch_batches.py).
        assert not getattr(task, "autoretry_for", ())
    schedule = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    tick = schedule["patients.tasks.dispatch_tick"]
    # Often enough that a reminder is claimed within seconds of falling due; a queued tick
    # expires before the next one comes.
    assert tick["schedule"] <= 5
    assert tick["options"]["expires"] < tick["schedule"]
    assert tick["options"]["expires"] == tasks.TICK_EXPIRES
    assert "patients.tasks.reap_stuck_messages" in schedule
    assert settings.CELERY_TIMEZONE == "UTC" and settings.CELERY_ENABLE_UTC
    assert not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    assert "patients.services.dispatch.dispatch_due" in settings.EMBEDDED_JOBS
