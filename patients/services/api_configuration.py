"""Clinics as administrators configure them: name and time zone, with history of who changed it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from patients import models as m

CLINIC_FIELDS = frozenset({"name", "time_zone"})


@transaction.atomic
def save_clinic(*, actor: m.User | None, clinic: m.Clinic | None = None, **fields: Any) -> m.Clinic:
    """Create a clinic, or change one; validated whole (a unique name, an IANA time zone)."""
    unknown = set(fields) - CLINIC_FIELDS
    if unknown:
        raise TypeError(f"not a clinic setting: {', '.join(sorted(unknown))}")
    clinic = clinic if clinic is not None else m.Clinic()
    for name, value in fields.items():
        setattr(clinic, name, value)
    clinic.full_clean()
    clinic._history_user = actor  # read by django-simple-history when it writes the history row
    clinic.save()
    return clinic
