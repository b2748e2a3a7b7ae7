"""The access log: append-only, and every row readable by the leads of the clinic it concerns."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from patients.models import AccessAction, Mother, RecordAccess
from patients.models.audit import AccessLogImmutableError
from patients.selectors import access_log_for
from patients.services.audit import log_access


def _request(user, path="/api/v1/mothers/"):
    request = RequestFactory().get(path, REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="ward-pc")
    request.user = user
    return request


def test_a_read_without_a_patient_is_still_the_clinic_leads_to_see(staff, lead, other_staff):
    # A list, or a mother's record, names no infant: the reader's own clinic carries the row.
    log_access(_request(staff), action=AccessAction.LIST, resource=Mother)
    log_access(_request(other_staff), action=AccessAction.LIST, resource=Mother)

    seen = list(access_log_for(lead))
    assert [(row.user, row.resource, row.ip_address) for row in seen] == [
        (staff, "patients.mother", "10.0.0.7")
    ]
    assert list(access_log_for(staff)) == []  # staff do not read the log


def test_a_patient_read_belongs_to_the_patients_clinic(infant, staff, lead):
    row = log_access(
        _request(staff),
        action=AccessAction.READ,
        resource="patients.infant",
        infant=infant,
        object_id=infant.pk,
    )
    assert row.clinic_id == infant.clinic_id
    assert list(access_log_for(lead)) == [row]


def test_the_log_cannot_be_changed_or_deleted(staff):
    row = log_access(_request(staff), action=AccessAction.LIST, resource=Mother)
    row.resource = "patients.nothing"
    with pytest.raises(AccessLogImmutableError):
        row.save()
    with pytest.raises(AccessLogImmutableError):
        row.delete()
    with pytest.raises(AccessLogImmutableError):
        RecordAccess.objects.filter(pk=row.pk).update(resource="x")
    with pytest.raises(AccessLogImmutableError):
        RecordAccess.objects.all().delete()
    assert RecordAccess.objects.get(pk=row.pk).resource == "patients.mother"
