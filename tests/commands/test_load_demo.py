"""The demo holds both infants of seed 000 exactly as the case report tells them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError

from patients import models as m
from patients.services.demo import PATIENT_1_BIRTH, PATIENT_2_BIRTH, load_demo

TODAY = datetime.date(2026, 11, 21)
D = datetime.date


@pytest.fixture
def demo(db):
    return load_demo(today=TODAY)


def infant(record_number: str) -> m.Infant:
    return m.Infant.objects.get(record_number=record_number)


def doses(record_number: str) -> list[m.PlannedDose]:
    course = m.TreatmentCourse.objects.get(
        infant__record_number=record_number, drug="hydroxocobalamin"
    )
    return list(course.planned_doses.exclude(status="superseded").order_by("number", "due_on"))


def test_one_user_per_role_and_a_guardian_per_infant(demo):
    roles = dict(m.ClinicMembership.objects.values_list("user__username", "role"))
    assert roles == {"staff": "staff", "lead": "lead", "admin": "administrator"}
    assert m.User.objects.get(username="staff").check_password("demo-staff-pass")
    assert infant("S000-P1").guardians.get().user.username == "parent1"
    assert infant("S000-P2").guardians.get().user.username == "parent2"


def test_patient_1_admission_as_reported(demo):
    p1 = infant("S000-P1")
    assert (p1.sex, p1.birth_date, p1.exclusively_breastfed) == ("male", PATIENT_1_BIRTH, True)
    admission = p1.visits.get(visit_type="admission")
    assert admission.visit_date == D(2024, 9, 4)  # 12 months old
    assert (admission.heart_rate_bpm, admission.respiratory_rate_per_min) == (134, 42)
    growth = p1.growth_measurements.get()
    assert (growth.weight_kg, growth.length_cm, growth.head_circumference_cm) == (
        Decimal("8.6"),
        Decimal("75"),
        Decimal("46"),
    )
    labs = {r.analyte: r for r in p1.lab_results.filter(collected_on=admission.visit_date)}
    assert (labs["b12"].comparator, labs["b12"].value, labs["b12"].unit) == (
        "<",
        Decimal("150"),
        "pg/mL",
    )
    assert (labs["b12"].reference_low, labs["b12"].reference_high) == (
        Decimal("197"),
        Decimal("866"),
    )
    assert (labs["folate"].comparator, labs["folate"].value) == (">", Decimal("15"))
    assert labs["mma_urine"].value is None and labs["mma_urine"].reported_text == "high"
    assert [labs[a].value for a in ("wbc", "haemoglobin", "haematocrit", "platelets", "mcv")] == [
        Decimal("3"),
        Decimal("9.6"),
        Decimal("29.1"),
        Decimal("147"),
        Decimal("87.8"),
    ]
    assert set(p1.qualitative_findings.values_list("finding", flat=True)) == {
        "hypersegmented_neutrophils",
        "anisocytosis",
    }
    mother_b12 = p1.mother.lab_results.get()
    assert (mother_b12.analyte, mother_b12.comparator, mother_b12.value) == (
        "b12",
        "<",
        Decimal("150"),
    )
    assert p1.mother.diet == "low_animal_food"


def test_patient_1_follow_up_imaging_milestones_and_denver(demo):
    p1 = infant("S000-P1")
    one_month = p1.lab_results.get(analyte="b12", collected_on=D(2024, 10, 9))
    assert one_month.value == Decimal("1068")
    first, repeat = p1.imaging_studies.filter(modality="mri").order_by("performed_on")
    assert first.findings.filter(finding_type="cortical_atrophy", severity="severe").count() == 3
    assert (repeat.performed_on, repeat.compared_with, repeat.comparison) == (
        D(2025, 5, 4),
        first,
        "resolved",
    )
    ages = dict(p1.milestones.values_list("milestone", "attained_age_months"))
    assert ages == {
        "head_control": Decimal("4"),
        "first_words": Decimal("17"),
        "sitting_without_support": Decimal("18"),
        "standing_with_assistance": Decimal("18"),
    }
    denver = p1.denver_assessments.get()
    assert denver.assessed_on == D(2026, 9, 4)  # 3 years
    assert set(denver.sector_findings.values_list("sector", "conclusion")) == {
        ("language", "delayed"),
        ("fine_motor_adaptive", "delayed"),
    }


def test_patient_1_daily_for_two_weeks_then_monthly(demo):
    planned = doses("S000-P1")
    first = D(2024, 9, 9)  # the 6th day of admission
    assert [d.due_on for d in planned[:14]] == [
        first + datetime.timedelta(days=i) for i in range(14)
    ]
    # Monthly from day 14 plus one calendar month: 22 Sep -> 22 Oct -> 22 Nov ...
    assert [d.due_on for d in planned[14:18]] == [
        D(2024, 10, 22),
        D(2024, 11, 22),
        D(2024, 12, 22),
        D(2025, 1, 22),
    ]
    assert {d.status for d in planned if d.due_on < TODAY} == {"given"}
    assert {d.status for d in planned if d.due_on >= TODAY} == {"planned"}
    given = m.DoseAdministration.objects.filter(course__infant__record_number="S000-P1")
    assert given.count() == sum(d.due_on < TODAY for d in planned)
    assert set(given.filter(given_on__lte=D(2024, 9, 22)).values_list("location", flat=True)) == {
        "ward"
    }


def test_patient_2_taper_and_stop_after_18_months(demo):
    planned = doses("S000-P2")
    first = D(2023, 11, 24)  # the 5th day of hospitalisation
    days = [(d.due_on - first).days + 1 for d in planned]
    assert days[:7] == [1, 2, 3, 4, 5, 6, 7]
    assert days[7:14] == [9, 11, 13, 15, 17, 19, 21]
    assert [d.due_on for d in planned[14:16]] == [D(2024, 1, 14), D(2024, 2, 14)]
    assert planned[-1].due_on == D(2025, 5, 14)  # the last monthly dose before 18 months of therapy
    assert {d.status for d in planned} == {"given"}
    course = planned[0].course
    assert (course.status, course.stopped_on) == ("stopped", D(2025, 5, 24))
    assert list(course.events.values_list("kind", "on")) == [("stop", D(2025, 5, 24))]


def test_patient_2_tremor_transfusion_and_recovery(demo):
    p2 = infant("S000-P2")
    admitted = p2.visits.filter(visit_type="admission").order_by("visit_date").first().visit_date
    assert admitted == D(2023, 11, 20)  # 9 months old
    tremor = p2.adverse_events.get()
    first_dose = D(2023, 11, 24)
    assert tremor.event_type == "tremor"
    assert (tremor.onset_on - first_dose).days == 3  # "on the 3rd day of treatment", hospital day 8
    assert (tremor.resolved_on - tremor.onset_on).days == 8
    assert p2.procedures.get(
        kind="erythrocyte_transfusion"
    ).performed_on == admitted + datetime.timedelta(days=8)
    assert p2.procedures.get(kind="eeg").outcome == "Normal."
    labs = {r.analyte: r for r in p2.lab_results.filter(collected_on=admitted)}
    assert (labs["b12"].comparator, labs["b12"].value) == ("<", Decimal("150"))
    assert [labs[a].value for a in ("haemoglobin", "platelets", "anc")] == [
        Decimal("6.7"),
        Decimal("41"),
        Decimal("1.2"),
    ]
    assert p2.qualitative_findings.filter(
        specimen="bone_marrow", finding="megaloblastic_marrow"
    ).exists()
    assert p2.mother.lab_results.get().reported_text == "low"
    repeat = p2.imaging_studies.filter(modality="mri").latest("performed_on")
    assert (repeat.performed_on, repeat.comparison) == (D(2024, 11, 20), "resolved")  # 21 months
    ages = dict(p2.milestones.values_list("milestone", "attained_age_months"))
    assert ages == {
        "sitting_without_support": Decimal("15"),
        "standing_with_assistance": Decimal("17"),
        "first_words": Decimal("18"),
    }
    denver = p2.denver_assessments.get()
    assert denver.assessed_on == PATIENT_2_BIRTH.replace(year=2026, month=8)  # 3.5 years
    assert set(denver.sector_findings.values_list("sector", flat=True)) == {
        "language",
        "personal_social",
        "fine_motor_adaptive",
    }


def test_every_demo_row_was_written_by_the_staff_user(demo):
    staff = m.User.objects.get(username="staff")
    users = set(m.Infant.history.values_list("history_user", flat=True))
    users |= set(m.LabResult.history.values_list("history_user", flat=True))
    assert users == {staff.pk}


def _snapshot() -> str:
    from django.apps import apps

    rows = []
    for model in apps.get_app_config("patients").get_models():
        rows.extend(model.objects.order_by("pk"))
    return serializers.serialize("json", rows)


def test_load_demo_twice_gives_the_same_data(demo):
    before = _snapshot()
    result = load_demo(today=TODAY)
    assert result.infants_created == 0
    assert _snapshot() == before


def test_command_prints_the_credentials_and_refuses_production(db, capsys, settings):
    settings.DEBUG = True
    call_command("load_demo", "--today", "2026-11-21")
    out = capsys.readouterr().out
    assert "staff    / demo-staff-pass" in out and "parent1" in out
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published passwords"):
        call_command("load_demo")


def test_what_the_clinical_core_made_of_the_case_reports(demo):
    """CLINICAL.md section 6: patient 2 is below the 3rd WHO centile on all three indicators;
    patient 1 is reported as WHO gives him (about the 15th / 38th / 48th), not as the paper's charts."""
    p2 = infant("S000-P2").growth_measurements.get().scores.filter(reference_name__startswith="WHO")
    z = {s.indicator: s for s in p2}
    assert all(z[i].centile < 3 for i in ("wfa", "lfa", "hcfa"))
    assert float(z["wfa"].z) == pytest.approx(-3.2, abs=0.15)
    assert float(z["lfa"].z) == pytest.approx(-4.2, abs=0.15)
    p1 = {s.indicator: s for s in infant("S000-P1").growth_measurements.get().scores.all()}
    centiles = [float(p1[i].centile) for i in ("wfa", "lfa", "hcfa")]
    assert centiles == pytest.approx([15, 38, 48], abs=1.5)  # 366 days old: 2024 is a leap year

    b12 = infant("S000-P1").lab_results.get(analyte="b12", collected_on=D(2024, 9, 4))
    assert (b12.flag, b12.b12_status) == ("low", "deficient")
    assert b12.b12_threshold_set
    follow_up = infant("S000-P1").lab_results.get(analyte="b12", collected_on=D(2024, 10, 9))
    assert follow_up.flag == "high"  # 1068 pg/mL against the printed 197-866

    timing = dict(infant("S000-P2").milestones.values_list("milestone", "timing"))
    assert timing["sitting_without_support"] == "late"  # 15 months; the WHO window ends at 9.2
    assert timing["standing_with_assistance"] == "late"  # 17 months; ends at 11.4


def test_the_demo_raises_the_alerts_its_records_call_for(demo):
    codes = set(
        infant("S000-P2").alerts.filter(resolved_at__isnull=True).values_list("code", flat=True)
    )
    # Hb 6.7 g/dL and no potassium within 48 hours of the first dose (the paper reports none).
    assert "potassium_missed" in codes


def test_migrate_installs_the_shipped_regimens_and_the_denver_table(db):
    keys = set(m.Regimen.objects.filter(clinic__isnull=True).values_list("key", flat=True))
    assert {"seed-000-patient-1", "seed-000-patient-2", "with-neurological-involvement"} <= keys
    assert m.DenverNormTable.objects.get(is_default=True).version.startswith("denver-ii")


def test_the_demo_guardian_of_patient_1_has_live_reminders(demo):
    messages = m.PlannedMessage.objects.filter(infant__record_number="S000-P1", status="pending")
    assert messages.exists()
    first = messages.order_by("due_at").first()
    assert first.due_at.date() >= TODAY - datetime.timedelta(days=1)
    assert set(messages.values_list("kind", flat=True)) == {
        "dose_evening_before",
        "dose_morning_of",
        "visit_evening_before",
        "visit_morning_of",
    }
    # Patient 2's course was stopped in 2025: only the booked follow-up visit is reminded.
    assert set(
        m.PlannedMessage.objects.filter(infant__record_number="S000-P2").values_list(
            "kind", "event_on"
        )
    ) == {
        ("visit_evening_before", TODAY + datetime.timedelta(days=19)),
        ("visit_morning_of", TODAY + datetime.timedelta(days=19)),
    }


def test_reminders_survive_the_re_plans_that_run_after_commit(
    db, django_capture_on_commit_callbacks
):
    """Loaded at 09:45 in Istanbul, before the demo's nominal noon: the post-commit re-plans use the
    real clock and must still see the guardians' consent."""
    import time_machine

    with (
        time_machine.travel(
            datetime.datetime(2026, 11, 21, 6, 45, tzinfo=datetime.UTC), tick=False
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        load_demo(today=TODAY)
    pending = m.PlannedMessage.objects.filter(infant__record_number="S000-P1", status="pending")
    assert pending.exists()
    assert not m.PlannedMessage.objects.filter(status="cancelled").exists()
