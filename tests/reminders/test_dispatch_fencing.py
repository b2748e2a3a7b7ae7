"""The claim token as a fencing token: of two senders of one row, only the holder of the current
token sends, and only the sender that set it records the result.

A clock cannot do this: two copies of one send task that read the row at the same instant, with
clocks that agree (or a renewal that lands on the claim's own timestamp), would both pass a
compare-and-set on ``claimed_at``. The first test builds exactly that interleaving.
"""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from patients.models.reminders import MessageStatus, PlannedMessage
from patients.notifications import PermanentGatewayError, deliver
from patients.services import dispatch
from patients.services.dispatch import SendOutcome

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 30, 6, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


class InFlight(BaseException):
    """Stops a sender inside the gateway call, as if the call were still under way."""


def token_of(message_id):
    return PlannedMessage.objects.values_list("claim_token", flat=True).get(id=message_id)


def test_two_copies_of_one_send_on_the_same_clock_cannot_both_send(make_messages):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)
    handed_over: list[str] = []

    def copy_b_sends(message):
        handed_over.append("b")
        raise InFlight  # b is talking to the gateway when a renews

    def copy_a_clock():
        # Called by copy a after it loaded the row and before it renews the claim: copy b
        # loads the same row, renews it at the same instant and starts sending.
        if not handed_over:
            with pytest.raises(InFlight):
                dispatch.send_claimed(message_id, now_fn=lambda: NOW, send=copy_b_sends)
        return NOW

    def copy_a_sends(message):
        handed_over.append("a")
        return deliver(message)

    outcome = dispatch.send_claimed(message_id, now_fn=copy_a_clock, send=copy_a_sends)

    assert outcome is SendOutcome.LOST_RACE
    assert handed_over == ["b"]
    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.claimed_at) == (MessageStatus.SENDING, NOW)  # b's claim stands


def test_each_claim_and_each_send_sets_a_fresh_token(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    assert token_of(message_id) is None
    dispatch.claim_due(now=NOW, limit=1)
    claimed = token_of(message_id)
    renewed = []

    def send(message):
        renewed.append(token_of(message.id))
        return deliver(message)

    assert dispatch.send_claimed(message_id, now_fn=lambda: NOW, send=send) is SendOutcome.SENT

    assert claimed is not None and renewed[0] not in (None, claimed)
    assert token_of(message_id) is None  # a sent row is held by no one


def test_a_result_is_recorded_only_by_the_holder_of_the_claim(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)
    later = NOW + dispatch.REAP_AFTER + MINUTE

    def slow_send(message):
        # The gateway call outlives the reaper's patience, and another dispatcher claims the row.
        assert dispatch.reap_stuck(now=later) == 1
        assert dispatch.claim_due(now=later, limit=1) == [message.id]
        return deliver(message)

    assert dispatch.send_claimed(message_id, now_fn=lambda: NOW, send=slow_send) is (
        SendOutcome.SENT
    )

    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.attempts) == (MessageStatus.SENDING, 2)  # the new claim is intact
    assert dispatch.send_claimed(message_id) is SendOutcome.SENT  # its holder sends and records
    assert PlannedMessage.objects.get(id=message_id).status == MessageStatus.SENT
    assert gateway.delivered() == {str(message_id): 1}


def test_a_refusal_is_not_recorded_over_a_newer_claim(make_messages):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)

    def refuse_late(message):
        # Taken over by another sender while this one waited for the gateway's answer.
        PlannedMessage.objects.filter(id=message.id).update(claim_token=uuid.uuid4())
        raise PermanentGatewayError("invalid number")

    dispatch.send_claimed(message_id, send=refuse_late)

    assert PlannedMessage.objects.get(id=message_id).status == MessageStatus.SENDING


def test_release_returns_only_the_claim_the_sender_holds(make_messages):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)
    held = token_of(message_id)
    dispatch.reap_stuck(now=NOW + dispatch.REAP_AFTER + MINUTE)
    dispatch.claim_due(now=NOW + dispatch.REAP_AFTER + MINUTE, limit=1)  # another claimer's

    assert dispatch.release_for_retry(message_id, now=NOW, token=held) is None
    assert dispatch.release_unsent({message_id: held}, now=NOW) == 0
    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.attempts) == (MessageStatus.SENDING, 2)

    current = token_of(message_id)
    assert dispatch.release_for_retry(message_id, now=NOW, token=current) == MessageStatus.PENDING
    assert token_of(message_id) is None


def test_reaping_and_releasing_clear_the_token(make_messages):
    reaped, released, unsent = make_messages(3, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=3)
    held = {i: token_of(i) for i in (reaped, released, unsent)}
    assert None not in held.values()

    assert dispatch.release_for_retry(released, now=NOW, token=held[released]) == "pending"
    assert dispatch.release_unsent({unsent: held[unsent]}, now=NOW) == 1
    assert dispatch.reap_stuck(now=NOW + 20 * MINUTE, older_than=15 * MINUTE) == 1

    assert [token_of(i) for i in (reaped, released, unsent)] == [None, None, None]


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs two real PostgreSQL connections"
)
@pytest.mark.django_db(transaction=True)
def test_two_copies_of_one_batch_at_the_same_instant_send_each_row_once(make_messages, gateway):
    """The same batch task delivered twice and run by two workers at once, both clocks reading
    the claim's own instant: every row is handed over once."""
    ids = make_messages(40, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=40)
    gateway.configure(delay=0.002)
    both_loaded = threading.Barrier(2)
    reports = []

    def copy():
        loaded = threading.local()

        def clock():
            if not getattr(loaded, "done", False):
                loaded.done = True
                both_loaded.wait(10)  # each copy has read every row before either renews
            return NOW

        try:
            reports.append(dispatch.send_batch(ids, now_fn=clock))
        finally:
            connection.close()

    threads = [threading.Thread(target=copy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert gateway.accepted() == {str(i): 1 for i in ids}  # not even a raw duplicate
    assert sum(report.sent for report in reports) == len(ids)
    assert set(PlannedMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_a_sent_row_keeps_no_token_and_a_fresh_claim_needs_a_pending_row(make_messages, gateway):
    [message_id] = make_messages(1, due_at=timezone.now() - MINUTE)
    assert dispatch.dispatch_due() == 1
    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.claim_token) == (MessageStatus.SENT, None)
    assert dispatch.claim_due(now=timezone.now(), limit=1) == []
