"""Writing and voiding clinical rows: the one path every write takes.

Each write validates the whole row (field, model and cross-table checks) before saving, so bad input
raises a ValidationError naming the field and changes nothing, and the acting user is attached so
the history row says who made the change even outside a web request (commands, tasks).
"""

from __future__ import annotations

import datetime
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from patients.models import ClinicalRecord, User

R = TypeVar("R", bound=ClinicalRecord)

#: Sent after a row is voided (with ``sender`` the model and ``instance`` the voided row). Voiding
#: is a conditional update, which post_save never sees; code that follows a model's rows (the
#: reminders of a visit) listens here too.
record_voided = Signal()


def save_record(record: R, *, actor: User | None) -> R:
    """Validate and save one row, recording `actor` in its history."""
    record.full_clean()
    record._history_user = actor  # read by django-simple-history when it writes the history row
    record.save()
    return record


def create_record(model: type[R], *, actor: User | None, **fields) -> R:
    return save_record(model(**fields), actor=actor)


def update_record(record: R, *, actor: User | None, **changes) -> R:
    if record.is_voided:
        raise ValidationError(
            f"This {record._meta.verbose_name} was voided and can no longer be changed."
        )
    for name, value in changes.items():
        setattr(record, name, value)
    return save_record(record, actor=actor)


@transaction.atomic
def void_record(record: R, *, actor: User, reason: str, now: datetime.datetime | None = None) -> R:
    """Void a row with a reason. The row stays, readable with its history; it leaves active lists.

    The conditional update makes two concurrent voids of the same row produce one history entry
    and a clear error for the second, rather than overwriting the first reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"void_reason": "Say why this record is voided."})
    now = now or timezone.now()
    model = type(record)
    claimed = model.objects.filter(pk=record.pk, voided_at__isnull=True).update(
        voided_at=now, voided_by=actor, void_reason=reason
    )
    if claimed != 1:
        raise ValidationError(f"This {model._meta.verbose_name} is already voided.")
    record.refresh_from_db()
    record_history(record, actor=actor, when=now, reason=f"voided: {reason}")
    record_voided.send(sender=model, instance=record)
    return record


def record_history(instance, *, actor: User | None, when: datetime.datetime, reason: str) -> None:
    """Write the history row of a change made with a conditional `.update()`.

    `.update()` is how a change is claimed atomically (void once, acknowledge once), and it bypasses
    the signals django-simple-history listens to; the row is written here, with the actor.
    """
    model = type(instance)
    model.history.model.objects.create(  # type: ignore[attr-defined]
        **{f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields},
        history_date=when,
        history_type="~",
        history_user=actor,
        history_change_reason=reason,
    )
