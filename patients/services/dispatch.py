"""Reminder dispatch: claim due rows, send outside any transaction, record the outcome.

The rows are the schedule (REMINDERS.md, "Claim, then send"). Every driver - the Celery tasks in
`patients.tasks` and the embedded loop `dispatch_due` run by `manage.py run_dispatcher` - goes
through the same three steps:

1. ``claim_due`` moves due ``pending`` rows to ``sending`` with a conditional update (on
   PostgreSQL one short ``SELECT ... FOR UPDATE SKIP LOCKED`` transaction per batch), stamping
   ``claimed_at``, counting the attempt and giving the claim a fresh ``claim_token``. Only the
   caller whose update changed the row owns it.
2. ``send_batch`` loads a batch of claimed rows in one query and sends them one by one. Just
   before a row's send (with the few rows of its group) it renews the claim with a
   compare-and-set on the token it read, replacing it with a fresh one (so of two copies of the same task only one passes, and a row cancelled by
   a re-plan since it was claimed sends nothing), calls the gateway with no transaction open, and
   records the result with a second update, conditional on the token it set.
3. ``reap_stuck`` returns rows left in ``sending`` past a timeout (a worker killed mid-send, a
   task lost with the broker) to ``pending``, so the next tick claims them again.

The claim token is a fencing token. Comparing timestamps instead would let two copies through
whenever their clocks read the same instant; a random token never repeats, so a renewal passes
only for the one caller that saw the current token, and the result of a send is written only by
the sender that holds it. Releasing and reaping clear it.

Rows are renewed in small groups (``RENEW_GROUP``), and recording one group's results shares a
transaction with renewing the next: a commit on PostgreSQL waits for the write-ahead log to reach
the disk, and that wait, not the statements, is most of what a batch of sends costs.

What is guaranteed
------------------
* Send *attempts* are at-least-once: a worker can die after the gateway accepted a message and
  before the row says so; the redelivered task (``acks_late``) or the reaper then sends again.
* *Delivery* is exactly-once per row: the row id travels as the provider's idempotency key
  (``Outgoing.idempotency_key``), so the provider recognises the second attempt and delivers
  nothing new. A provider without keys is told the send is a resend (``Outgoing.resend``) and
  looks for its earlier copy first (patients.notifications.sms explains what that leaves open).
* Two claimers never hold the same row, and two copies of a send task that read a row together
  never both send it. A copy that reads the row after the other renewed it takes the row over,
  as a task redelivered after a crash must; so besides a crash or a gateway timeout (where the
  first attempt's fate is unknown), a duplicated task arriving mid-send is the one way a row
  gets a second attempt.
* A row cancelled before its send began is never sent; one cancelled while the gateway call was
  in flight is recorded as sent, because it was: the table tells staff the truth.

Retries
-------
A transient ``GatewayError`` stops the batch: the row that met it stays claimed with the error
noted, and the rows after it are not tried (a gateway that is down is not hammered row by row).
The Celery task retries those rows with exponential backoff (short countdowns, well under the
broker's visibility timeout); when its retries are spent, or at once in the embedded loop,
``release_stopped`` hands them back to the table as ``pending`` and the next tick tries again.
After ``MAX_ATTEMPTS`` claims a row is ``failed`` and shows on the staff worklist.
``PermanentGatewayError`` fails the row at once; the batch goes on.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import itertools
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping

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
#: Rows whose claims are renewed together, just before their sends, in the transaction that also
#: records the previous group's results. A commit waits for the write-ahead log to reach the disk,
#: and that wait is most of what dispatch costs the database; sharing it between ten rows instead
#: of taking it once per row is what lets a worker keep up with a broker's no-op throughput. Ten
#: sends take well under a second, so the claim renewed first is still fresh when its send starts.
RENEW_GROUP = 10
#: A row still ``sending`` after this long is presumed orphaned. Must exceed the longest retry
#: window of one claim (``patients.tasks.send_messages``: a few minutes of backoff), or the
#: reaper would start a second attempt beside a live one - harmless to the parent (idempotency
#: key), but wasted work.
REAP_AFTER = datetime.timedelta(minutes=15)
#: Noted on a row whose send task came back from the broker after its worker was lost: that
#: worker may have handed the message over before it died.
REDELIVERED_NOTE = "send task redelivered after a lost worker; checking for an earlier copy"

MessageId = uuid.UUID | str
Sender = Callable[[PlannedMessage], str]


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    #: The row is not ``sending`` (already sent, cancelled, reaped): a stale or duplicate task.
    NOT_CLAIMED = "not_claimed"
    #: Another attempt renewed the claim first; that attempt sends.
    LOST_RACE = "lost_race"


@dataclasses.dataclass(frozen=True)
class Stopped:
    """Where a batch stopped on a transient gateway error, and what its sender still holds."""

    message_id: uuid.UUID
    #: The claim token this sender set on that row just before the failed send.
    token: uuid.UUID
    error: GatewayError
    #: Claimed rows after it, never tried, each with the claim token they were loaded with.
    untried: dict[uuid.UUID, uuid.UUID | None]

    @property
    def remaining(self) -> list[uuid.UUID]:
        """The rows still to send, in their original order."""
        return [self.message_id, *self.untried]


@dataclasses.dataclass
class BatchReport:
    outcomes: dict[uuid.UUID, SendOutcome] = dataclasses.field(default_factory=dict)
    stopped: Stopped | None = None

    def count(self, outcome: SendOutcome) -> int:
        return sum(1 for value in self.outcomes.values() if value is outcome)

    @property
    def sent(self) -> int:
        return self.count(SendOutcome.SENT)


@dataclasses.dataclass(frozen=True)
class _Result:
    """A send's outcome, written with the next claim renewal so both share one commit."""

    message_id: uuid.UUID
    token: uuid.UUID
    statuses: tuple[str, ...]
    fields: dict

    def write(self) -> int:
        return _update_held(
            self.message_id, token=self.token, statuses=self.statuses, values=self.fields
        )


def _update_held(
    message_id: uuid.UUID,
    *,
    token: uuid.UUID | None,
    statuses: tuple[str, ...],
    values: dict,
) -> int:
    """Update one row only while it is in one of `statuses` and carries `token`; the row count.

    The claim renewal and the recording of a result run for every message sent, and building
    them through the ORM costs more CPU than the database spends running them (a third of a
    send's CPU in a profile of a batch), so these statements are written out here. Values go
    through each field's own database conversion, exactly as the ORM would send them.
    """
    opts = PlannedMessage._meta
    quote = connection.ops.quote_name
    fields = [opts.get_field(name) for name in values]
    token_field = opts.get_field("claim_token")
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    where = (
        f"{quote(opts.pk.column)} = %s"
        f" AND {quote(opts.get_field('status').column)} IN ({', '.join(['%s'] * len(statuses))})"
        f" AND {quote(token_field.column)} {'IS NULL' if token is None else '= %s'}"
    )
    # Only quoted names from the model's metadata go into the text; every value is a parameter.
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {where}"  # noqa: S608
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    params += [opts.pk.get_db_prep_value(message_id, connection), *map(str, statuses)]
    if token is not None:
        params.append(token_field.get_db_prep_value(token, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _as_id(message_id: MessageId) -> uuid.UUID:
    return message_id if isinstance(message_id, uuid.UUID) else uuid.UUID(str(message_id))


def claim_due(*, now: datetime.datetime, limit: int = CLAIM_BATCH) -> list[uuid.UUID]:
    """Claim up to `limit` pending rows due by `now`, oldest first; the ids this caller now owns."""
    due = PlannedMessage.objects.filter(status=MessageStatus.PENDING, due_at__lte=now).order_by(
        "due_at"
    )
    claim = {
        "status": MessageStatus.SENDING,
        "claimed_at": now,
        # One token for the rows of this claim: fencing compares (row, token) pairs, and every
        # send replaces it with a token of the row's own.
        "claim_token": uuid.uuid4(),
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


def send_batch(
    message_ids: Iterable[MessageId],
    *,
    now_fn: Callable[[], datetime.datetime] = timezone.now,
    send: Sender | None = None,
    redelivered: bool = False,
) -> BatchReport:
    """Send claimed rows one by one, in the given order; what became of each. Outside any
    transaction only.

    A row that is no longer ``sending`` or whose claim another sender renewed first is skipped.
    A refusal fails its row; a bug fails its row and is logged; either way the batch goes on. A
    transient gateway error stops the batch (``BatchReport.stopped``) with that row and the rows
    after it still claimed, for the caller to retry or release. `redelivered` says the task came
    back from the broker after its worker was lost: each row is then noted as possibly sent.
    """
    return _send_rows(
        [_as_id(i) for i in message_ids],
        now_fn=now_fn,
        send=send or deliver,
        redelivered=redelivered,
        raise_bugs=False,
    )


def send_claimed(
    message_id: MessageId,
    *,
    now_fn: Callable[[], datetime.datetime] = timezone.now,
    send: Sender | None = None,
    redelivered: bool = False,
) -> SendOutcome:
    """Send one claimed row and record the result. Must be called outside any transaction.

    Raises GatewayError (row left claimed, error noted) so the caller can retry or release it.
    Any other exception is a bug: the row is failed at once and the exception re-raised.
    """
    try:
        message_id = _as_id(message_id)
    except ValueError:
        return SendOutcome.NOT_CLAIMED
    report = _send_rows(
        [message_id],
        now_fn=now_fn,
        send=send or deliver,
        redelivered=redelivered,
        raise_bugs=True,
    )
    if report.stopped is not None:
        raise report.stopped.error
    return report.outcomes[message_id]


def _for_sending():
    # What rendering reads (patients.notifications.render), in the same query as the row.
    return PlannedMessage.objects.select_related(
        "guardian", "infant__clinic", "planned_dose", "visit"
    ).order_by()


def _send_rows(
    ids: list[uuid.UUID],
    *,
    now_fn: Callable[[], datetime.datetime],
    send: Sender,
    redelivered: bool,
    raise_bugs: bool,
) -> BatchReport:
    loaded = _for_sending().in_bulk(ids) if ids else {}
    report = BatchReport()
    results: list[_Result] = []  # the previous group's, not yet written
    for start in range(0, len(ids), RENEW_GROUP):
        group = ids[start : start + RENEW_GROUP]
        held: list[tuple[PlannedMessage, uuid.UUID]] = []
        with transaction.atomic():
            _write(results)
            results = []
            candidates = []
            for message_id in group:
                message = loaded.get(message_id)
                if message is None or message.status != MessageStatus.SENDING:
                    report.outcomes[message_id] = SendOutcome.NOT_CLAIMED
                    continue
                candidates.append(message)
            tokens = _renew(candidates, now=now_fn(), redelivered=redelivered)
            for message in candidates:
                if message.id not in tokens:
                    report.outcomes[message.id] = SendOutcome.LOST_RACE
                    continue
                held.append((message, tokens[message.id]))

        for message, token in held:
            try:
                provider_id = send(message)
            except PermanentGatewayError as exc:
                results.append(_failed(message.id, token, exc))
                report.outcomes[message.id] = SendOutcome.FAILED
                log.warning("message %s refused by the gateway", message.id)
            except GatewayError as exc:
                PlannedMessage.objects.filter(
                    id=message.id, status=MessageStatus.SENDING, claim_token=token
                ).update(last_error=_error_text(exc), updated_at=now_fn())
                position = ids.index(message.id)
                report.stopped = Stopped(
                    message_id=message.id,
                    token=token,
                    error=exc,
                    # Rows of this group renewed but not tried carry their new token (_renew
                    # sets it on the instance); later groups carry the one they were loaded with.
                    untried={
                        later: loaded[later].claim_token
                        for later in ids[position + 1 :]
                        if later in loaded
                        and loaded[later].status == MessageStatus.SENDING
                        and report.outcomes.get(later) is None
                    },
                )
                break
            except Exception as exc:
                _failed(message.id, token, exc).write()
                report.outcomes[message.id] = SendOutcome.FAILED
                if raise_bugs:
                    _write(results)
                    raise
                # One broken message must not hold back the rest of the batch.
                log.exception("message %s failed", message.id)
            else:
                stamp = now_fn()
                results.append(
                    _Result(
                        message.id,
                        token,
                        # CANCELLED too: a re-plan that landed while the gateway call was in
                        # flight cannot recall the message, so the row must say it went out.
                        (MessageStatus.SENDING, MessageStatus.CANCELLED),
                        {
                            "status": MessageStatus.SENT,
                            "sent_at": stamp,
                            "provider_message_id": provider_id[:120],
                            "last_error": "",
                            "claim_token": None,
                            "updated_at": stamp,
                        },
                    )
                )
                report.outcomes[message.id] = SendOutcome.SENT
        if report.stopped is not None:
            break
    with transaction.atomic():
        _write(results)
    return report


def _renew(
    messages: list[PlannedMessage], *, now: datetime.datetime, redelivered: bool
) -> dict[uuid.UUID, uuid.UUID]:
    """Take a group of rows for their sends: each gets a fresh token, set only if the row still
    carries the token it was loaded with. The fresh token (not the clock) is what makes this pass
    for one caller only. Returns the new token of each row taken; a row missing lost the race.

    One statement for the group: each row keeps its own compare-and-set (its id and old token in
    the condition, its new token by id), so two copies of a batch still cannot both take a row;
    a statement per row was a fifth of a worker's time. When fewer rows changed than were asked
    for (another copy took some), the rows are read back to see which carry this caller's token.
    """
    if not messages:
        return {}
    opts = PlannedMessage._meta
    quote = connection.ops.quote_name
    pk, token_field = opts.pk, opts.get_field("claim_token")
    id_col, token_col = quote(pk.column), quote(token_field.column)

    def prep_id(value):
        return pk.get_db_prep_value(value, connection)

    def prep_token(value):
        return token_field.get_db_prep_value(value, connection)

    tokens = {message.id: uuid.uuid4() for message in messages}
    cases, conditions, case_params, condition_params = [], [], [], []
    for message in messages:
        cases.append("WHEN %s THEN %s")
        case_params += [prep_id(message.id), prep_token(tokens[message.id])]
        if message.claim_token is None:
            conditions.append(f"({id_col} = %s AND {token_col} IS NULL)")
            condition_params.append(prep_id(message.id))
        else:
            conditions.append(f"({id_col} = %s AND {token_col} = %s)")
            condition_params += [prep_id(message.id), prep_token(message.claim_token)]
    stamp = opts.get_field("claimed_at").get_db_prep_save(now, connection)
    assignments = [
        f"{token_col} = CASE {id_col} {' '.join(cases)} END",
        f"{quote(opts.get_field('claimed_at').column)} = %s",
        f"{quote(opts.get_field('updated_at').column)} = %s",
    ]
    params = [*case_params, stamp, stamp]
    if redelivered:
        error_col = quote(opts.get_field("last_error").column)
        assignments.append(f"{error_col} = CASE WHEN {error_col} = '' THEN %s ELSE {error_col} END")
        params.append(REDELIVERED_NOTE)
    # Only quoted names from the model's metadata go into the text; every value is a parameter.
    sql = (
        f"UPDATE {quote(opts.db_table)} SET {', '.join(assignments)}"  # noqa: S608
        f" WHERE {quote(opts.get_field('status').column)} = %s AND ({' OR '.join(conditions)})"
    )
    params += [str(MessageStatus.SENDING), *condition_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed = cursor.rowcount
    if changed != len(messages):
        current = dict(
            PlannedMessage.objects.filter(id__in=list(tokens)).values_list("id", "claim_token")
        )
        tokens = {mid: token for mid, token in tokens.items() if current.get(mid) == token}
    # The sender renders from these instances: they must see what the rows now say.
    for message in messages:
        if message.id in tokens:
            message.claim_token, message.claimed_at, message.updated_at = (
                tokens[message.id],
                now,
                now,
            )
            if redelivered and not message.last_error:
                message.last_error = REDELIVERED_NOTE
    return tokens


def _failed(message_id: uuid.UUID, token: uuid.UUID, exc: BaseException) -> _Result:
    return _Result(
        message_id,
        token,
        (MessageStatus.SENDING,),
        {
            "status": MessageStatus.FAILED,
            "last_error": _error_text(exc),
            "claim_token": None,
            "updated_at": timezone.now(),
        },
    )


def _write(results: list[_Result]) -> None:
    """Record a group's outcomes: the sends in one statement, any failure on its own.

    A send's result is one row's compare-and-set on the token its sender set, as before; writing
    the group's together is what lets the drain of a large backlog keep pace (a statement per
    row was a fifth of a worker's time once the renewals were grouped). Failures are rare and
    carry their own status, so they keep a statement each.
    """
    sent = [result for result in results if result.fields["status"] == MessageStatus.SENT]
    for result in results:
        if result.fields["status"] != MessageStatus.SENT:
            result.write()
    if sent and _record_sent(sent) != len(sent):
        # Which rows say what this sender wrote: its own send time, to the microsecond.
        recorded = dict(
            PlannedMessage.objects.filter(
                id__in=[result.message_id for result in sent], status=MessageStatus.SENT
            ).values_list("id", "sent_at")
        )
        for result in sent:
            if recorded.get(result.message_id) != result.fields["sent_at"]:
                # Reaped (or taken over) while the gateway call was in flight: the row's new
                # holder sends again, and the provider deduplicates on the idempotency key.
                log.info(
                    "message %s: the claim was lost during its send; not recorded",
                    result.message_id,
                )


def _record_sent(results: list[_Result]) -> int:
    """Mark sent rows, each only while it still carries its sender's token; the row count.

    One UPDATE: the values that differ by row (the send's time, the provider's id) are chosen by
    id, and each row's condition is its own id and token, so a row whose claim was lost during
    its send is left to its new holder exactly as a statement of its own would leave it.
    """
    opts = PlannedMessage._meta
    quote = connection.ops.quote_name
    pk, token_field = opts.pk, opts.get_field("claim_token")
    id_col, token_col = quote(pk.column), quote(token_field.column)
    ids = [pk.get_db_prep_value(result.message_id, connection) for result in results]
    assignments, params = [], []
    for name in results[0].fields:
        field = opts.get_field(name)
        values = [field.get_db_prep_save(result.fields[name], connection) for result in results]
        if all(value == values[0] for value in values):
            assignments.append(f"{quote(field.column)} = %s")
            params.append(values[0])
        else:
            cases = " ".join(["WHEN %s THEN %s"] * len(results))
            assignments.append(f"{quote(field.column)} = CASE {id_col} {cases} END")
            params += [item for pair in zip(ids, values, strict=True) for item in pair]
    statuses = results[0].statuses
    conditions = " OR ".join([f"({id_col} = %s AND {token_col} = %s)"] * len(results))
    params += [str(status) for status in statuses]
    for message_id, result in zip(ids, results, strict=True):
        params += [message_id, token_field.get_db_prep_value(result.token, connection)]
    status_col = quote(opts.get_field("status").column)
    # Only quoted names from the model's metadata go into the text; every value is a parameter.
    sql = (
        f"UPDATE {quote(opts.db_table)} SET {', '.join(assignments)}"  # noqa: S608
        f" WHERE {status_col} IN ({', '.join(['%s'] * len(statuses))}) AND ({conditions})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def release_for_retry(
    message_id: MessageId,
    *,
    now: datetime.datetime,
    error: BaseException | None = None,
    token: uuid.UUID | None = None,
) -> str | None:
    """Hand a claimed row back to the table after a transient failure; its new status, or None.

    `token` is the claim the caller holds (from ``Stopped.token``); without it, whatever claim the
    row carries is released. The due time is kept: the next tick (a minute later) is the backoff,
    and the guardian's computed local time stays on the row. After MAX_ATTEMPTS claims the row
    fails for good.
    """
    message = (
        PlannedMessage.objects.filter(id=message_id, status=MessageStatus.SENDING)
        .only("id", "attempts", "claim_token")
        .first()
    )
    if message is None:
        return None
    status = MessageStatus.FAILED if message.attempts >= MAX_ATTEMPTS else MessageStatus.PENDING
    changed = PlannedMessage.objects.filter(
        id=message.id,
        status=MessageStatus.SENDING,
        claim_token=token if token is not None else message.claim_token,
    ).update(
        status=status,
        claimed_at=None,
        claim_token=None,
        updated_at=now,
        **({"last_error": _error_text(error)} if error else {}),
    )
    return status if changed else None


def release_unsent(held: Mapping[MessageId, uuid.UUID | None], *, now: datetime.datetime) -> int:
    """Return claimed rows that were never tried to ``pending``; a claim never tried is no attempt.

    `held` maps each row to the claim token the caller holds on it; a row since taken over by
    another sender keeps its claim.
    """
    released = 0
    by_token = sorted(held.items(), key=lambda item: str(item[1]))
    for token, rows in itertools.groupby(by_token, key=lambda item: item[1]):
        released += PlannedMessage.objects.filter(
            id__in=[message_id for message_id, _ in rows],
            status=MessageStatus.SENDING,
            claim_token=token,
        ).update(
            status=MessageStatus.PENDING,
            claimed_at=None,
            claim_token=None,
            attempts=F("attempts") - 1,
            updated_at=now,
        )
    return released


def release_stopped(stopped: Stopped, *, now: datetime.datetime) -> None:
    """Give a stopped batch back to the table: the failed row as an attempt, the rest untouched."""
    release_for_retry(stopped.message_id, now=now, error=stopped.error, token=stopped.token)
    release_unsent(stopped.untried, now=now)


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
        claim_token=None,
        last_error="stuck in sending; attempts exhausted",
        updated_at=now,
    )
    returned = stuck.update(
        status=MessageStatus.PENDING,
        claimed_at=None,
        claim_token=None,
        last_error="stuck in sending",
        updated_at=now,
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
        report = send_batch(ids, send=send)
        sent += report.sent
        if report.stopped is not None:
            release_stopped(report.stopped, now=timezone.now())
            log.warning(
                "gateway unavailable; %d rows wait for the next tick", len(report.stopped.remaining)
            )
            return sent
        if len(ids) < batch:
            return sent
