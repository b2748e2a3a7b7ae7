"""Logging a visit in one go: every part is written by its own service inside one transaction, a
refused part is reported on its section and field while the others are still checked, and then
nothing at all is kept (rows and history). Also the choices the page offers: the doses due around
the visit, the Denver II items around the age line, the previous study, and the growth preview.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS

from patients import models as m
from patients.clinical import denver
from patients.clinical import growth as core
from patients.clinical.ages import growth_age
from patients.clinical.regimens import load_shipped_regimens
from patients.models.treatment import PlannedDoseStatus
from patients.services import visit_log as service
from patients.services.records import create_record, void_record
from patients.services.treatment import record_course_event, start_course
from tests import factories as f

pytestmark = pytest.mark.django_db

BORN = datetime.date(2024, 3, 1)
TODAY = datetime.date(2024, 12, 1)  # 9 months: 275 days
# Every table a visit entry writes to, with its history where it keeps one.
TOUCHED = (
    m.Visit,
    m.GrowthMeasurement,
    m.GrowthScore,
    m.LabResult,
    m.PlannedDose,
    m.DoseAdministration,
    m.DenverNormTable,
    m.DenverAssessment,
    m.DenverItemResult,
    m.ImagingStudy,
    m.ImagingFinding,
    m.AdverseEvent,
)


def counts() -> dict[str, tuple[int, int | None]]:
    return {
        model.__name__: (
            model.objects.count(),
            model.history.count() if hasattr(model, "history") else None,
        )
        for model in TOUCHED
    }


@pytest.fixture
def girl(clinic):
    return f.InfantFactory(clinic=clinic, birth_date=BORN, sex="female")


@pytest.fixture
def course(girl, staff):
    return start_course(
        infant=girl,
        actor=staff,
        regimen=load_shipped_regimens()["with-neurological-involvement"],
        started_on=TODAY - datetime.timedelta(days=10),
        today=TODAY,
    )


@pytest.fixture
def dose_today(course) -> m.PlannedDose:
    return course.planned_doses.get(due_on=TODAY)


@pytest.fixture
def first_mri(girl, staff):
    study = create_record(
        m.ImagingStudy,
        actor=staff,
        infant=girl,
        modality="mri",
        body_site="brain",
        performed_on=TODAY - datetime.timedelta(days=60),
        impression="Diffuse cortical atrophy.",
    )
    create_record(
        m.ImagingFinding,
        actor=staff,
        study=study,
        finding_type="cortical_atrophy",
        region="diffuse",
        severity="severe",
    )
    return study


def entry(dose: m.PlannedDose | None = None, **changes) -> service.VisitEntry:
    """A whole follow-up visit of a 9-month-old girl, seed 000's patient 2 at admission."""
    parts = {
        "visit_date": TODAY,
        "visit_type": "outpatient",
        "reason": "One month after the first dose",
        "growth": service.GrowthEntry(
            weight_kg=Decimal("5.6"),
            length_cm=Decimal("60.0"),
            head_circumference_cm=Decimal("40.5"),
        ),
        "labs": [
            service.LabEntry("haemoglobin", Decimal("9.1"), "g/dL"),
            service.LabEntry("b12", Decimal("150"), "pg/mL", comparator="<"),
        ],
        "dose": service.DoseEntry(planned_dose=dose, location="clinic", site="left_thigh")
        if dose
        else None,
        "denver": service.DenverEntry(
            scores={"gross_motor:9": "P", "language:14": "F", "fine_motor_adaptive:10": "P"}
        ),
        "imaging": service.ImagingEntry(
            performed_on=TODAY,
            modality="mri",
            body_site="brain",
            impression="Atrophy regressing.",
            comparison="improved",
            findings=[
                {
                    "finding_type": "cortical_atrophy",
                    "region": "diffuse",
                    "side": "bilateral",
                    "severity": "mild",
                    "notes": "",
                }
            ],
        ),
        "adverse_event": service.AdverseEventEntry(
            event_type="tremor", onset_on=TODAY - datetime.timedelta(days=2), severity="mild"
        ),
    }
    parts.update(changes)
    return service.VisitEntry(**parts)


# --- writing ------------------------------------------------------------------------------------


def test_every_part_is_saved_by_its_service_and_linked_to_the_visit(
    girl, staff, dose_today, first_mri
):
    logged = service.log_visit(infant=girl, actor=staff, entry=entry(dose_today), today=TODAY)

    visit = logged.visit
    assert (visit.infant, visit.visit_date, visit.clinician) == (girl, TODAY, staff)
    assert visit.history.get().history_user == staff
    assert logged.measurement.visit == visit
    wfa = logged.measurement.scores.get(reference_name=core.WHO_2006.name, indicator="wfa")
    assert wfa.z == Decimal("-3.23")  # CLINICAL.md section 6: about -3.2 at 9 months
    haemoglobin, b12 = logged.lab_results
    assert haemoglobin.visit == visit and haemoglobin.flag == "low"  # 6-12 months: 11.3-14.1
    assert (b12.comparator, b12.b12_status) == ("<", "deficient")
    assert logged.administration.planned_dose == dose_today
    assert logged.administration.given_by == staff and logged.administration.given_on == TODAY
    assert m.PlannedDose.objects.get(pk=dose_today.pk).status == PlannedDoseStatus.GIVEN
    assert logged.assessment.visit == visit and logged.assessment.examiner == staff
    assert logged.assessment.item_results.count() == 3
    assert (logged.study.compared_with, logged.study.comparison) == (first_mri, "improved")
    assert logged.study.findings.get().severity == "mild"
    assert logged.adverse_event.infant == girl and logged.adverse_event.severity == "mild"


def test_a_visit_with_nothing_else_is_just_a_visit(girl, staff):
    before = counts()
    logged = service.log_visit(
        infant=girl,
        actor=staff,
        entry=service.VisitEntry(visit_date=TODAY, visit_type="phone"),
        today=TODAY,
    )
    assert logged.visit.visit_type == "phone"
    after = counts()
    assert after["Visit"] == (before["Visit"][0] + 1, before["Visit"][1] + 1)
    assert {k: v for k, v in after.items() if k != "Visit"} == {
        k: v for k, v in before.items() if k != "Visit"
    }


def test_refused_parts_are_each_reported_and_nothing_is_kept(girl, staff, dose_today):
    before = counts()
    bad = entry(
        dose_today,
        growth=service.GrowthEntry(weight_kg=Decimal("56")),
        labs=[
            service.LabEntry("haemoglobin", Decimal("9.1"), "g/dL"),
            service.LabEntry("b12", Decimal("150"), "g/dL"),
        ],
        denver=service.DenverEntry(scores={"language:99": "P"}),
        adverse_event=service.AdverseEventEntry(
            event_type="tremor",
            onset_on=TODAY,
            resolved_on=TODAY + datetime.timedelta(days=3),
        ),
    )

    with pytest.raises(service.VisitLogRefused) as refused:
        service.log_visit(infant=girl, actor=staff, entry=bad, today=TODAY)

    errors = refused.value.errors
    # The visit, the first lab result and the dose were fine; the imaging has no earlier study.
    assert set(errors) == {"growth", "labs.1", "denver", "imaging", "adverse_event"}
    assert "plausible" in errors["growth"]["weight_kg"][0]
    assert "pg/mL" in errors["labs.1"]["unit"][0]  # the units B12 is accepted in
    assert "language:99" in errors["denver"]["scores"][0]
    assert list(errors["imaging"]) == ["comparison"]
    assert list(errors["adverse_event"]) == ["resolved_on"]
    assert counts() == before
    assert m.PlannedDose.objects.get(pk=dose_today.pk).status == PlannedDoseStatus.PLANNED


def test_a_value_confirmed_by_the_clinician_is_saved_though_implausible(girl, staff):
    growth = service.GrowthEntry(weight_kg=Decimal("16"), confirm_implausible=True)
    logged = service.log_visit(
        infant=girl, actor=staff, entry=entry(growth=growth, imaging=None), today=TODAY
    )
    wfa = logged.measurement.scores.get(reference_name=core.WHO_2006.name, indicator="wfa")
    assert wfa.implausible is True


def test_a_visit_in_the_future_is_refused_before_its_parts_are_checked(girl, staff):
    future = TODAY + datetime.timedelta(days=1)
    with pytest.raises(service.VisitLogRefused) as refused:
        service.log_visit(infant=girl, actor=staff, entry=entry(visit_date=future), today=TODAY)
    assert list(refused.value.errors) == ["visit"]
    assert "is in the future" in refused.value.errors["visit"]["visit_date"][0]
    assert not m.Visit.objects.exists()


def test_a_voided_infant_takes_no_visit(girl, staff):
    void_record(girl, actor=staff, reason="Registered twice.")
    with pytest.raises(service.VisitLogRefused) as refused:
        service.log_visit(infant=girl, actor=staff, entry=entry(), today=TODAY)
    assert "voided" in refused.value.errors["visit"][NON_FIELD_ERRORS][0]
    assert not m.Visit.objects.exists()


def test_check_visit_log_saves_nothing_even_when_all_is_valid(girl, staff, dose_today, first_mri):
    before = counts()
    assert service.check_visit_log(infant=girl, actor=staff, entry=entry(dose_today)) == {}
    assert counts() == before


def test_a_dose_of_another_infant_or_of_a_stopped_course_is_refused(
    girl, staff, course, dose_today, clinic
):
    other = f.InfantFactory(clinic=clinic, birth_date=BORN)
    with pytest.raises(service.VisitLogRefused) as refused:
        service.log_visit(infant=other, actor=staff, entry=entry(dose_today), today=TODAY)
    assert refused.value.errors == {
        "dose": {"planned_dose": ["This dose is not in the infant's plan."]},
        # The rest of the entry is fine for the other infant (no earlier study to compare with).
        "imaging": refused.value.errors["imaging"],
    }

    record_course_event(course, actor=staff, kind="stop", on=TODAY - datetime.timedelta(days=1))
    with pytest.raises(service.VisitLogRefused) as refused:
        service.log_visit(
            infant=girl, actor=staff, entry=entry(dose_today, imaging=None), today=TODAY
        )
    assert list(refused.value.errors) == ["dose"]


# --- what the page offers -----------------------------------------------------------------------


def test_doses_offered_are_the_five_still_to_give_nearest_the_visit(girl, staff, course):
    given = course.planned_doses.get(due_on=TODAY - datetime.timedelta(days=2))
    given.status = PlannedDoseStatus.GIVEN
    given.save()
    offered = service.doses_due_around(girl, TODAY)
    assert [dose.due_on - TODAY for dose in offered] == [
        datetime.timedelta(days=d) for d in (-6, -4, 0, 2, 4)
    ]


def _item(sector: str, number: int, p25: float, p90: float) -> denver.NormItem:
    return denver.NormItem(
        sector=denver.DenverSector(sector),
        item_no=number,
        label=f"item {number}",
        p25_months=p25,
        p50_months=(p25 + p90) / 2,
        p75_months=p90 - 0.5,
        p90_months=p90,
    )


SECTOR = [
    _item("language", 1, 0.0, 1.0),
    _item("language", 2, 1.0, 2.5),
    _item("language", 3, 2.0, 3.5),
    _item("language", 4, 3.0, 4.5),
    _item("language", 5, 5.0, 6.0),  # its bar ends 1 month before the line: near
    _item("language", 6, 6.5, 8.0),  # crossed by the line
    _item("language", 7, 7.5, 9.5),  # starts 0.5 month after the line: near
    _item("language", 8, 8.5, 11.0),  # starts 1.5 months after: not yet
]


@pytest.mark.parametrize(
    ("age_months", "offered"),
    [
        (7.0, [3, 4, 5, 6, 7]),  # the three nearest wholly left (5 also near), 6 and 7
        (0.5, [1, 2]),  # a newborn: nothing left of the line yet
        (20.0, [6, 7, 8]),  # past every bar: the three nearest to the left
    ],
)
def test_denver_items_offered_around_the_age_line(age_months, offered):
    items = service.items_around_age_line(SECTOR, age_months)
    assert [item.item_no for item in items] == offered


def test_the_denver_age_line_is_corrected_for_prematurity(clinic):
    preterm = f.InfantFactory(clinic=clinic, birth_date=BORN, gestational_age_days=30 * 7)
    offer = service.denver_offer(preterm, TODAY)
    assert offer.age_line.corrected
    assert offer.age_line.age_days == (TODAY - BORN).days - 70
    assert [sector for sector, _items in offer.sectors] == list(denver.DenverSector)
    assert offer.norm_version == denver.BUNDLED_NORM_TABLE_VERSION

    before_due = service.denver_offer(preterm, BORN + datetime.timedelta(days=30))
    assert before_due.not_scored is service.NotScored.BEFORE_TERM and not before_due.sectors


def test_the_previous_study_is_the_latest_before_the_date(girl, staff, first_mri):
    later = create_record(
        m.ImagingStudy,
        actor=staff,
        infant=girl,
        modality="mri",
        body_site="brain",
        performed_on=TODAY - datetime.timedelta(days=10),
        impression="Improving.",
    )
    assert service.previous_study(girl, before=TODAY) == later
    assert service.previous_study(girl, before=later.performed_on) == first_mri
    void_record(later, actor=staff, reason="Wrong infant.")
    assert service.previous_study(girl, before=TODAY) == first_mri
    assert service.previous_study(girl, before=first_mri.performed_on) is None


def test_the_growth_preview_is_the_cores_and_saves_nothing(girl, clinic):
    before = counts()
    preview = service.preview_growth(
        infant=girl,
        measured_on=TODAY,
        weight_kg=Decimal("5.6"),
        length_cm=Decimal("60.0"),
        head_circumference_cm=Decimal("40.5"),
    )
    expected = core.assess_growth(
        core.GrowthMeasurement(
            sex=core.Sex.FEMALE,
            age_days=growth_age(BORN, TODAY, gestational_age_days=None).age_days,
            weight_kg=Decimal("5.6"),
            length_cm=Decimal("60.0"),
            length_recumbent=True,
            head_circumference_cm=Decimal("40.5"),
        )
    )
    assert preview.results == expected.results
    assert counts() == before

    unknown = f.InfantFactory(clinic=clinic, birth_date=BORN, sex="unknown")
    assert (
        service.preview_growth(
            infant=unknown, measured_on=TODAY, weight_kg=Decimal("5.6")
        ).not_scored
        is service.NotScored.SEX_NOT_RECORDED
    )
