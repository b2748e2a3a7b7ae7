"""The faults of QUALITY.md against the real pipeline: a `celery -A tracker worker` process, real
Redis, PostgreSQL, and the counting gateway. Each test asserts what reached the gateway.

Two counts are checked. `delivered` is what the parent's phone shows: the provider deduplicates
on the idempotency key (the row id), and it must be exactly one per row in every scenario.
`accepted` is every hand-over before deduplication: exactly one per row wherever no attempt's fate
was in doubt; a crash or a timeout after the provider accepted may add a second hand-over, which
the idempotency key absorbs (patients/services/dispatch.py explains the guarantee).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from patients import tasks
from patients.models.reminders import MessageStatus, PlannedMessage
from patients.services import dispatch
from tests.reminders.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def count(ids, status) -> int:
    return PlannedMessage.objects.filter(id__in=ids, status=status).count()


def all_sent(ids):
    return count(ids, MessageStatus.SENT) == len(ids)


def not_sent(ids, pipeline) -> str:
    rows = PlannedMessage.objects.filter(id__in=ids).exclude(status=MessageStatus.SENT)
    left = list(rows.values_list("status", "attempts", "last_error")[:10])
    return f"all sent; not yet: {left}\n{pipeline.log_tail()}"


def settle(gateway, *, quiet: float = 1.5, timeout: float = 30) -> None:
    """Wait until the gateway has seen nothing new for `quiet` seconds: no task left running."""
    last, since = -1, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = len(gateway.attempts())
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)
    raise AssertionError("the gateway never went quiet")


def once_each(ids) -> dict[str, int]:
    return {str(i): 1 for i in ids}


def test_worker_killed_mid_batch_then_restarted(pipeline, gateway, make_messages):
    ids = make_messages(40)
    # Killed in the middle of a batch, never between two, where Redis can lose the task being
    # taken (the reaper's case, not this one): batches of 5 (tasks.fan_out) take 1.25 s at 0.25 s
    # a send, and the fourth attempt comes about 0.5 s in.
    gateway.configure(delay=0.25)
    pipeline.publish(tasks.dispatch_tick)
    wait_until(lambda: len(gateway.attempts()) >= 4, timeout=30, what="the batch to be under way")

    pipeline.kill()
    in_doubt = count(ids, MessageStatus.SENDING)
    assert in_doubt > 0, "the kill must land mid-batch"

    pipeline.start()
    # Queued sends run at once; the ones the dead worker held come back after the visibility
    # timeout (acks_late), and send again under the same idempotency key.
    wait_until(lambda: all_sent(ids), timeout=60, what=lambda: not_sent(ids, pipeline))
    settle(gateway)

    assert gateway.delivered() == once_each(ids)
    # At most the sends of the group each pool process had renewed at the kill, whose results
    # were not yet recorded, were handed over twice; the idempotency key delivered each once.
    assert (
        sum(gateway.accepted().values()) <= len(ids) + pipeline.concurrency * dispatch.RENEW_GROUP
    )
    assert dispatch.reap_stuck(now=timezone.now(), older_than=dispatch.REAP_AFTER) == 0


def test_redis_restarted_with_messages_queued(
    pipeline_factory, private_redis, gateway, make_messages
):
    pipeline = pipeline_factory(broker_url=private_redis.url)
    ids = make_messages(40)
    gateway.configure(delay=0.1)
    pipeline.publish(tasks.dispatch_tick)
    wait_until(lambda: len(gateway.attempts()) >= 6, timeout=30, what="sends to be under way")

    private_redis.restart()  # no persistence: every queued send is gone
    settle(gateway)
    lost = count(ids, MessageStatus.SENDING)
    assert lost > 0, "the restart must drop queued sends"

    # The rows, not the broker, are the schedule: the reaper returns the orphaned claims (with
    # the timeout at 0 s, as nothing is in flight now) and the next tick sends them.
    pipeline.publish(tasks.reap_stuck_messages, 0)
    wait_until(lambda: count(ids, MessageStatus.SENDING) == 0, timeout=30, what="the reaper")
    pipeline.publish(tasks.dispatch_tick)
    wait_until(lambda: all_sent(ids), timeout=30, what=lambda: not_sent(ids, pipeline))
    settle(gateway)

    assert gateway.delivered() == once_each(ids)
    assert gateway.accepted() == once_each(ids)


@pytest.mark.parametrize(
    ("mode", "extra_hand_overs"),
    [
        ("error", 0),  # refused before delivery: retried, one hand-over in the end
        ("timeout", 6),  # delivered, but the caller never heard: retried under the same key
    ],
)
def test_gateway_failing_then_recovering(pipeline, gateway, make_messages, mode, extra_hand_overs):
    ids = make_messages(20)
    gateway.configure(fail_next=6, mode=mode)

    def beat():  # beat's minute, compressed: a row whose retries ran out waits for a tick
        pipeline.publish(tasks.dispatch_tick)
        time.sleep(1)
        return all_sent(ids)

    wait_until(beat, timeout=60, what=lambda: not_sent(ids, pipeline), every=0)
    settle(gateway)

    assert gateway.delivered() == once_each(ids)
    assert sum(gateway.accepted().values()) == len(ids) + extra_hand_overs
    assert gateway.outcomes()["error" if mode == "error" else "duplicate"] == 6
    assert count(ids, MessageStatus.FAILED) == 0


def test_the_same_tick_and_the_same_send_delivered_twice(pipeline, gateway, make_messages):
    ids = make_messages(30)
    gateway.configure(delay=0.02)
    pipeline.publish(tasks.dispatch_tick)
    pipeline.publish(tasks.dispatch_tick)
    wait_until(lambda: all_sent(ids), timeout=30, what=lambda: not_sent(ids, pipeline))
    for message_id in ids[:5]:  # a redelivered send of a row already sent
        pipeline.publish(tasks.send_message, str(message_id))
    settle(gateway)

    assert gateway.accepted() == once_each(ids)  # not even a raw duplicate


def test_two_dispatchers_at_once(pipeline, gateway, make_messages):
    """Celery ticks and an embedded dispatcher in this process, all on the same rows."""
    ids = make_messages(300)
    # Slow enough that the embedded loop alone would need seconds: the ticks, published while it
    # runs, claim the rest, so both really work the same table at the same time.
    gateway.configure(delay=0.01)
    embedded_sent: list[int] = []

    def embedded():
        try:
            embedded_sent.append(dispatch.dispatch_due(batch=20))
        finally:
            connection.close()

    thread = threading.Thread(target=embedded)
    thread.start()
    pipeline.publish(tasks.dispatch_tick)
    pipeline.publish(tasks.dispatch_tick)
    thread.join()
    wait_until(lambda: all_sent(ids), timeout=60, what=lambda: not_sent(ids, pipeline))
    settle(gateway)

    assert gateway.accepted() == once_each(ids)
    assert 0 < embedded_sent[0] < len(ids), "both dispatchers should have taken a share"


def test_regimen_changed_while_its_reminders_are_sent(pipeline, gateway, make_messages):
    now = timezone.now()
    sending_now = make_messages(10, due_at=now - dispatch.REAP_AFTER / 2)
    replaced = make_messages(20, due_at=now - dispatch.REAP_AFTER / 4)
    gateway.configure(delay=0.15)
    pipeline.publish(tasks.dispatch_tick, 10)  # the oldest ten only
    wait_until(lambda: len(gateway.attempts()) >= 2, timeout=30, what="sends to be under way")

    # The re-plan, as the planner does it: cancel pending messages and plan the new ones, in one
    # transaction, while the first batch is still going out. Two rows of that batch that the
    # gateway has not seen yet are cancelled too.
    from django.db import transaction

    with transaction.atomic():
        cancelled = PlannedMessage.objects.filter(id__in=replaced, status=MessageStatus.PENDING)
        assert cancelled.update(status=MessageStatus.CANCELLED) == len(replaced)
        seen = set(gateway.accepted())
        late_cancels = [i for i in sending_now if str(i) not in seen][-2:]
        PlannedMessage.objects.filter(id__in=late_cancels, status=MessageStatus.SENDING).update(
            status=MessageStatus.CANCELLED
        )
        new_plan = make_messages(12, due_at=now - dispatch.REAP_AFTER / 8)
    pipeline.publish(tasks.dispatch_tick)

    rest = [i for i in sending_now if i not in late_cancels] + new_plan
    wait_until(lambda: all_sent(rest), timeout=30, what=lambda: not_sent(rest, pipeline))
    settle(gateway)

    reached = gateway.accepted()
    assert not {str(i) for i in replaced} & set(reached), "a cancelled plan reached a parent"
    assert reached == once_each(rest)
    assert count(late_cancels, MessageStatus.CANCELLED) == 2
