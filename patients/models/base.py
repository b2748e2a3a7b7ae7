"""What every clinical row shares: a UUID key, timestamps, voiding instead of deletion, history."""

from __future__ import annotations

import uuid

import pgtrigger
import uuid_utils.compat
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


def time_ordered_id() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): a millisecond timestamp, then 74 random bits. Keys made within
    one millisecond each take the next one, so a process's keys never sort backwards.

    For the rows the planner writes by the thousand (courses, planned doses, reminders). A random
    key lands each new row on a random page of every index that holds it, and with a table of
    millions PostgreSQL logs each such page whole after every checkpoint: that, not Python, was
    most of the time of starting a clinic's courses together (docs/BENCHMARKS.md, planning).
    Time-ordered keys append to the right-hand pages instead. Still not guessable, and the time
    they carry is about the row's own `created_at`, shown beside it anyway. Python 3.11's `uuid`
    has no version 7 (it comes in 3.14); `uuid_utils` makes them in Rust, a third of the time of
    a pure-Python backport, which counted when a batch of courses asks for a hundred thousand.
    """
    return uuid_utils.compat.uuid7()


class ClinicalRecordDeletionError(Exception):
    """Raised on any attempt to delete a clinical row: records are voided with a reason instead."""


class ClinicalQuerySet(models.QuerySet):
    def active(self) -> ClinicalQuerySet:
        return self.filter(voided_at__isnull=True)

    def voided(self) -> ClinicalQuerySet:
        return self.filter(voided_at__isnull=False)

    def delete(self):  # type: ignore[override]
        raise ClinicalRecordDeletionError(
            f"{self.model._meta.verbose_name_plural} are never deleted; void them with a reason."
        )


class ClinicalRecord(models.Model):
    """A row of the clinical record.

    The primary key is a random UUID, so no sequential id ever appears in a URL (courses and
    planned doses take a time-ordered one, `time_ordered_id`, no more guessable). Rows are voided
    (who, when, why) rather than deleted, and django-simple-history keeps a copy of every version
    with the user who made it; the abstract history is inherited by every concrete subclass.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(inherit=True)

    objects = ClinicalQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def delete(self, *args, **kwargs):
        raise ClinicalRecordDeletionError(
            f"A {self._meta.verbose_name} is never deleted; void it with a reason."
        )


def voiding_constraints(model_name: str) -> list[models.BaseConstraint]:
    """A voided row always says why; an active row carries no stale reason."""
    return [
        models.CheckConstraint(
            condition=(
                models.Q(voided_at__isnull=True, void_reason="")
                | (models.Q(voided_at__isnull=False) & ~models.Q(void_reason=""))
            ),
            name=f"{model_name}_void_has_reason",
        )
    ]


def after_statement(name: str, operation, referencing, func: str) -> pgtrigger.Trigger:
    """A trigger run once after each statement, with the statement's rows as transition tables:
    how PostgreSQL keeps the figures derived from a table (a clinic's count of infants, each
    record's version) whatever wrote the rows, a COPY of thousands included."""
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=referencing,
        func=func,
    )
