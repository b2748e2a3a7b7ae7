"""No clinical row is ever deleted: it is voided with a reason, and history names who did what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from patients import models as m
from patients.models import ClinicalRecordDeletionError
from patients.services.records import create_record, update_record, void_record
from tests import factories as f


def test_voided_record_stays_with_its_reason_and_who_voided_it(infant, staff):
    growth = f.GrowthFactory(infant=infant)
    void_record(growth, actor=staff, reason="Weighed with clothes on")
    growth = m.GrowthMeasurement.objects.get(pk=growth.pk)
    assert growth.is_voided
    assert growth.void_reason == "Weighed with clothes on"
    assert growth.voided_by == staff
    assert list(m.GrowthMeasurement.objects.active()) == []
    assert list(m.GrowthMeasurement.objects.voided()) == [growth]


def test_voiding_needs_a_reason(infant, staff):
    growth = f.GrowthFactory(infant=infant)
    with pytest.raises(ValidationError, match="Say why"):
        void_record(growth, actor=staff, reason="   ")
    growth.refresh_from_db()
    assert not growth.is_voided


def test_a_record_is_voided_once(infant, staff, lead):
    growth = f.GrowthFactory(infant=infant)
    void_record(growth, actor=staff, reason="Duplicate entry")
    with pytest.raises(ValidationError, match="already voided"):
        void_record(growth, actor=lead, reason="Another reason")
    growth.refresh_from_db()
    assert (growth.void_reason, growth.voided_by) == ("Duplicate entry", staff)


def test_a_voided_record_cannot_be_edited(infant, staff):
    growth = f.GrowthFactory(infant=infant)
    void_record(growth, actor=staff, reason="Duplicate entry")
    growth.refresh_from_db()
    with pytest.raises(ValidationError, match="voided"):
        update_record(growth, actor=staff, weight_kg=Decimal("8"))


def test_delete_is_refused_for_a_row_and_for_a_queryset(infant):
    growth = f.GrowthFactory(infant=infant)
    with pytest.raises(ClinicalRecordDeletionError):
        growth.delete()
    with pytest.raises(ClinicalRecordDeletionError):
        m.GrowthMeasurement.objects.all().delete()
    with pytest.raises(ClinicalRecordDeletionError):
        m.Infant.objects.filter(pk=infant.pk).delete()
    assert m.GrowthMeasurement.objects.filter(pk=growth.pk).exists()


def test_every_clinical_model_refuses_deletion_and_keeps_history():
    from django.apps import apps

    clinical = [
        model
        for model in apps.get_app_config("patients").get_models()
        if issubclass(model, m.ClinicalRecord)
    ]
    assert len(clinical) >= 20
    for model in clinical:
        assert hasattr(model, "history"), f"{model.__name__} keeps no history"
        assert model.objects.all().delete.__func__ is m.ClinicalQuerySet.delete


def test_history_records_the_user_for_create_change_and_void(infant, staff, lead):
    visit = create_record(
        m.Visit,
        actor=staff,
        infant=infant,
        visit_type="outpatient",
        visit_date=datetime.date(2024, 10, 1),
    )
    update_record(visit, actor=lead, notes="Smiles responsively.")
    void_record(visit, actor=lead, reason="Visit recorded on the wrong day")
    history = list(visit.history.order_by("history_date"))
    assert [(h.history_type, h.history_user) for h in history] == [
        ("+", staff),
        ("~", lead),
        ("~", lead),
    ]
    assert history[1].notes == "Smiles responsively."
    assert history[2].void_reason == "Visit recorded on the wrong day"
    assert history[2].history_change_reason == "voided: Visit recorded on the wrong day"


def test_history_records_the_signed_in_user_on_web_edits(client, infant, staff):
    client.force_login(staff)
    url = f"/admin/patients/infant/{infant.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"given_name": "Deniz Ada", "birth_date": "2024-03-01"})
    for prefix in ("guardianships", "presenting_signs"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 302, (
        getattr(response, "context", {}) and response.context["adminform"].form.errors
    )
    latest = infant.history.latest()
    assert (latest.given_name, latest.history_user) == ("Deniz Ada", staff)
