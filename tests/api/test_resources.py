"""What the endpoints do: computed values come back with the record, voiding replaces deletion,
every read is logged once, guardians see their children's plan and nothing clinical, and the list
machinery (filters, ordering, pages) works as documented."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps

from patients import models as m
from patients.models.audit import AccessAction

pytestmark = pytest.mark.usefixtures("world_a")


def _day(world, days: int) -> str:
    return (world.a.infant.birth_date + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def staff_api(world_a):
    return world_a.callers["staff_1"].client


# --- computed values come back with the record --------------------------------------------------


def test_growth_comes_back_with_z_scores_centiles_and_the_reference(world_a, staff_api):
    response = staff_api.post(
        "/api/v1/growth-measurements/",
        {
            "infant": str(world_a.a.infant.pk),
            "measured_on": _day(world_a, 274),
            "weight_kg": "5.6",
            "length_cm": "60.0",
            "head_circumference_cm": "40.5",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    scores = {s["indicator"]: s for s in response.json()["scores"]}
    assert scores["wfa"]["reference_name"].startswith("WHO")
    assert scores["wfa"]["reference_version"]
    assert Decimal(scores["wfa"]["z"]) < -2 and Decimal(scores["wfa"]["centile"]) < 3


def test_an_implausible_value_is_saved_when_a_clinician_confirms_it(world_a, staff_api):
    body = {"infant": str(world_a.a.infant.pk), "measured_on": _day(world_a, 274)}
    body["weight_kg"] = "25.0"
    assert staff_api.post("/api/v1/growth-measurements/", body, format="json").status_code == 400
    body["confirm_implausible"] = True
    response = staff_api.post("/api/v1/growth-measurements/", body, format="json")
    assert response.status_code == 201
    wfa = next(s for s in response.json()["scores"] if s["indicator"] == "wfa")
    assert wfa["implausible"] is True


def test_lab_result_comes_back_with_flag_range_and_b12_status(world_a, staff_api):
    response = staff_api.post(
        "/api/v1/lab-results/",
        {
            "infant": str(world_a.a.infant.pk),
            "analyte": "b12",
            "collected_on": _day(world_a, 270),
            "comparator": "<",
            "value": "150",
            "unit": "pg/mL",
            "reference_low": "197",
            "reference_high": "866",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["result_text"] == "<150 pg/mL"
    assert result["flag"] == "low" and result["flag_rule"]
    assert result["canonical_unit"] == "pmol/L" and result["canonical_value"]
    assert result["b12_status"] and result["b12_threshold_set"]


def test_denver_comes_back_interpreted_with_the_norm_version(world_a, staff_api):
    response = staff_api.post(
        "/api/v1/denver-assessments/",
        {
            "infant": str(world_a.a.infant.pk),
            "assessed_on": _day(world_a, 300),
            "scores": {"gross_motor:9": "P", "language:7": "F", "personal_social:5": "P"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assessment = response.json()
    assert assessment["norm_version"] and assessment["rules_version"]
    assert assessment["test_result"] in {"normal", "suspect", "untestable"}
    items = {i["item_code"]: i["interpretation"] for i in assessment["item_results"]}
    assert items["language:7"] == "delayed"
    sectors = {s["sector"]: s for s in assessment["sector_summaries"]}
    assert sectors["language"]["counts"]["delayed"] == 1


def test_denver_known_only_from_a_report_keeps_the_reports_sector_conclusions(world_a, staff_api):
    response = staff_api.post(
        "/api/v1/denver-assessments/",
        {
            "infant": str(world_a.a.infant.pk),
            "assessed_on": _day(world_a, 400),
            "sector_findings": [
                {"sector": "language", "conclusion": "delayed", "source_text": "retarded"},
                {"sector": "fine_motor_adaptive", "conclusion": "delayed"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assessment = response.json()
    assert assessment["item_results"] == [] and assessment["test_result"] == ""
    assert {f["sector"] for f in assessment["sector_findings"]} == {
        "language",
        "fine_motor_adaptive",
    }


def test_course_comes_back_with_its_planned_doses(world_a, staff_api):
    response = staff_api.post(
        "/api/v1/treatment-courses/",
        {
            "infant": str(world_a.a.infant.pk),
            "regimen": str(world_a.regimen.pk),
            "started_on": _day(world_a, 400),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    course = response.json()
    assert course["regimen_key"] == "clinic-weekly" and course["regimen_version"] == 1
    doses = course["planned_doses"]
    assert [d["number"] for d in doses] == list(range(1, 12))
    assert doses[0]["due_on"] == _day(world_a, 400)


def test_a_stop_re_plans_the_course_from_its_day(world_a, staff_api):
    course = world_a.a.course
    stop_on = world_a.a.planned_dose.due_on
    response = staff_api.post(
        f"/api/v1/treatment-courses/{course.pk}/events/",
        {"kind": "stop", "on": stop_on.isoformat(), "reason": "Parents moved away."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["status"] == "stopped" and answer["stopped_on"] == stop_on.isoformat()
    assert [e["kind"] for e in answer["events"]] == ["stop"]
    assert all(d["due_on"] < stop_on.isoformat() for d in answer["planned_doses"])
    assert course.planned_doses.filter(status="superseded").exists()


def test_imaging_study_is_saved_with_its_findings(world_a, staff_api):
    response = staff_api.post(
        "/api/v1/imaging-studies/",
        {
            "infant": str(world_a.a.infant.pk),
            "modality": "mri",
            "body_site": "brain",
            "performed_on": _day(world_a, 500),
            "impression": "Improved.",
            "compared_with": str(world_a.a.study.pk),
            "comparison": "improved",
            "findings": [
                {"finding_type": "cortical_atrophy", "region": "frontal", "severity": "mild"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [f["severity"] for f in response.json()["findings"]] == ["mild"]


def test_regimen_preview_returns_the_calendar_and_saves_nothing(world_a, staff_api):
    counts = {
        model: model.objects.count() for model in apps.get_app_config("patients").get_models()
    }
    response = staff_api.post(
        f"/api/v1/regimens/{world_a.regimen.pk}/preview/",
        {"clinic": str(world_a.clinic.pk), "start": "2025-01-06"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    plan = response.json()
    assert [d["date"] for d in plan["doses"][:8]] == [
        "2025-01-06",
        "2025-01-07",
        "2025-01-08",
        "2025-01-09",
        "2025-01-10",
        "2025-01-11",
        "2025-01-12",
        "2025-01-19",
    ]
    assert len(plan["doses"]) == 11
    counts.pop(m.RecordAccess)  # the preview is no patient record: nothing is logged either
    assert counts == {model: model.objects.count() for model in counts}


def test_another_clinics_regimen_cannot_be_previewed_at_this_clinic(world_a):
    admin = world_a.callers["admin"].client
    response = admin.post(
        f"/api/v1/regimens/{world_a.regimen.pk}/preview/",
        {"clinic": str(world_a.other_clinic.pk), "start": "2025-01-06"},
        format="json",
    )
    assert response.status_code == 400
    assert "regimen" in response.json()


# --- voiding replaces deletion ------------------------------------------------------------------


def test_void_keeps_the_record_readable_and_out_of_lists(world_a, staff_api):
    visit = world_a.a.visit
    url = f"/api/v1/visits/{visit.pk}/"
    assert staff_api.delete(url).status_code == 405
    response = staff_api.post(f"{url}void/", {"reason": "Wrong infant."}, format="json")
    assert response.status_code == 200
    assert response.json()["void_reason"] == "Wrong infant."
    assert response.json()["voided_by"] == str(world_a.users["staff_1"].pk)
    listed = staff_api.get("/api/v1/visits/").json()["results"]
    assert str(visit.pk) not in {row["id"] for row in listed}
    voided = staff_api.get("/api/v1/visits/?record_status=voided").json()["results"]
    assert [row["id"] for row in voided] == [str(visit.pk)]
    assert staff_api.get(url).status_code == 200
    history = world_a.callers["lead_1"].client.get(f"{url}history/").json()["results"]
    assert history[0]["history_change_reason"] == "voided: Wrong infant."
    assert history[0]["history_user_name"] == "staff1"
    assert m.Visit.objects.filter(pk=visit.pk).exists()


def test_a_change_is_recorded_in_history_with_its_author(world_a, staff_api):
    url = f"/api/v1/visits/{world_a.a.visit.pk}/"
    response = staff_api.patch(url, {"notes": "Smiles."}, format="json")
    assert response.status_code == 200 and response.json()["notes"] == "Smiles."
    history = world_a.callers["lead_1"].client.get(f"{url}history/").json()
    assert history["count"] == 2
    latest = history["results"][0]
    assert latest["history_type"] == "~" and latest["history_user_name"] == "staff1"
    assert latest["values"]["notes"] == "Smiles."


# --- the access log -----------------------------------------------------------------------------


def _log():
    return list(m.RecordAccess.objects.order_by("at").values("action", "resource", "infant_id"))


def test_a_list_logs_one_row_whatever_its_length(world_a, staff_api):
    before = m.RecordAccess.objects.count()
    staff_api.get(f"/api/v1/planned-doses/?infant={world_a.a.infant.pk}")
    rows = _log()[before:]
    assert rows == [
        {
            "action": AccessAction.LIST,
            "resource": "patients.planneddose",
            "infant_id": world_a.a.infant.pk,
        }
    ]


def test_detail_and_history_reads_log_the_patient(world_a, staff_api):
    before = m.RecordAccess.objects.count()
    staff_api.get(f"/api/v1/lab-results/{world_a.a.lab.pk}/")
    world_a.callers["lead_1"].client.get(f"/api/v1/lab-results/{world_a.a.lab.pk}/history/")
    rows = m.RecordAccess.objects.order_by("at")[before:]
    assert [(r.action, r.resource, r.infant_id, r.object_id) for r in rows] == [
        (AccessAction.READ, "patients.labresult", world_a.a.infant.pk, str(world_a.a.lab.pk)),
        (AccessAction.HISTORY, "patients.labresult", world_a.a.infant.pk, str(world_a.a.lab.pk)),
    ]
    assert rows[0].user == world_a.users["staff_1"] and rows[0].method == "GET"


def test_a_refused_read_leaves_no_trace(world_a):
    before = m.RecordAccess.objects.count()
    other = world_a.callers["staff_2"].client
    assert other.get(f"/api/v1/lab-results/{world_a.a.lab.pk}/").status_code == 404
    assert world_a.callers["guardian_a"].client.get("/api/v1/lab-results/").status_code == 403
    assert m.RecordAccess.objects.count() == before


def test_leads_read_the_access_log_of_their_clinics_patients(world_a, staff_api):
    staff_api.get(f"/api/v1/infants/{world_a.a.infant.pk}/")
    log = world_a.callers["lead_1"].client.get(f"/api/v1/access-log/?infant={world_a.a.infant.pk}")
    assert log.status_code == 200
    assert {"read"} <= {row["action"] for row in log.json()["results"]}
    assert all(row["infant"] == str(world_a.a.infant.pk) for row in log.json()["results"])


# --- guardians ----------------------------------------------------------------------------------


def test_a_guardian_sees_the_plan_and_visits_of_their_child_and_nothing_clinical(world_a):
    guardian = world_a.callers["guardian_a"].client
    m.Visit.objects.create(
        infant=world_a.a.infant,
        visit_type="injection",
        visit_date=datetime.date.today() + datetime.timedelta(days=7),
    )
    children = guardian.get("/api/v1/children/").json()["results"]
    assert [c["id"] for c in children] == [str(world_a.a.infant.pk)]
    child = children[0]
    assert set(child) == {
        "id",
        "given_name",
        "family_name",
        "birth_date",
        "clinic_name",
        "doses",
        "upcoming_visits",
    }
    assert {d["status"] for d in child["doses"]} <= {"planned", "given", "missed"}
    assert child["doses"][0]["status"] == "given"
    assert [v["visit_type"] for v in child["upcoming_visits"]] == ["injection"]
    assert set(child["upcoming_visits"][0]) == {"id", "visit_type", "visit_date"}
    for clinical in ("lab-results", "imaging-studies", "denver-assessments", "infants"):
        assert guardian.get(f"/api/v1/{clinical}/").status_code == 403


def test_a_guardian_acknowledges_their_own_reminder_once(world_a):
    guardian = world_a.callers["guardian_a"].client
    url = f"/api/v1/reminders/{world_a.a.reminder.pk}/acknowledge/"
    first = guardian.post(url, {}, format="json")
    assert first.status_code == 200 and first.json()["acknowledged_at"]
    again = guardian.post(url, {}, format="json")
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]


def test_a_guardian_changes_their_preferences_and_history_names_them(world_a):
    guardian = world_a.callers["guardian_a"].client
    rows = guardian.get("/api/v1/guardians/").json()["results"]
    assert [row["id"] for row in rows] == [str(world_a.a.guardian.pk)]
    response = guardian.patch(
        f"/api/v1/guardians/{world_a.a.guardian.pk}/",
        {"language": "en", "sms_enabled": False, "quiet_hours_start": "21:30"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    saved = m.Guardian.objects.get(pk=world_a.a.guardian.pk)
    assert (saved.language, saved.sms_enabled) == ("en", False)
    assert saved.quiet_hours_start == datetime.time(21, 30)
    assert saved.history.first().history_user == world_a.users["guardian_a"]


# --- lists: filters, ordering, pages; authentication --------------------------------------------


def test_lists_filter_order_and_page(world_a, staff_api):
    course = world_a.a.course
    url = f"/api/v1/planned-doses/?course={course.pk}&ordering=-due_on&page_size=3"
    page = staff_api.get(url).json()
    assert page["count"] == course.planned_doses.count()
    assert len(page["results"]) == 3 and page["next"]
    dates = [row["due_on"] for row in page["results"]]
    assert dates == sorted(dates, reverse=True)
    huge = staff_api.get("/api/v1/planned-doses/?page_size=5000").json()
    assert len(huge["results"]) == min(200, huge["count"])
    assert staff_api.get("/api/v1/visits/?visit_date_from=not-a-date").status_code == 400


def test_a_token_is_exchanged_for_a_password_and_sessions_work_too(world_a, client):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "staff1", "password": "test-password-123"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    listed = client.get("/api/v1/infants/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listed.status_code == 200
    client.force_login(world_a.users["lead_1"])
    assert client.get("/api/v1/access-log/").status_code == 200
    client.logout()
    assert client.get("/api/v1/infants/").status_code == 401
