"""The staff page "Log a visit" with seed 000's patient 2 (girl, born 2023-02-20, 45 months on the
demo day): what the page offers, a full visit saved through the services and shown on the infant
page, a refused visit that keeps what was typed and changes nothing, who may open it, the z-scores
as they are typed, and a query count that does not grow with the infant's history.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients import models as m
from patients.clinical import growth as core
from patients.clinical.ages import growth_age
from patients.clinical.regimens import load_shipped_regimens
from patients.models.treatment import PlannedDoseStatus
from patients.services.development import record_denver_assessment
from patients.services.labs import record_lab_result
from patients.services.records import create_record
from patients.services.treatment import start_course
from tests.conftest import f
from tests.services.test_visit_log import counts
from tests.web.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db

LABORATORY = "Hospital laboratory (seed 000)"  # the demo clinic keeps this laboratory's ranges


def _text(response) -> str:
    return response.content.decode()


def _url(infant: m.Infant, page: str = "new") -> str:
    return f"/infants/{infant.pk}/visits/{page}/"


@pytest.fixture
def course_p2(infant_p2, demo_user):
    """A maintenance course started ten days ago on alternate days, so a dose is due today."""
    return start_course(
        infant=infant_p2,
        actor=demo_user("staff"),
        regimen=load_shipped_regimens()["with-neurological-involvement"],
        started_on=DEMO_DAY - datetime.timedelta(days=10),
        indication="Relapse of B12 deficiency",
        today=DEMO_DAY,
    )


@pytest.fixture
def dose_today(course_p2) -> m.PlannedDose:
    return course_p2.planned_doses.get(due_on=DEMO_DAY, status=PlannedDoseStatus.PLANNED)


def _management(prefix: str, total: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": str(total),
    }


def blank_post(**overrides) -> dict[str, str]:
    """What the page posts when nothing but the visit is filled in: its selects' defaults."""
    data = {
        "visit-visit_date": DEMO_DAY.isoformat(),
        "visit-visit_type": "outpatient",
        "growth-length_position": "standing",
        **_management("labs", 8),
        **{f"labs-{index}-comparator": "" for index in range(8)},
        "imaging-performed_on": DEMO_DAY.isoformat(),
        "imaging-modality": "mri",
        "imaging-body_site": "brain",
        **_management("findings", 4),
        **{f"findings-{index}-side": "bilateral" for index in range(4)},
        "adverse-onset_on": DEMO_DAY.isoformat(),
    }
    data.update(overrides)
    return data


def visit_post(dose: m.PlannedDose | None = None, **overrides) -> dict[str, str]:
    """A complete visit of patient 2 on the demo day, as the page posts it."""
    data = {
        **blank_post(),
        "visit-visit_date": DEMO_DAY.isoformat(),
        "visit-visit_type": "outpatient",
        "visit-reason": "Follow-up of the relapse",
        "visit-notes": "Active and alert.",
        "growth-weight_kg": "13.1",
        "growth-length_cm": "95.2",
        "growth-length_position": "standing",
        "growth-head_circumference_cm": "48.0",
        "laboratory-lab_name": LABORATORY,
        **_management("labs", 8),
        "labs-0-analyte": "b12",
        "labs-0-comparator": "<",
        "labs-0-value": "150",
        "labs-0-unit": "pg/mL",
        "labs-1-analyte": "anc",
        "labs-1-comparator": "",
        "labs-1-value": "1.2",
        "labs-1-unit": "10^9/L",
        "dose-planned_dose": str(dose.pk) if dose else "",
        "dose-location": "clinic",
        "dose-site": "left_thigh",
        "dose-lot_number": "HX-2291",
        "denver-item-personal_social-22": "P",
        "denver-item-fine_motor_adaptive-23": "P",
        "denver-item-language-28": "P",
        "denver-item-gross_motor-27": "F",
        "denver-notes": "Cooperative.",
        "imaging-performed_on": DEMO_DAY.isoformat(),
        "imaging-modality": "mri",
        "imaging-body_site": "brain",
        "imaging-impression": "Normal myelination for age; no atrophy.",
        "imaging-comparison": "unchanged",
        **_management("findings", 4),
        "findings-0-finding_type": "no_abnormality",
        "findings-0-region": "whole_study",
        "findings-0-side": "na",
        "findings-0-severity": "na",
        "adverse-event_type": "injection_site_reaction",
        "adverse-severity": "mild",
        "adverse-onset_on": DEMO_DAY.isoformat(),
        "adverse-description": "Redness at the injection site.",
    }
    data.update(overrides)
    return data


# --- what the page offers ---------------------------------------------------------------------


def test_infant_page_links_to_the_visit_log(signed_in, infant_p2):
    page = _text(signed_in("staff").get(f"/infants/{infant_p2.pk}/"))
    assert f'href="{_url(infant_p2)}"' in page


def test_page_shows_the_age_line_and_the_denver_items_sector_by_sector(signed_in, infant_p2):
    response = signed_in("staff").get(_url(infant_p2))
    assert response.status_code == 200
    page = _text(response)
    # Born 2023-02-20, at term: 1370 days on 2026-11-21 is 45.0 months, uncorrected.
    assert "<strong>Age line:</strong> 45.0 months</p>" in page
    assert f'name="visit-visit_date" value="{DEMO_DAY.isoformat()}"' in page
    legends = re.findall(r'<fieldset class="entry sector">\s*<legend>([^<]+)</legend>', page)
    assert legends == ["Personal-social", "Fine motor-adaptive", "Language", "Gross motor"]
    sectors = dict(
        zip(legends, re.split(r'<fieldset class="entry sector">', page)[1:], strict=True)
    )
    # Items the age line crosses, each in its own sector, with its 25-90 % window.
    assert "Copy Circle" in sectors["Fine motor-adaptive"]
    assert "25\u201390 %: 37.2\u201348.0 months" in sectors["Fine motor-adaptive"]
    assert "Hops" in sectors["Gross motor"] and "Hops" not in sectors["Language"]
    # The three nearest wholly left of the line are offered; an infant's item is not.
    assert "Use of 2 Objects" in sectors["Language"]
    assert "Follow to Midline" not in page
    assert 'name="denver-item-gross_motor-27"' in page
    for score in ("Pass", "Fail", "Refused", "No opportunity"):
        assert f">{score}</option>" in page
    # The previous MRI (the repeat at 21 months) with its finding, for comparison.
    assert "Normal: the atrophy has disappeared." in page
    assert "No abnormality: Whole study" in page
    # The units the lab service accepts for each analyte.
    assert "pg/mL, ng/L, pmol/L" in page
    assert "<script" in page and 'src="/static/web/visit-log.js" defer' in page
    assert " style=" not in page and "<style" not in page and " onclick" not in page


def test_every_field_has_a_label(signed_in, infant_p2, dose_today):
    page = _text(signed_in("staff").get(_url(infant_p2)))
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    visible = [i for i in ids if "TOTAL_FORMS" not in i and "FORMS" not in i and i != "id_csrf"]
    assert len(visible) > 60
    for field_id in visible:
        assert f'for="{field_id}"' in page, field_id


def test_offers_the_doses_due_around_the_visit_date(signed_in, infant_p2, dose_today):
    page = _text(signed_in("staff").get(_url(infant_p2)))
    assert f'value="{dose_today.pk}"' in page
    assert f"Dose {dose_today.number} (alternate days), due {DEMO_DAY.day} {DEMO_DAY:%b %Y}" in page
    # Alternate days: the five nearest are those due from four days before to four days after.
    offered = {
        dose.due_on
        for dose in dose_today.course.planned_doses.all()
        if f'name="dose-planned_dose" value="{dose.pk}"' in page
    }
    assert offered == {DEMO_DAY + datetime.timedelta(days=d) for d in (-4, -2, 0, 2, 4)}


# --- a whole visit, saved -------------------------------------------------------------------


def test_a_full_visit_is_saved_through_the_services_and_shown_on_the_infant_page(
    signed_in, infant_p2, dose_today, demo_user
):
    client = signed_in("staff")
    previous = m.ImagingStudy.objects.filter(infant=infant_p2).order_by("-performed_on").first()

    response = client.post(_url(infant_p2), visit_post(dose_today))

    assert response.status_code == 302
    assert response["Location"] == f"/infants/{infant_p2.pk}/"
    staff = demo_user("staff")
    visit = m.Visit.objects.get(infant=infant_p2, visit_date=DEMO_DAY, visit_type="outpatient")
    assert visit.reason == "Follow-up of the relapse" and visit.clinician == staff
    assert visit.history.get().history_user == staff

    measurement = m.GrowthMeasurement.objects.get(visit=visit)
    assert measurement.weight_kg == Decimal("13.1") and measurement.length_position == "standing"
    who = {s.indicator: s for s in measurement.scores.filter(reference_name=core.WHO_2006.name)}
    assert who["wfa"].status == "computed" and who["wfa"].z == Decimal("-1.28")
    assert who["wfh"].status == "computed" and who["hcfa"].z is not None

    b12, anc = (m.LabResult.objects.get(visit=visit, analyte=code) for code in ("b12", "anc"))
    assert (b12.comparator, b12.value, b12.unit) == ("<", Decimal("150"), "pg/mL")
    assert b12.flag == "low" and "clinic range" in b12.flag_rule  # the laboratory's 197-866
    assert b12.b12_status == "deficient"
    assert anc.flag == "low" and anc.lab_name == LABORATORY

    given = m.DoseAdministration.objects.get(planned_dose=dose_today)
    assert (given.given_on, given.site, given.lot_number, given.given_by) == (
        DEMO_DAY,
        "left_thigh",
        "HX-2291",
        staff,
    )
    dose_today.refresh_from_db()
    assert dose_today.status == PlannedDoseStatus.GIVEN

    assessment = m.DenverAssessment.objects.get(visit=visit)
    assert assessment.age_line_months == Decimal("45.01")
    assert assessment.examiner == staff and assessment.test_result
    assert dict(assessment.item_results.values_list("item_code", "score")) == {
        "personal_social:22": "P",
        "fine_motor_adaptive:23": "P",
        "language:28": "P",
        "gross_motor:27": "F",
    }

    study = m.ImagingStudy.objects.get(visit=visit)
    assert (study.compared_with, study.comparison) == (previous, "unchanged")
    assert list(study.findings.values_list("finding_type", "region")) == [
        ("no_abnormality", "whole_study")
    ]

    event = m.AdverseEvent.objects.get(infant=infant_p2, onset_on=DEMO_DAY)
    assert (event.event_type, event.severity) == ("injection_site_reaction", "mild")

    page = _text(client.get(response["Location"]))
    assert "The visit of 2026-11-21 is saved" in page
    assert "Weight-for-age z -1.28" in page  # the z-scores stored for the measurement
    assert "Vitamin B12 (cobalamin), serum &lt;150 pg/mL: Low" in page  # the lab flags
    assert "Absolute neutrophil count 1.2 10^9/L: Low" in page
    timeline = page.split('id="timeline"')[1].split("</section>")[0]
    for shown in (
        "Outpatient visit: Follow-up of the relapse",
        "Absolute neutrophil count: 1.2 10^9/L",
        "Normal myelination for age; no atrophy.",
        "Injection-site reaction (Mild)",
        assessment.get_test_result_display(),
    ):
        assert shown in timeline, shown
    assert timeline.count("Dose given") > 0


def test_a_lead_may_log_a_visit_too(signed_in, infant_p2):
    response = signed_in("lead").post(
        _url(infant_p2),
        blank_post(
            **{"visit-visit_type": "phone", "visit-reason": "Parents called about the tremor"}
        ),
    )
    assert response.status_code == 302
    assert m.Visit.objects.filter(infant=infant_p2, visit_type="phone").count() == 1
    assert not m.GrowthMeasurement.objects.filter(visit__visit_type="phone").exists()


# --- a refused visit: errors inline, values kept, nothing saved ---------------------------------


def test_a_refused_visit_shows_inline_errors_keeps_the_values_and_saves_nothing(
    signed_in, infant_p2, dose_today
):
    client = signed_in("staff")
    before = counts()
    data = visit_post(
        dose_today,
        **{
            "growth-weight_kg": "45",  # z far above WHO's plausible range at 45 months
            "labs-0-unit": "g/dL",  # not a unit of B12
            "denver-item-language-99": "P",  # not an item of the norm table
        },
    )

    response = client.post(_url(infant_p2), data)

    assert response.status_code == 200
    page = _text(response)
    assert "Nothing was saved" in page
    # Each error beside its field, linked to it for assistive technology.
    assert 'id="id_growth-weight_kg_error"' in page
    assert "outside the range WHO considers plausible" in page
    assert re.search(
        r'aria-describedby="id_growth-weight_kg_error"[^>]*aria-invalid="true"', page
    ) or re.search(r'aria-invalid="true"[^>]*aria-describedby="id_growth-weight_kg_error"', page)
    assert 'id="id_labs-0-unit_error"' in page and "g/dL" in page
    assert 'id="denver-errors"' in page and "language:99" in page
    assert 'href="#id_growth-weight_kg"' in page and 'href="#id_labs-0-unit"' in page
    # What was typed is still there.
    assert 'name="growth-weight_kg" value="45"' in page
    assert 'name="labs-0-value" value="150"' in page
    assert '<option value="g/dL" selected>' in page
    assert re.search(
        r'name="denver-item-language-99"[^>]*>.*?<option value="P" selected>', page, re.S
    )
    assert re.search(
        r'name="denver-item-gross_motor-27"[^>]*>.*?<option value="F" selected>', page, re.S
    )
    assert re.search(rf'name="dose-planned_dose" value="{dose_today.pk}"[^>]*checked', page)
    assert "Follow-up of the relapse" in page
    assert "Normal myelination for age; no atrophy." in page
    # The z-scores of what was typed, shown without the script.
    assert "Weight-for-age</span> z +" in page and "implausible: check the value" in page
    # Nothing was saved, not even the parts that were right, and no history was written.
    assert counts() == before
    dose_today.refresh_from_db()
    assert dose_today.status == PlannedDoseStatus.PLANNED


def test_form_errors_and_service_errors_show_together(signed_in, infant_p2):
    before = counts()
    response = signed_in("staff").post(
        _url(infant_p2),
        visit_post(
            **{
                "growth-weight_kg": "thirteen",  # refused by the form
                "labs-0-unit": "g/dL",  # refused by the lab service
                "adverse-resolved_on": (DEMO_DAY - datetime.timedelta(days=2)).isoformat(),
            }
        ),
    )
    assert response.status_code == 200
    page = _text(response)
    assert 'id="id_growth-weight_kg_error"' in page
    assert 'id="id_labs-0-unit_error"' in page
    assert 'id="id_adverse-resolved_on_error"' in page
    assert 'name="growth-weight_kg" value="thirteen"' in page
    assert counts() == before


@pytest.mark.parametrize(
    ("visit_date", "message"),
    [
        (DEMO_DAY + datetime.timedelta(days=1), "is in the future"),
        (datetime.date(2023, 2, 1), "before the infant"),
    ],
)
def test_a_visit_date_that_cannot_be_is_refused_on_its_field(
    signed_in, infant_p2, visit_date, message
):
    before = counts()
    response = signed_in("staff").post(
        _url(infant_p2), visit_post(**{"visit-visit_date": visit_date.isoformat()})
    )
    assert response.status_code == 200
    page = _text(response)
    assert 'id="id_visit-visit_date_error"' in page and message in page
    assert f'name="visit-visit_date" value="{visit_date.isoformat()}"' in page
    assert counts() == before


# --- who may open it --------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["new", "growth-preview"])
def test_guardians_and_other_clinics_get_404(client, signed_in, infant_p2, page):
    query = {"measured_on": DEMO_DAY.isoformat(), "weight_kg": "13"}
    assert signed_in("parent2").get(_url(infant_p2, page), query).status_code == 404
    assert signed_in("parent2").post(_url(infant_p2), visit_post()).status_code == 404
    client.force_login(f.member(f.ClinicFactory(name="Clinic 2"), "staff", username="staff-c2"))
    before = counts()
    assert client.get(_url(infant_p2, page), query).status_code == 404
    assert client.post(_url(infant_p2), visit_post()).status_code == 404
    assert counts() == before


def test_anonymous_is_sent_to_sign_in(client, infant_p2):
    response = client.get(_url(infant_p2))
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


# --- z-scores as they are typed -----------------------------------------------------------------


def test_growth_preview_returns_the_cores_z_scores_and_saves_nothing(signed_in, infant_p2):
    before = counts()
    response = signed_in("staff").get(
        _url(infant_p2, "growth-preview"),
        {
            "measured_on": DEMO_DAY.isoformat(),
            "weight_kg": "13.1",
            "length_cm": "95.2",
            "length_position": "standing",
            "head_circumference_cm": "48",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    age = growth_age(infant_p2.birth_date, DEMO_DAY, gestational_age_days=None)
    expected = core.assess_growth(
        core.GrowthMeasurement(
            sex=core.Sex.FEMALE,
            age_days=age.age_days,
            weight_kg=Decimal("13.1"),
            length_cm=Decimal("95.2"),
            length_recumbent=False,
            head_circumference_cm=Decimal("48"),
        )
    )
    scores = {row["indicator"]: row for row in body["scores"]}
    assert set(scores) == {"wfa", "lfa", "hcfa", "wfh"}  # weight-for-height from 2 years
    for indicator, row in scores.items():
        assert row["z"] == expected[indicator].z
        assert row["centile"] == expected[indicator].centile
    assert body["age_days"] == 1370
    assert counts() == before


def test_growth_preview_on_admission_matches_the_case_report(signed_in, infant_p2):
    """CLINICAL.md section 6: 9 months, 5.6 kg, 60 cm, 40.5 cm is below the 3rd centile on all."""
    admitted = m.Visit.objects.filter(infant=infant_p2, visit_type="admission").earliest(
        "visit_date"
    )
    body = (
        signed_in("staff")
        .get(
            _url(infant_p2, "growth-preview"),
            {
                "measured_on": admitted.visit_date.isoformat(),
                "weight_kg": "5.6",
                "length_cm": "60",
                "length_position": "recumbent",
                "head_circumference_cm": "40.5",
            },
        )
        .json()
    )
    # What record_growth stored for the admission measurement; below the 3rd centile on the
    # three the paper gives.
    stored = m.GrowthScore.objects.filter(
        measurement__infant=infant_p2,
        measurement__measured_on=admitted.visit_date,
        reference_name=core.WHO_2006.name,
        status="computed",
    )
    scores = {row["indicator"]: row for row in body["scores"]}
    assert {score.indicator: score.z for score in stored} == {
        indicator: Decimal(row["text"].split(",")[0].removeprefix("z "))
        for indicator, row in scores.items()
    }
    assert scores["wfa"]["text"] == "z -3.22, centile <0.1"
    assert all(scores[indicator]["centile"] < 3 for indicator in ("wfa", "lfa", "hcfa"))


def test_growth_preview_refuses_what_cannot_be_scored(signed_in, infant_p2):
    client = signed_in("staff")
    bad = client.get(_url(infant_p2, "growth-preview"), {"measured_on": "yesterday"})
    assert bad.status_code == 400 and "measured_on" in bad.json()["errors"]
    before_birth = client.get(
        _url(infant_p2, "growth-preview"),
        {"measured_on": "2020-01-01", "weight_kg": "3", "length_position": "recumbent"},
    ).json()
    assert before_birth["scores"] == [] and before_birth["message"]


# --- query count ----------------------------------------------------------------------------


def test_the_page_reads_a_fixed_number_of_queries_however_long_the_history(
    signed_in, infant_p2, dose_today, demo_user
):
    client = signed_in("staff")
    client.get(_url(infant_p2))  # warm the caches (session, norm table parse)
    with CaptureQueriesContext(connection) as short_history:
        assert client.get(_url(infant_p2)).status_code == 200

    staff = demo_user("staff")
    for days in range(20, 80, 10):
        on = DEMO_DAY - datetime.timedelta(days=days)
        visit = create_record(
            m.Visit, actor=staff, infant=infant_p2, visit_type="outpatient", visit_date=on
        )
        record_lab_result(
            actor=staff,
            infant=infant_p2,
            visit=visit,
            analyte="anc",
            collected_on=on,
            value=Decimal("2.0"),
            unit="10^9/L",
            today=DEMO_DAY,
        )
        study = create_record(
            m.ImagingStudy,
            actor=staff,
            infant=infant_p2,
            visit=visit,
            modality="mri",
            body_site="brain",
            performed_on=on,
            impression="Stable.",
        )
        for region in ("frontal", "parietal"):
            create_record(
                m.ImagingFinding,
                actor=staff,
                study=study,
                finding_type="cortical_atrophy",
                region=region,
                severity="mild",
            )
        record_denver_assessment(
            infant=infant_p2,
            actor=staff,
            assessed_on=on,
            scores={"language:28": "P"},
            today=DEMO_DAY,
        )
        create_record(
            m.AdverseEvent, actor=staff, infant=infant_p2, event_type="tremor", onset_on=on
        )

    with CaptureQueriesContext(connection) as long_history:
        assert client.get(_url(infant_p2)).status_code == 200
    # Thirteen, whatever the history holds: the session, the user, the reader's roles, the
    # clinics in scope, the infant with its clinic, the clinic's laboratories, the doses due
    # around today, the default norm table, the previous study and its findings, the courses,
    # the access-log row, and the guardian row the navigation looks for.
    assert len(long_history.captured_queries) == len(short_history.captured_queries) <= 13
