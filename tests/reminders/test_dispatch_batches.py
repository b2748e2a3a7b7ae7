"""Sending claimed rows in batches: one query loads a batch, every row is still renewed and
recorded on its own, a transient error stops the batch with only the unsent rows left to retry,
and the Celery tasks retry those rows alone."""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import tasks
from patients.models import Guardian
from patients.models.reminders import MessageStatus, PlannedMessage
from patients.notifications import GatewayError, Outgoing, PermanentGatewayError, deliver
from patients.services import dispatch
from patients.services.dispatch import SendOutcome
from tests.reminders.conftest import wait_until

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 30, 6, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def rows(ids) -> list[tuple[str, int]]:
    by_id = PlannedMessage.objects.in_bulk(ids)
    return [(by_id[i].status, by_id[i].attempts) for i in ids]


def failing_on(*failing, error=GatewayError):
    def send(message):
        if message.id in failing:
            raise error("gateway unavailable (test)")
        return deliver(message)

    return send


# -- one batch -----------------------------------------------------------------------------------


def test_a_batch_loads_its_rows_once_and_renews_and_records_each(make_messages, gateway):
    count = dispatch.RENEW_GROUP + 6  # two renewal groups
    ids = make_messages(count, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=count)

    with CaptureQueriesContext(connection) as queries:
        report = dispatch.send_batch(ids)

    statements = [q["sql"].split(maxsplit=1)[0].upper() for q in queries.captured_queries]
    # One SELECT loads the rows with what rendering reads. Each group of rows is renewed by one
    # UPDATE just before its sends, and the group's results are recorded by one UPDATE, written
    # in the transaction of the next renewal (each row still compare-and-set on its own token).
    assert statements.count("SELECT") == 1
    assert statements.count("UPDATE") == 2 + 2
    assert report.sent == count and report.stopped is None
    assert gateway.accepted() == {str(i): 1 for i in ids}
    assert rows(ids) == [(MessageStatus.SENT, 1)] * count


def test_a_group_renewal_takes_only_the_rows_whose_token_it_read(make_messages):
    ids = make_messages(4, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=4)

    def read():
        return list(PlannedMessage.objects.filter(id__in=ids).order_by("id"))

    mine = read()  # this copy of the batch reads the rows...
    other = read()[:2]  # ...and another copy renews two of them first
    taken = dispatch._renew(other, now=NOW, redelivered=False)

    tokens = dispatch._renew(mine, now=NOW, redelivered=False)

    assert set(tokens) == {m.id for m in mine[2:]}
    current = dict(PlannedMessage.objects.filter(id__in=ids).values_list("id", "claim_token"))
    for message in other:
        assert current[message.id] == taken[message.id]
    for message in mine[2:]:
        assert current[message.id] == tokens[message.id] == message.claim_token


def test_a_group_records_only_the_sends_whose_claim_it_still_holds(make_messages, gateway, caplog):
    ids = make_messages(4, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=4)
    taken_over = uuid.uuid4()

    def send(message):
        if message.id == ids[2]:
            # The first row was sent but not yet recorded when the reaper handed it to another
            # sender: its result must be left to that sender, the group's other results written.
            PlannedMessage.objects.filter(id=ids[0]).update(claim_token=taken_over)
        return deliver(message)

    with caplog.at_level(logging.INFO, logger="patients.dispatch"):
        report = dispatch.send_batch(ids, send=send)

    assert report.sent == 4
    first = PlannedMessage.objects.get(id=ids[0])
    assert (first.status, first.claim_token, first.sent_at) == (
        MessageStatus.SENDING,
        taken_over,
        None,
    )
    assert rows(ids[1:]) == [(MessageStatus.SENT, 1)] * 3
    sent = PlannedMessage.objects.filter(id__in=ids[1:])
    assert all(m.sent_at and m.provider_message_id and m.claim_token is None for m in sent)
    lost = [r.getMessage() for r in caplog.records if "claim was lost" in r.getMessage()]
    assert lost == [f"message {ids[0]}: the claim was lost during its send; not recorded"]


def test_a_batch_sends_in_the_given_order_and_skips_rows_no_longer_claimed(make_messages, gateway):
    ids = make_messages(5, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=5)
    PlannedMessage.objects.filter(id=ids[1]).update(status=MessageStatus.CANCELLED)
    PlannedMessage.objects.filter(id=ids[3]).update(status=MessageStatus.SENT, sent_at=NOW)
    order = []

    def send(message):
        order.append(message.id)
        return deliver(message)

    report = dispatch.send_batch(list(reversed(ids)), send=send)

    assert order == [ids[4], ids[2], ids[0]]
    assert report.outcomes[ids[1]] is report.outcomes[ids[3]] is SendOutcome.NOT_CLAIMED
    assert report.sent == 3


def test_a_refusal_or_a_bug_fails_its_row_and_the_batch_goes_on(make_messages, gateway, caplog):
    ids = make_messages(4, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=4)

    def send(message):
        if message.id == ids[1]:
            raise PermanentGatewayError("invalid number")
        if message.id == ids[2]:
            return {}["missing"]
        return deliver(message)

    with caplog.at_level(logging.ERROR, logger="patients.dispatch"):
        report = dispatch.send_batch(ids, send=send)

    assert [report.outcomes[i] for i in ids] == ["sent", "failed", "failed", "sent"]
    assert [s for s, _ in rows(ids)] == ["sent", "failed", "failed", "sent"]
    assert f"message {ids[2]} failed" in caplog.text


def test_a_transient_error_stops_the_batch_and_leaves_only_the_unsent_rows(make_messages, gateway):
    ids = make_messages(5, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=5)

    report = dispatch.send_batch(ids, send=failing_on(ids[2]))

    assert report.sent == 2
    assert report.stopped.message_id == ids[2]
    assert report.stopped.remaining == ids[2:]
    assert isinstance(report.stopped.error, GatewayError)
    assert rows(ids) == [("sent", 1)] * 2 + [("sending", 1)] * 3
    assert PlannedMessage.objects.get(id=ids[2]).last_error.startswith("GatewayError")

    dispatch.release_stopped(report.stopped, now=NOW)
    # The row that met the error counts its attempt; the rows never tried do not.
    assert rows(ids) == [("sent", 1)] * 2 + [("pending", 1)] + [("pending", 0)] * 2
    assert gateway.accepted() == {str(i): 1 for i in ids[:2]}


# -- what the gateway is told --------------------------------------------------------------------


class Recorder:
    """A channel backend that keeps what it was handed."""

    handed: list[Outgoing] = []

    def send(self, message: Outgoing) -> str:
        self.handed.append(message)
        return f"recorded-{message.idempotency_key}"


@pytest.fixture
def recorder(settings):
    settings.NOTIFICATION_BACKENDS = {
        "sms": f"{__name__}.Recorder",
        "email": f"{__name__}.Recorder",
    }
    Recorder.handed = []
    return Recorder.handed


def test_a_first_send_is_no_resend_and_is_bounded_by_the_due_time(make_messages, recorder):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)

    dispatch.send_batch([message_id])

    [handed] = recorder
    assert (handed.resend, handed.not_before) == (False, NOW - MINUTE)


@pytest.mark.parametrize("how", ["retried within the claim", "claimed again", "redelivered"])
def test_a_send_after_trouble_is_a_resend(make_messages, recorder, how):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)
    if how == "retried within the claim":  # an earlier try met a transient error
        dispatch.send_batch([message_id], send=failing_on(message_id))
    elif how == "claimed again":  # released (or reaped) after a try, then claimed by a tick
        dispatch.release_for_retry(message_id, now=NOW)
        PlannedMessage.objects.filter(id=message_id).update(last_error="")
        dispatch.claim_due(now=NOW, limit=1)

    dispatch.send_batch([message_id], redelivered=how == "redelivered")

    [handed] = recorder
    assert handed.resend
    row = PlannedMessage.objects.get(id=message_id)
    assert (row.status, row.last_error) == (MessageStatus.SENT, "")


# -- the Celery tasks' retry policy, without a broker ---------------------------------------------


class Retrying(Exception):
    pass


class StubTask:
    """What `tasks._send` reads of a running Celery task, and what it asks of it."""

    max_retries = tasks.SEND_MAX_RETRIES

    def __init__(self, *, retries=0, redelivered=False):
        self.request = SimpleNamespace(retries=retries, delivery_info={"redelivered": redelivered})
        self.retried: dict = {}

    def retry(self, **options):
        self.retried = options
        return Retrying()


def test_a_batch_task_retries_only_the_rows_not_yet_sent(make_messages, gateway):
    ids = make_messages(4, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=4)
    gateway.configure(fail_next=1)
    PlannedMessage.objects.filter(id=ids[0]).update(status=MessageStatus.SENT, sent_at=NOW)
    task = StubTask(retries=1)

    with pytest.raises(Retrying):
        tasks._send(task, [str(i) for i in ids], batch=True)

    assert task.retried["args"] == ([str(i) for i in ids[1:]],)
    assert isinstance(task.retried["exc"], GatewayError)
    assert 0 <= task.retried["countdown"] <= tasks.SEND_RETRY_BACKOFF * 2
    assert [s for s, _ in rows(ids)] == ["sent", "sending", "sending", "sending"]

    assert tasks._send(StubTask(retries=2), list(task.retried["args"][0]), batch=True)
    assert [s for s, _ in rows(ids)] == ["sent"] * 4


def test_a_batch_task_hands_its_rows_back_when_retries_are_spent(make_messages, gateway):
    ids = make_messages(3, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=3)
    gateway.configure(fail_next=1)

    outcome = tasks._send(
        StubTask(retries=tasks.SEND_MAX_RETRIES), [str(i) for i in ids], batch=True
    )

    assert outcome == "released 3"
    assert rows(ids) == [("pending", 1), ("pending", 0), ("pending", 0)]


def test_a_single_send_task_retries_with_its_own_argument(make_messages, gateway):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)
    gateway.configure(fail_next=1)
    task = StubTask()

    with pytest.raises(Retrying):
        tasks._send(task, [str(message_id)], batch=False)

    assert task.retried["args"] == (str(message_id),)


def test_a_refusal_is_not_retried_by_the_task(make_messages):
    [message_id] = make_messages(1, due_at=NOW - MINUTE)
    dispatch.claim_due(now=NOW, limit=1)
    Guardian.objects.update(phone="", email="")  # rendering refuses: no address to send to
    task = StubTask()

    tasks._send(task, [str(message_id)], batch=True)

    assert task.retried == {}
    assert PlannedMessage.objects.get(id=message_id).status == MessageStatus.FAILED


# -- fanning a tick out --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "sizes"),
    [
        (0, []),
        (1, [1]),
        (10, [2, 2, 2, 2, 2]),  # a small tick still reaches every worker process
        (40, [5] * 8),
        (500, [50] * 10),  # a full claim: batches at their largest
    ],
)
def test_fan_out_spreads_small_claims_and_caps_large_ones(claimed, sizes):
    ids = list(range(claimed))
    batches = tasks.fan_out(ids)
    assert [len(batch) for batch in batches] == sizes
    assert [i for batch in batches for i in batch] == [str(i) for i in ids]


@pytest.fixture
def published(monkeypatch):
    """What a tick publishes, recorded instead of sent to the broker."""
    import contextlib

    record = {"batches": [], "ticks": []}
    monkeypatch.setattr(
        tasks.send_messages.app, "producer_or_acquire", lambda: contextlib.nullcontext()
    )
    monkeypatch.setattr(
        tasks.send_messages,
        "apply_async",
        lambda args, **options: record["batches"].append(args[0]),
    )
    monkeypatch.setattr(
        tasks.dispatch_tick, "apply_async", lambda *args, **options: record["ticks"].append(options)
    )
    return record


def test_a_tick_that_claims_its_limit_queues_the_next_tick_at_once(
    make_messages, published, monkeypatch
):
    monkeypatch.setattr(tasks, "TICK_LIMIT", 10)
    monkeypatch.setattr(dispatch, "CLAIM_BATCH", 4)
    ids = make_messages(25, due_at=timezone.now() - MINUTE)

    assert tasks.dispatch_tick() == 10
    # The follow-up is queued behind the batches just published, and expires like beat's ticks.
    assert published["ticks"] == [{"expires": tasks.TICK_EXPIRES, "producer": None}]
    assert sum(len(batch) for batch in published["batches"]) == 10

    assert tasks.dispatch_tick() == 10
    assert len(published["ticks"]) == 2
    # The last five are fewer than the limit: the backlog is gone and no tick follows.
    assert tasks.dispatch_tick() == 5
    assert len(published["ticks"]) == 2
    queued = [i for batch in published["batches"] for i in batch]
    assert sorted(queued) == sorted(str(i) for i in ids)


def test_a_tick_given_a_limit_claims_that_much_and_queues_no_follow_up(
    make_messages, published, monkeypatch
):
    monkeypatch.setattr(dispatch, "CLAIM_BATCH", 4)
    make_messages(12, due_at=timezone.now() - MINUTE)

    assert tasks.dispatch_tick(6) == 6
    assert published["ticks"] == []


# -- the real pipeline ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_batch_published_twice_reaches_each_parent_once(pipeline, gateway, make_messages):
    ids = make_messages(60)
    dispatch.claim_due(now=timezone.now(), limit=60)
    gateway.configure(delay=0.01)
    batch = [str(i) for i in ids]

    pipeline.publish(tasks.send_messages, batch)
    pipeline.publish(tasks.send_messages, batch)
    wait_until(
        lambda: PlannedMessage.objects.filter(status=MessageStatus.SENT).count() == len(ids),
        timeout=60,
        what=lambda: f"all sent\n{pipeline.log_tail()}",
    )
    time.sleep(1)  # let the slower copy finish its walk through the batch

    assert gateway.delivered() == {str(i): 1 for i in ids}
    # Each copy reads the batch once, and a row whose claim changed since is skipped, except
    # the rows of one renewal group: if the slower copy read while the faster was sending that
    # group, and renews it before the faster records it, it takes those rows over (as a copy
    # redelivered after a crash must). The provider's idempotency key absorbs those second
    # hand-overs.
    assert sum(gateway.accepted().values()) <= len(ids) + dispatch.RENEW_GROUP


@pytest.mark.django_db(transaction=True)
def test_a_batch_redelivered_after_its_worker_was_killed_sends_as_a_resend(
    pipeline, gateway, make_messages
):
    # Kill while both pool processes are in the middle of a batch, never between two: a process
    # killed just as it takes its next task from Redis can lose that task in the broker (the
    # reaper, not redelivery, brings those rows back). 32 rows are batches of 4 (tasks.fan_out),
    # 1.6 s each at 0.4 s a send; the second attempt, recorded once its send is done, comes about
    # 0.4 s in, well before either process finishes its first batch.
    ids = make_messages(32)
    gateway.configure(delay=0.4)
    pipeline.publish(tasks.dispatch_tick)
    wait_until(lambda: len(gateway.attempts()) >= 2, timeout=30, what="the batches to be under way")

    pipeline.kill()
    pipeline.start()
    wait_until(
        lambda: PlannedMessage.objects.filter(status=MessageStatus.SENT).count() == len(ids),
        timeout=60,
        what=lambda: f"all sent\n{pipeline.log_tail()}",
    )

    # The batches the killed worker held came back from Redis marked as redelivered, so their
    # rows went out as resends: a provider without idempotency keys looks for its copy first.
    restarted_log = (pipeline.workdir / "worker-2.log").read_text()
    assert "(redelivered)" in restarted_log
    assert gateway.delivered() == {str(i): 1 for i in ids}
