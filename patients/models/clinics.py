"""Clinics, their closing days, the people who work there and their roles."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patients.models.validators import validate_time_zone


class User(AbstractUser):
    """Anyone who signs in: clinic staff, clinic leads, administrators and guardians.

    What a user may do follows from their clinic memberships (staff, lead, administrator) or from
    being a guardian of an infant; nothing is granted by the user row alone.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Clinic(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(
        max_length=64,
        default="Europe/Istanbul",
        validators=[validate_time_zone],
        help_text="IANA zone; a dose day ends at midnight in this zone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> datetime.date:
        """Today on the clinic's calendar: an entry typed just after midnight in Istanbul belongs
        to that day there, while the server's UTC date is still yesterday."""
        return timezone.localdate(timezone=self.zone)


class Weekday(models.IntegerChoices):
    # ISO numbering (Monday = 1), as date.isoweekday() returns it.
    MONDAY = 1, "Monday"
    TUESDAY = 2, "Tuesday"
    WEDNESDAY = 3, "Wednesday"
    THURSDAY = 4, "Thursday"
    FRIDAY = 5, "Friday"
    SATURDAY = 6, "Saturday"
    SUNDAY = 7, "Sunday"


class ClinicWeeklyClosure(models.Model):
    """A weekday on which the clinic gives no in-clinic doses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="weekly_closures")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["clinic", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="weekly_closure_unique"),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=1, weekday__lte=7),
                name="weekly_closure_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic}: closed on {self.get_weekday_display()}"


class ClinicHoliday(models.Model):
    """A single date on which the clinic is closed (public holiday, closure)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        ordering = ["clinic", "date"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "date"], name="clinic_holiday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.clinic}: {self.name} ({self.date:%Y-%m-%d})"


class Role(models.TextChoices):
    STAFF = "staff", _("Clinic staff")
    LEAD = "lead", _("Clinic lead")
    ADMINISTRATOR = "administrator", _("Administrator")


class ClinicMembership(models.Model):
    """A user's role in one clinic. Staff and leads see only the infants of their own clinics."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    profession = models.CharField(
        max_length=100, blank=True, help_text="For example paediatric neurologist, nurse."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["clinic", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic"], name="membership_one_role_per_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.clinic}"
