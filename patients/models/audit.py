"""The access log: who read which patient record, when and from where.

History (django-simple-history) answers "who changed what"; this answers "who looked". Rows are
append-only: the model refuses updates and deletes, and nothing in the product writes them except
``patients.services.audit``. Leads read them through the API; nobody can edit them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from patients.models.clinics import Clinic
from patients.models.people import Infant


class AccessLogImmutableError(Exception):
    """Raised on any attempt to change or delete an access-log row."""


class AccessAction(models.TextChoices):
    LIST = "list", _("Listed")
    READ = "read", _("Read")
    HISTORY = "history", _("Read the history")
    EXPORT = "export", _("Exported")


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AccessLogImmutableError("The access log is append-only.")

    def delete(self):  # type: ignore[override]
        raise AccessLogImmutableError("The access log is append-only.")


class RecordAccess(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_accesses"
    )
    #: The patient whose record was read; empty for a list or export across patients.
    infant = models.ForeignKey(
        Infant, null=True, blank=True, on_delete=models.PROTECT, related_name="accesses"
    )
    #: The clinic whose records were read: the infant's, or the reader's own for a list, a mother
    #: or a guardian (empty only when the reader works in several clinics and read across them).
    #: Leads read the log of their clinic through it.
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=8, choices=AccessAction.choices)
    #: What was read: the model label ("patients.labresult") and the row id, when one row was.
    resource = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        verbose_name = "record access"
        verbose_name_plural = "record accesses"
        indexes = [
            models.Index(fields=["infant", "at"], name="access_infant_at"),
            models.Index(fields=["user", "at"], name="access_user_at"),
            models.Index(fields=["clinic", "at"], name="access_clinic_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AccessAction.values), name="access_action_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display().lower()} {self.resource} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AccessLogImmutableError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AccessLogImmutableError("The access log is append-only.")
