"""The bulk writer stores every kind of column as the ORM would (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from patients import models as m
from patients.services.bulk import insert_values, insert_with_history
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_rows_written_in_bulk_read_back_as_built(clinic, staff):
    now = timezone.now()
    infants = [
        m.Infant(
            clinic=clinic,
            record_number="B-1",
            given_name="Elif",
            family_name="Şahin",  # beyond ASCII
            sex="female",
            birth_date=datetime.date(2024, 2, 29),
            gestational_age_days=252,
            birth_weight_g=2450,
            exclusively_breastfed=True,
            solids_started_age_months=Decimal("6.5"),
            diagnosis_date=datetime.date(2024, 8, 1),
        ),
        m.Infant(  # every optional column empty
            clinic=clinic,
            record_number="B-2",
            given_name="Can",
            family_name="Demir",
            sex="male",
            birth_date=datetime.date(2025, 1, 1),
        ),
    ]
    insert_with_history(m.Infant, infants, now=now, change_reason="bulk", user=staff)
    user = f.UserFactory(username="parent-bulk")
    # A time every row shares is written as text once; its offset must survive (+05:30).
    shared_time = now.astimezone(zoneinfo.ZoneInfo("Asia/Kolkata"))
    insert_values(
        m.Guardian,
        [
            {
                "user_id": user.pk,
                "time_zone": "Europe/Berlin",
                "evening_reminder_at": datetime.time(18, 30),
                "morning_reminder_at": None,
                "sms_enabled": False,
            }
        ],
        now=shared_time,
        history=True,
        user=staff,
    )

    for built in infants:
        stored = m.Infant.objects.get(pk=built.pk)
        assert model_to_dict(stored) == model_to_dict(built)
        assert stored.created_at == now
        assert stored.history.get().history_user == staff
    guardian = m.Guardian.objects.get(user=user)
    assert (guardian.evening_reminder_at, guardian.morning_reminder_at) == (
        datetime.time(18, 30),
        None,
    )
    assert (guardian.time_zone, guardian.sms_enabled, guardian.email_enabled) == (
        "Europe/Berlin",
        False,
        True,
    )
    assert guardian.history.get().history_change_reason == ""
    assert guardian.created_at == guardian.updated_at == guardian.history.get().history_date == now
    # Columns every row leaves null are left out of COPY and read back null.
    assert (guardian.voided_at, guardian.voided_by_id, guardian.history.get().voided_at) == (
        None,
        None,
        None,
    )
