"""Reminders: one row per planned message, and the calendar feeds guardians subscribe to.

The rows are the schedule (REMINDERS.md): a reminder is never a task parked in the broker. Each
row has a unique slot key (what, for whom, through which channel, for which day), so planning the
same slot twice is impossible; a dispatcher claims due rows with a conditional update, sends
outside any transaction and records the outcome with a second conditional update.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patients.models.base import time_ordered_id
from patients.models.people import Guardian, Infant
from patients.models.treatment import PlannedDose
from patients.models.visits import Visit


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class MessageKind(models.TextChoices):
    DOSE_EVENING_BEFORE = "dose_evening_before", _("Dose tomorrow")
    DOSE_MORNING_OF = "dose_morning_of", _("Dose today")
    VISIT_EVENING_BEFORE = "visit_evening_before", _("Visit tomorrow")
    VISIT_MORNING_OF = "visit_morning_of", _("Visit today")
    MISSED_DOSE = "missed_dose", _("Dose missed: please contact the clinic")
    NEW_PLAN = "new_plan", _("Your new plan")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled by a new plan")
    SKIPPED = "skipped", _("Not sent (opted out or no address)")


class PlannedMessage(models.Model):
    # Written by the thousand with every plan: time-ordered keys (base.time_ordered_id).
    id = models.UUIDField(primary_key=True, default=time_ordered_id, editable=False)
    #: Unique by a constraint rather than `unique=True`, which on PostgreSQL would add a second,
    #: pattern-matching index that no query uses and every insert maintains.
    slot_key = models.CharField(max_length=200)
    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="messages")
    # No index of its own: `message_infant_due` leads with the infant.
    infant = models.ForeignKey(
        Infant, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    planned_dose = models.ForeignKey(
        PlannedDose, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    # Indexed only where set (`message_visit`): most rows are about a dose.
    visit = models.ForeignKey(
        Visit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        db_index=False,
    )
    kind = models.CharField(max_length=24, choices=MessageKind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    due_at = models.DateTimeField(
        help_text="UTC; computed from the guardian's local reminder time."
    )
    event_on = models.DateField(help_text="The day of the dose or visit the message is about.")
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    #: A fresh value per claim and per send attempt: only the holder of the current token may
    #: send or record, so two copies of one task can never both pass the claim (a fencing token).
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The dispatcher's query: pending rows whose time has come, oldest first.
            models.Index(
                fields=["due_at"], condition=Q(status="pending"), name="message_due_pending"
            ),
            # The reaper's query: rows left in "sending". Partial, so planning and sending
            # pending rows never touch it; a row enters it only while it is being sent.
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="message_sending_claimed",
            ),
            # The worklist's failed reminders, newest first: few rows, found without a scan.
            models.Index(
                fields=["due_at"], condition=Q(status="failed"), name="message_failed_due"
            ),
            models.Index(fields=["infant", "due_at"], name="message_infant_due"),
            models.Index(fields=["visit"], condition=Q(visit__isnull=False), name="message_visit"),
        ]
        # Every index here is written by each of the tens of thousands of rows that starting a
        # clinic's courses plans, and again when a row changes status (docs/BENCHMARKS.md).
        constraints = [
            models.UniqueConstraint(fields=["slot_key"], name="message_slot_key_unique"),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="message_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENT) | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()} at {self.due_at:%Y-%m-%d %H:%M} UTC"


def new_feed_token() -> str:
    # 256 bits from the OS generator: unguessable, and URL-safe for a calendar subscription link.
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A guardian's calendar subscription. Revoking it makes the link answer 404 at once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="calendar_feeds")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["guardian"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.guardian}"
