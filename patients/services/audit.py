"""Writing the access log: every read of a patient record says who, what, when and from where.

Called by the API and the pages after the scope check passed, so a row is only ever written for a
record the user was allowed to see (a refused read is a 404 and leaves no trace of what exists).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import models
from django.http import HttpRequest

from patients.models import AccessAction, Clinic, Infant, RecordAccess
from patients.selectors import clinics_for

__all__ = ["AccessAction", "client_address", "log_access"]


def client_address(request: HttpRequest) -> str | None:
    """The peer address as the server saw it.

    X-Forwarded-For is ignored on purpose: anyone can send it, and an access log that trusts it
    records whatever the reader typed. Behind a proxy, set the proxy to pass REMOTE_ADDR.
    """
    return request.META.get("REMOTE_ADDR") or None


def _clinic_of(
    request: HttpRequest,
    infant: Infant | None,
    clinic: Clinic | None,
    reader_clinics: Sequence[uuid.UUID] | None,
):
    """The clinic whose lead may read this row: the patient's, else the one named, else the
    reader's own when they work in exactly one (a list, a mother, a guardian)."""
    if infant is not None:
        return infant.clinic_id
    if clinic is not None:
        return clinic.pk
    if reader_clinics is None:
        own = list(clinics_for(request.user).values_list("id", flat=True)[:2])
    else:
        own = list(reader_clinics[:2])
    return own[0] if len(own) == 1 else None


def log_access(
    request: HttpRequest,
    *,
    action: str,
    resource: type[models.Model] | str,
    infant: Infant | None = None,
    clinic: Clinic | None = None,
    object_id: object = "",
    reader_clinics: Sequence[uuid.UUID] | None = None,
) -> RecordAccess:
    """``reader_clinics``: the ids of the clinics ``clinics_for`` gives the reader, when the caller
    has them already (the API reads them with the caller's roles); without them a row of no
    single infant or clinic costs a query to find the reader's clinic."""
    label = resource if isinstance(resource, str) else resource._meta.label_lower
    return RecordAccess.objects.create(
        user=request.user,
        infant=infant,
        clinic_id=_clinic_of(request, infant, clinic, reader_clinics),
        action=AccessAction(action),
        resource=label[:100],
        object_id=str(object_id or "")[:64],
        method=request.method or "",
        path=request.get_full_path()[:500],
        ip_address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
