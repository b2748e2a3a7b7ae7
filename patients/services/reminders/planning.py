"""Planning reminder rows from the current plan of an infant (REMINDERS.md 1, 2 and 5).

The rows are the schedule. `plan_reminders` computes the set of messages the current plan wants
(which guardian, which channel, which dose, which local time) and reconciles the stored rows with
it in one transaction: it never edits a message that has left the building (sending, sent, failed,
skipped), so re-planning after any change is always safe and running it twice changes nothing.

Local time is computed, not scheduled: a reminder at 19:00 in Europe/Berlin is stored as 18:00Z in
winter and 17:00Z in summer, because the UTC instant is derived per day with zoneinfo.
"""

from __future__ import annotations

import datetime
import functools
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from patients.models import (
    Consent,
    Guardian,
    Infant,
    InfantGuardian,
    PlannedDose,
    PlannedMessage,
    User,
    Visit,
)
from patients.models.people import ConsentPurpose, FollowUpStatus
from patients.models.reminders import Channel, MessageKind, MessageStatus
from patients.models.treatment import PlannedDoseStatus
from patients.models.visits import VisitType
from patients.services.bulk import insert_values
from patients.services.calendar_feeds import revoke_feed
from patients.services.records import create_record, update_record

# The kinds this module owns. Event messages (missed-dose follow-ups, new-plan announcements) are
# facts about something that happened and are never cancelled by a re-plan of the schedule.
PLANNED_KINDS = (
    MessageKind.DOSE_EVENING_BEFORE,
    MessageKind.DOSE_MORNING_OF,
    MessageKind.VISIT_EVENING_BEFORE,
    MessageKind.VISIT_MORNING_OF,
)
DOSE_MOMENTS = (MessageKind.DOSE_EVENING_BEFORE, MessageKind.DOSE_MORNING_OF)
VISIT_MOMENTS = (MessageKind.VISIT_EVENING_BEFORE, MessageKind.VISIT_MORNING_OF)
#: Visits the guardian comes in for; a phone call is not a trip to remind of.
REMINDED_VISIT_TYPES = (
    VisitType.OUTPATIENT,
    VisitType.INJECTION,
    VisitType.IMAGING,
    VisitType.ADMISSION,
)

# What a guardian may change on the preferences page. Contact details are included because they
# decide which channels can reach the guardian, hence which rows are planned.
PREFERENCE_FIELDS = frozenset(
    {
        "language",
        "time_zone",
        "phone",
        "email",
        "sms_enabled",
        "email_enabled",
        "calendar_enabled",
        "evening_reminder_at",
        "morning_reminder_at",
        "quiet_hours_start",
        "quiet_hours_end",
    }
)


@dataclass(frozen=True)
class PlanResult:
    """What a (re-)plan changed. `created` includes cancelled rows brought back to pending."""

    created: int = 0
    cancelled: int = 0
    moved: int = 0
    announced: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.cancelled or self.moved)


class _Slot(NamedTuple):
    # A named tuple rather than a dataclass: a clinic's courses started together want hundreds of
    # thousands of slots, and a tuple is the cheapest object to build.
    key: str
    guardian_id: uuid.UUID
    planned_dose_id: uuid.UUID | None
    visit_id: uuid.UUID | None
    kind: str
    channel: str
    due_at: datetime.datetime
    event_on: datetime.date


# --- pure helpers: local wall time -> UTC instant ------------------------------------------------


def after_quiet_hours(
    local: datetime.datetime, *, start: datetime.time | None, end: datetime.time | None
) -> datetime.datetime:
    """A naive local wall time moved to the end of quiet hours when it falls inside them.

    Quiet hours usually cross midnight (22:00-07:00): 23:00 moves to 07:00 the next day, 05:00 to
    07:00 the same day. A window that does not cross midnight (13:00-15:00) works the same way.
    A missing bound, or start equal to end, means no quiet hours.
    """
    if start is None or end is None or start == end:
        return local
    at = local.time()
    if start < end:
        inside_today = start <= at < end
        return datetime.datetime.combine(local.date(), end) if inside_today else local
    if at >= start:
        return datetime.datetime.combine(local.date() + datetime.timedelta(days=1), end)
    if at < end:
        return datetime.datetime.combine(local.date(), end)
    return local


def local_send_time(guardian: Guardian, day: datetime.date, at: datetime.time) -> datetime.datetime:
    """The UTC instant of `at` on `day` on the guardian's clock, outside their quiet hours.

    The offset is looked up for that very day, so 19:00 stays 19:00 across a DST change. A wall
    time that does not exist (skipped by a spring-forward) takes the offset before the change
    (zoneinfo's fold=0), i.e. it is sent one hour later on the wall clock, never dropped.
    """
    return _utc_instant(
        guardian.time_zone, guardian.quiet_hours_start, guardian.quiet_hours_end, day, at
    )


@functools.lru_cache(maxsize=65536)
def _utc_instant(
    time_zone: str,
    quiet_start: datetime.time | None,
    quiet_end: datetime.time | None,
    day: datetime.date,
    at: datetime.time,
) -> datetime.datetime:
    # Pure in its arguments, and the same few combinations recur for every guardian in a zone
    # with the usual times: planning a clinic's courses together asks for them hundreds of
    # thousands of times.
    wall = after_quiet_hours(datetime.datetime.combine(day, at), start=quiet_start, end=quiet_end)
    return wall.replace(tzinfo=zoneinfo.ZoneInfo(time_zone)).astimezone(datetime.UTC)


def send_now_time(guardian: Guardian, now: datetime.datetime) -> datetime.datetime:
    """`now`, or the end of the guardian's quiet hours when now is inside them."""
    zone = guardian.zone
    wall = now.astimezone(zone).replace(tzinfo=None)
    moved = after_quiet_hours(wall, start=guardian.quiet_hours_start, end=guardian.quiet_hours_end)
    if moved == wall:
        return now
    return moved.replace(tzinfo=zone).astimezone(datetime.UTC)


def guardian_today(guardian: Guardian, now: datetime.datetime) -> datetime.date:
    return now.astimezone(guardian.zone).date()


class _Dose(NamedTuple):
    """What a reminder needs of a planned dose, read as a plain row."""

    pk: uuid.UUID
    course_id: uuid.UUID
    number: int
    due_on: datetime.date
    infant_id: uuid.UUID


def dose_slot_key(
    dose: PlannedDose | _Dose, guardian_id: uuid.UUID, channel: str, kind: str
) -> str:
    return _dose_key(dose) + _recipient_key(guardian_id, channel, kind)


def visit_slot_key(visit: Visit, guardian_id: uuid.UUID, channel: str, kind: str) -> str:
    return _visit_key(visit) + _recipient_key(guardian_id, channel, kind)


# A slot key is what it reminds of, then who is reminded how. The two halves are built apart so a
# plan builds each once: a dose's half for all its guardians, a guardian's half for all the doses.


def _dose_key(dose: PlannedDose | _Dose) -> str:
    # Course, dose number and day rather than the planned-dose row id: a re-plan supersedes the
    # row and creates an identical one, and the same reminder must keep the same slot.
    return f"dose:{dose.course_id}:{dose.number}:{dose.due_on:%Y-%m-%d}:"


def _visit_key(visit: Visit) -> str:
    # The day is part of the key: a rescheduled visit is a new reminder, and the one for the old
    # day is cancelled rather than silently moved.
    return f"visit:{visit.pk}:{visit.visit_date:%Y-%m-%d}:"


def _recipient_key(guardian_id: uuid.UUID, channel: str, kind: str) -> str:
    return f"{guardian_id}:{channel}:{kind}"


# --- who can be reminded -------------------------------------------------------------------------


def reminder_guardians(infant: Infant, *, now: datetime.datetime) -> list[Guardian]:
    """Active guardians of the infant with a reminders consent given and not withdrawn.

    No consent, no message: consent for reminders is separate from consent for the care record,
    and its absence is the safe default (a number typed by staff is not an opt-in).
    """
    return reminder_guardians_of([infant.pk], now=now).get(infant.pk, [])


def reminder_guardians_of(
    infant_ids: Iterable[uuid.UUID], *, now: datetime.datetime
) -> dict[uuid.UUID, list[Guardian]]:
    """`reminder_guardians` for many infants in one query: infant id -> its guardians, by pk.

    A guardian of two infants is one object shared by both lists.
    """
    consent = Consent.objects.active().filter(
        guardian=OuterRef("guardian_id"),
        purpose=ConsentPurpose.REMINDERS,
        withdrawn_at__isnull=True,
        given_at__lte=now,
    )
    links = (
        InfantGuardian.objects.filter(
            infant_id__in=list(infant_ids),
            voided_at__isnull=True,
            guardian__voided_at__isnull=True,
        )
        .filter(Exists(consent))
        .select_related("guardian")
        .order_by("guardian_id")
    )
    guardians: dict[uuid.UUID, Guardian] = {}
    by_infant: dict[uuid.UUID, list[Guardian]] = {}
    for link in links:
        guardian = guardians.setdefault(link.guardian_id, link.guardian)
        by_infant.setdefault(link.infant_id, []).append(guardian)
    return by_infant


def message_channels(guardian: Guardian) -> list[str]:
    """Channels switched on that can reach the guardian. The calendar feed is pulled, not sent."""
    channels = []
    if guardian.sms_enabled and guardian.phone:
        channels.append(Channel.SMS)
    if guardian.email_enabled and guardian.email:
        channels.append(Channel.EMAIL)
    return channels


def _earliest_day(guardians: Iterable[Guardian], *, now: datetime.datetime) -> datetime.date | None:
    """The first day any of these guardians can still be reminded of (their own today)."""
    return min((guardian_today(g, now) for g in guardians if message_channels(g)), default=None)


#: Send times by guardian clock (zone, quiet hours, reminder times and which moments), then by
#: the day of the dose or visit: (kind, UTC instant) of each reminder wanted that day.
_SendTimes = dict[tuple, dict[datetime.date, tuple[tuple[str, datetime.datetime], ...]]]


def _wanted_slots(
    guardians: Iterable[Guardian],
    doses: list[_Dose],
    visits: list[Visit],
    *,
    now: datetime.datetime,
    send_times: _SendTimes | None = None,
) -> dict[str, _Slot]:
    """Every reminder the current plan of one infant wants, including ones whose time has already
    passed (the caller needs those to tell "no longer wanted" from "too late to plan").

    `doses` are the infant's planned doses and `visits` its visits, from the earliest of its
    guardians' today on, in date order. `send_times` is shared by the infants planned together:
    the guardians of a clinic's cohort mostly keep the same clock, and their infants started on
    the same day have their doses on the same days, so each send time is worked out once.
    """
    # Worked out once per guardian: a phone number is validated each time it is read.
    channels = {g.pk: message_channels(g) for g in guardians}
    guardians = [g for g in guardians if channels[g.pk]]
    if not guardians:
        return {}
    if send_times is None:
        send_times = {}
    # Visits the guardian comes in for. An injection visit on a day a dose is planned is that
    # dose's visit: the dose reminders already tell the guardian, so it gets none of its own.
    dose_days = {dose.due_on for dose in doses}
    visits = [
        visit
        for visit in visits
        if not (visit.visit_type == VisitType.INJECTION and visit.visit_date in dose_days)
    ]
    visit_keys = [_visit_key(visit) for visit in visits]
    dose_keys = [_dose_key(dose) for dose in doses]
    slots: dict[str, _Slot] = {}
    for guardian in guardians:
        today = guardian_today(guardian, now)
        visit_times = _reminder_times(guardian, VISIT_MOMENTS, send_times)
        dose_times = _reminder_times(guardian, DOSE_MOMENTS, send_times)
        # (channel, the guardian's half of the slot key) for each kind of reminder.
        recipients = {
            kind: [(c, _recipient_key(guardian.pk, c, kind)) for c in channels[guardian.pk]]
            for kind in (*VISIT_MOMENTS, *DOSE_MOMENTS)
        }
        for visit, visit_key in zip(visits, visit_keys, strict=True):
            if visit.visit_date < today:
                continue
            for kind, due_at in visit_times(visit.visit_date):
                for channel, recipient in recipients[kind]:
                    key = visit_key + recipient
                    slots[key] = _Slot(
                        key, guardian.pk, None, visit.pk, kind, channel, due_at, visit.visit_date
                    )
        for dose, dose_key in zip(doses, dose_keys, strict=True):
            if dose.due_on < today:
                continue
            for kind, due_at in dose_times(dose.due_on):
                for channel, recipient in recipients[kind]:
                    key = dose_key + recipient
                    slots[key] = _Slot(
                        key, guardian.pk, dose.pk, None, kind, channel, due_at, dose.due_on
                    )
    return slots


def _reminder_times(
    guardian: Guardian, kinds: tuple[str, str], send_times: _SendTimes
) -> Callable[[datetime.date], tuple[tuple[str, datetime.datetime], ...]]:
    """The guardian's (kind, UTC instant) of the reminders of an event on a given day, for the
    evening-before and morning-of `kinds`, remembered in `send_times` for every guardian who
    keeps the same clock."""
    moments = _moments(guardian, kinds)
    clock = (
        guardian.time_zone,
        guardian.quiet_hours_start,
        guardian.quiet_hours_end,
        tuple(moments),
    )
    by_day = send_times.setdefault(clock, {})

    def times_of(day: datetime.date) -> tuple[tuple[str, datetime.datetime], ...]:
        times = by_day.get(day)
        if times is None:
            times = by_day[day] = tuple(
                (kind, local_send_time(guardian, day + datetime.timedelta(days=offset), at))
                for kind, at, offset in moments
            )
        return times

    return times_of


def _moments(guardian: Guardian, kinds: tuple[str, str]) -> list[tuple[str, datetime.time, int]]:
    """(kind, local time, day offset) of the evening-before and morning-of reminders the guardian
    wants; a time left empty means that reminder is switched off."""
    evening, morning = kinds
    moments = (
        (evening, guardian.evening_reminder_at, -1),
        (morning, guardian.morning_reminder_at, 0),
    )
    return [(kind, at, offset) for kind, at, offset in moments if at is not None]


# --- planning ------------------------------------------------------------------------------------


def plan_reminders(infant: Infant, *, now: datetime.datetime, announce: bool = True) -> PlanResult:
    """Reconcile the infant's reminder rows with the current plan, in one transaction.

    Pending rows no longer wanted are cancelled; wanted slots without a row are inserted; a pending
    row whose time changed is moved; a cancelled row wanted again is pending again. Rows that are
    sending, sent, failed or skipped are history and never touched. When a guardian who already had
    a plan sees it change, they get one "new plan" message per channel instead of a burst of
    cancellations and new reminders.
    """
    return plan_reminders_for([infant.pk], now=now, announce=announce)[infant.pk]


@transaction.atomic
def plan_reminders_for(
    infant_ids: Iterable[uuid.UUID], *, now: datetime.datetime, announce: bool = True
) -> dict[uuid.UUID, PlanResult]:
    """`plan_reminders` for many infants in one transaction, reading each table once.

    The rule for each infant is the same; what changes is that its guardians, doses, visits and
    existing rows are read for all the infants together, and the new rows are written in one
    stream. Starting courses for a clinic's cohort plans tens of thousands of reminders this way
    (services.treatment.start_courses), where one call per infant cost six queries each.
    """
    ids = sorted(set(infant_ids))
    # The infant rows are the locks that serialise planners of one infant (a course event and a
    # preference change committing at the same moment), so slots and revisions cannot race. Taken
    # in id order, so two planners of overlapping sets of infants cannot deadlock.
    infants = list(Infant.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    # A child no longer in follow-up here (deceased, transferred, voided) gets no reminder and no
    # "new plan": the re-plan only cancels what was pending.
    followed = [
        i.pk for i in infants if i.voided_at is None and i.follow_up_status == FollowUpStatus.ACTIVE
    ]
    guardians = reminder_guardians_of(followed, now=now) if followed else {}
    earliest = _earliest_day([g for gs in guardians.values() for g in gs], now=now)
    doses: dict[uuid.UUID, list[_Dose]] = defaultdict(list)
    visits: dict[uuid.UUID, list[Visit]] = defaultdict(list)
    if earliest is not None:
        planned = (
            PlannedDose.objects.active()
            .filter(
                course__infant_id__in=list(guardians),
                course__voided_at__isnull=True,
                status=PlannedDoseStatus.PLANNED,
                due_on__gte=earliest,
            )
            .order_by("due_on", "number")
            .values_list("pk", "course_id", "number", "due_on", "course__infant_id")
        )
        for dose in map(_Dose._make, planned):
            doses[dose.infant_id].append(dose)
        for visit in (
            Visit.objects.active()
            .filter(
                infant_id__in=list(guardians),
                visit_date__gte=earliest,
                visit_type__in=REMINDED_VISIT_TYPES,
            )
            .order_by("visit_date", "pk")
        ):
            visits[visit.infant_id].append(visit)
    # Locked too: a dispatcher claiming one of these rows waits for this plan, then re-checks
    # `status = 'pending'` and skips a row that was just cancelled.
    existing: dict[uuid.UUID, dict[str, PlannedMessage]] = defaultdict(dict)
    for row in (
        PlannedMessage.objects.select_for_update()
        .filter(infant_id__in=ids, kind__in=PLANNED_KINDS)
        .only(
            "id",
            "infant_id",
            "slot_key",
            "status",
            "due_at",
            "planned_dose_id",
            "visit_id",
            "guardian_id",
        )
    ):
        existing[row.infant_id][row.slot_key] = row

    stamp = timezone.now()
    changes = _Changes()
    results = {}
    send_times: _SendTimes = {}
    for infant in infants:
        wanted = _wanted_slots(
            guardians.get(infant.pk, []),
            doses[infant.pk],
            visits[infant.pk],
            now=now,
            send_times=send_times,
        )
        changed_for = _reconcile(infant, wanted, existing[infant.pk], changes, now=now)
        results[infant.pk] = changed_for

    insert_values(PlannedMessage, changes.create, now=stamp)
    for row in changes.update:
        row.updated_at = stamp  # bulk_update skips auto_now
    PlannedMessage.objects.bulk_update(
        changes.update, ["status", "due_at", "planned_dose", "visit", "updated_at"], batch_size=500
    )
    # Every row to cancel is pending and locked above, so each of these updates changes them all.
    for batch in _batches([row.pk for row in changes.cancel]):
        PlannedMessage.objects.filter(pk__in=batch, status=MessageStatus.PENDING).update(
            status=MessageStatus.CANCELLED, updated_at=stamp
        )

    plans = {}
    for infant in infants:
        counts, changed_for = results[infant.pk]
        cancelled_rows = changes.cancelled_of.get(infant.pk, [])
        changed_for |= {row.guardian_id for row in cancelled_rows}
        announced = 0
        if announce:
            had_plan = {row.guardian_id for row in existing[infant.pk].values()}
            # A first plan is not a change: the guardian had nothing to be told was replaced.
            announced = _announce_new_plan(
                infant,
                [g for g in guardians.get(infant.pk, []) if g.pk in changed_for & had_plan],
                now=now,
            )
        plans[infant.pk] = PlanResult(
            created=counts["created"],
            cancelled=len(cancelled_rows),
            moved=counts["moved"],
            announced=announced,
        )
    return plans


@dataclass
class _Changes:
    """The rows a plan of several infants writes, gathered before any is written."""

    #: New rows as {attname: value}, written by services.bulk.insert_values.
    create: list[dict] = field(default_factory=list)
    update: list[PlannedMessage] = field(default_factory=list)
    cancel: list[PlannedMessage] = field(default_factory=list)
    cancelled_of: dict[uuid.UUID, list[PlannedMessage]] = field(default_factory=dict)


def _reconcile(
    infant: Infant,
    wanted: dict[str, _Slot],
    existing: dict[str, PlannedMessage],
    changes: _Changes,
    *,
    now: datetime.datetime,
) -> tuple[dict[str, int], set[uuid.UUID]]:
    """Compare one infant's wanted slots with its rows; returns the counts and the guardians whose
    own schedule changed (relinking a row to a re-created dose row is not news)."""
    to_cancel: list[PlannedMessage] = []
    changed_for: set[uuid.UUID] = set()
    created = moved = 0
    for key, slot in wanted.items():
        row = existing.get(key)
        if slot.due_at < now:
            # Too late to plan. A pending row still waiting for its old, later time is cancelled:
            # sending at a time the guardian no longer wants is worse than not sending.
            if row is not None and row.status == MessageStatus.PENDING and row.due_at > now:
                to_cancel.append(row)
            continue
        if row is None:
            changes.create.append(
                {
                    "slot_key": key,
                    "guardian_id": slot.guardian_id,
                    "infant_id": infant.pk,
                    "planned_dose_id": slot.planned_dose_id,
                    "visit_id": slot.visit_id,
                    "kind": slot.kind,
                    "channel": slot.channel,
                    "due_at": slot.due_at,
                    "event_on": slot.event_on,
                }
            )
            created += 1
            changed_for.add(slot.guardian_id)
        elif row.status == MessageStatus.CANCELLED:
            row.status = MessageStatus.PENDING
            row.due_at, row.planned_dose_id = slot.due_at, slot.planned_dose_id
            row.visit_id = slot.visit_id
            changes.update.append(row)
            created += 1
            changed_for.add(slot.guardian_id)
        elif row.status == MessageStatus.PENDING and (
            row.due_at != slot.due_at or row.planned_dose_id != slot.planned_dose_id
        ):
            # A superseded dose re-created on the same day keeps its slot; only the link follows.
            if row.due_at != slot.due_at:
                moved += 1
                changed_for.add(slot.guardian_id)
            row.due_at, row.planned_dose_id = slot.due_at, slot.planned_dose_id
            changes.update.append(row)
    to_cancel += [
        row
        for key, row in existing.items()
        if key not in wanted and row.status == MessageStatus.PENDING
    ]
    changes.cancel += to_cancel
    changes.cancelled_of[infant.pk] = to_cancel
    return {"created": created, "moved": moved}, changed_for


def _batches(ids: list, size: int = 500) -> Iterable[list]:
    # Keeps `IN (...)` lists under SQLite's bound-parameter limit for infants with long plans.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _announce_new_plan(infant: Infant, guardians: list[Guardian], *, now: datetime.datetime) -> int:
    """One "your new plan" message per guardian and channel for this re-plan.

    The message is rendered at send time from the then-current plan, so an announcement of an
    earlier re-plan still waiting (quiet hours) is cancelled: the newest one says it all. The
    revision in the slot key counts this infant's announcements to the guardian on the channel;
    the infant row lock held by the caller makes the count safe.
    """
    rows = []
    for guardian in guardians:
        for channel in message_channels(guardian):
            previous = PlannedMessage.objects.filter(
                infant=infant, guardian=guardian, channel=channel, kind=MessageKind.NEW_PLAN
            )
            revision = previous.count() + 1
            previous.filter(status=MessageStatus.PENDING).update(
                status=MessageStatus.CANCELLED, updated_at=timezone.now()
            )
            rows.append(
                PlannedMessage(
                    slot_key=f"new_plan:{infant.pk}:{guardian.pk}:{channel}:{revision}",
                    guardian=guardian,
                    infant=infant,
                    kind=MessageKind.NEW_PLAN,
                    channel=channel,
                    due_at=send_now_time(guardian, now),
                    event_on=guardian_today(guardian, now),
                )
            )
    PlannedMessage.objects.bulk_create(rows)
    return len(rows)


# --- hooks for the writes that change a plan -----------------------------------------------------


def replan_after_change(infant: Infant) -> None:
    """Re-plan the infant's reminders once the current transaction commits.

    Call it from any write that changes what or when a guardian should be reminded (a course
    event, a dose recorded, a visit moved). After commit, so the plan reads the committed state
    and a rolled-back change never leaves messages behind. `robust`: the clinical write has
    already committed, so a planning failure is logged (and repaired by the next re-plan) rather
    than turned into an error page for a change that did happen.
    """
    infant_id = infant.pk

    def run() -> None:
        plan_reminders(Infant.objects.get(pk=infant_id), now=timezone.now())

    transaction.on_commit(run, robust=True)


def _replan_guardian_infants(guardian: Guardian, *, now: datetime.datetime) -> None:
    infants = Infant.objects.active().filter(
        guardianships__guardian=guardian, guardianships__voided_at__isnull=True
    )
    # A fixed order of infant locks, so two guardians of the same twins cannot deadlock.
    for infant in infants.order_by("pk"):
        plan_reminders(infant, now=now)


@transaction.atomic
def update_reminder_preferences(
    *,
    guardian: Guardian,
    actor: User | None,
    now: datetime.datetime | None = None,
    **changes,
) -> Guardian:
    """Change a guardian's language, zone, channels, times or quiet hours and re-plan at once.

    The re-plan runs in the same transaction as the change: the guardian who just switched SMS off
    must not receive one more SMS because a re-plan failed after the preference was saved.
    """
    unknown = set(changes) - PREFERENCE_FIELDS
    if unknown:
        raise TypeError(f"not a reminder preference: {', '.join(sorted(unknown))}")
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    update_record(guardian, actor=actor, **changes)
    now = now or timezone.now()
    if changes.get("calendar_enabled") is False:
        # The feed link grants access by itself; switching the calendar off must close it.
        for feed in guardian.calendar_feeds.filter(revoked_at__isnull=True):
            revoke_feed(feed, now=now)
    _replan_guardian_infants(guardian, now=now)
    return guardian


@transaction.atomic
def record_reminder_consent(
    *,
    guardian: Guardian,
    actor: User | None,
    given_at: datetime.datetime,
    text_version: str,
    now: datetime.datetime | None = None,
) -> Consent:
    """Record the guardian's consent to reminders as given (text version, time, who recorded it)."""
    consent = create_record(
        Consent,
        actor=actor,
        guardian=guardian,
        purpose=ConsentPurpose.REMINDERS,
        text_version=text_version,
        given_at=given_at,
        recorded_by=actor,
    )
    _replan_guardian_infants(guardian, now=now or timezone.now())
    return consent


@transaction.atomic
def withdraw_reminder_consent(
    *, guardian: Guardian, actor: User | None, withdrawn_at: datetime.datetime
) -> int:
    """Withdraw every open reminders consent; pending reminders are cancelled in the same commit."""
    consents = list(
        Consent.objects.active()
        .select_for_update()
        .filter(guardian=guardian, purpose=ConsentPurpose.REMINDERS, withdrawn_at__isnull=True)
    )
    for consent in consents:
        update_record(consent, actor=actor, withdrawn_at=withdrawn_at)
    _replan_guardian_infants(guardian, now=timezone.now())
    return len(consents)
