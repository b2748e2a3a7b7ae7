"""The staff page "Log a visit": the visit and what was measured, given and found at it, in one
form, and the z-scores of the growth being typed.

Reads start from `clinic_infants_for`, as on the infant page; the writes are the visit-log
service's, which saves everything or nothing.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from patients import models as m
from patients.clinical import growth as core
from patients.clinical.ages import AgeAtAssessment
from patients.models.interpretation import ScoreStatus
from patients.models.labs import Analyte, LabUnit
from patients.services import visit_log as service
from patients.services.audit import AccessAction, log_access
from patients.web.access import clinic_infants, clinical_required
from patients.web.pages import page
from patients.web.staff import age_text
from patients.web.visit_log_forms import GrowthPreviewForm, VisitLogForms, accepted_units

INDICATOR_LABELS = {
    core.Indicator.WFA: gettext_lazy("Weight-for-age"),
    core.Indicator.LFA: gettext_lazy("Length/height-for-age"),
    core.Indicator.HCFA: gettext_lazy("Head circumference-for-age"),
    core.Indicator.WFL: gettext_lazy("Weight-for-length"),
    core.Indicator.WFH: gettext_lazy("Weight-for-height"),
}
SECTOR_LABELS = {
    "personal_social": gettext_lazy("Personal-social"),
    "fine_motor_adaptive": gettext_lazy("Fine motor-adaptive"),
    "language": gettext_lazy("Language"),
    "gross_motor": gettext_lazy("Gross motor"),
    "": gettext_lazy("Not in the norm table"),
}
NOT_SCORED = {
    service.NotScored.BEFORE_BIRTH: gettext_lazy("The date is before the birth date."),
    service.NotScored.BEFORE_TERM: gettext_lazy(
        "The infant has not reached the due date; WHO's standards and the Denver II start there."
    ),
    service.NotScored.SEX_NOT_RECORDED: gettext_lazy(
        "WHO has tables for girls and for boys; the infant's sex is not recorded as either."
    ),
}


def _infant(request: HttpRequest, infant_id) -> m.Infant:
    return get_object_or_404(clinic_infants(request).select_related("clinic"), pk=infant_id)


@clinical_required
@require_http_methods(["GET", "POST"])
def log_visit(request: HttpRequest, infant_id) -> HttpResponse:
    infant = _infant(request, infant_id)
    today = infant.clinic.today()
    forms = VisitLogForms(
        request.POST if request.method == "POST" else None, infant=infant, today=today
    )
    preview = None
    if request.method == "POST":
        valid = forms.is_valid()
        # Every part hangs on the visit date: without a valid one, the forms' errors are all.
        if forms.can_check():
            entry = forms.entry()
            # Scored before the services' errors go onto the form, which drops the refused values.
            preview = _page_preview(forms)
            if valid:
                try:
                    logged = service.log_visit(
                        infant=infant, actor=request.user, entry=entry, today=today
                    )
                except service.VisitLogRefused as refused:
                    forms.apply_errors(refused.errors)
                else:
                    messages.success(request, saved_message(logged))
                    return redirect("web:infant", infant_id=infant.pk)
            else:
                # The parts whose forms passed are checked too, so every problem shows at once.
                forms.apply_errors(
                    service.check_visit_log(
                        infant=infant, actor=request.user, entry=entry, today=today
                    )
                )
    log_access(
        request, action=AccessAction.READ, resource=m.Infant, infant=infant, object_id=infant.pk
    )
    return page(request, "web/staff/visit_log.html", _context(forms, preview))


def _context(forms: VisitLogForms, preview: dict | None) -> dict:
    infant, offer = forms.infant, forms.denver.offer
    units = accepted_units()
    unit_labels = dict(LabUnit.choices)
    return {
        "infant": infant,
        "forms": forms,
        "age_text": (
            age_text((forms.on - infant.birth_date).days) if forms.on >= infant.birth_date else ""
        ),
        "age_line_text": _age_line_text(offer.age_line),
        "age_line_missing": NOT_SCORED.get(offer.not_scored, ""),
        "norm_version": offer.norm_version,
        "denver_sectors": [
            (SECTOR_LABELS[sector], rows) for sector, rows in forms.denver.sectors()
        ],
        "previous_study": forms.previous_study,
        "growth_preview": preview,
        "units_json": json.dumps(units),
        "units_by_analyte": [
            (label, [unit_labels[unit] for unit in units[code]])
            for code, label in Analyte.choices
            if code in units
        ],
        "error_summary": forms.error_summary(),
    }


@clinical_required
@require_GET
def growth_preview(request: HttpRequest, infant_id) -> HttpResponse:
    """The WHO z-scores of the values in the query, computed and not saved."""
    infant = _infant(request, infant_id)
    form = GrowthPreviewForm(request.GET)
    if not form.is_valid():
        response = JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    else:
        log_access(
            request,
            action=AccessAction.READ,
            resource=m.Infant,
            infant=infant,
            object_id=infant.pk,
        )
        preview = service.preview_growth(infant=infant, **form.cleaned_data)
        response = JsonResponse(preview_json(preview))
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- what the pages show -------------------------------------------------------------------------


def preview_json(preview: service.GrowthPreview) -> dict:
    age = preview.age
    corrected = age is not None and age.corrected and preview.not_scored is None
    return {
        "age_days": age.age_days if age else None,
        "message": str(NOT_SCORED.get(preview.not_scored, "")),
        "scores": score_rows(preview.results),
        "note": (
            _("Scored on the age corrected for prematurity: %(age)s.")
            % {"age": age_text(age.age_days)}
            if corrected
            else ""
        ),
    }


def score_rows(results: tuple[core.IndicatorResult, ...]) -> list[dict]:
    """The indicators worth showing: those scored, and a value beyond WHO's tables for the age."""
    rows = []
    for result in results:
        if result.status is core.Status.COMPUTED:
            assert result.z is not None and result.centile is not None
            text = _("z %(z)s, centile %(centile)s") % {
                "z": _signed(result.z),
                "centile": _centile(result.centile),
            }
        elif result.value is not None and result.indicator.indexed_by_age:
            text = _("outside the WHO tables for this age")
        else:
            continue
        rows.append(
            {
                "indicator": result.indicator.value,
                "label": str(INDICATOR_LABELS[result.indicator]),
                "z": result.z,
                "centile": result.centile,
                "text": text,
                "implausible": bool(result.implausible),
            }
        )
    return rows


def _page_preview(forms: VisitLogForms) -> dict | None:
    """The z-scores shown on a page sent back with errors, for readers without the script."""
    growth = forms.growth
    if not (growth.is_valid() and growth.is_used()):
        return None
    data = growth.cleaned_data
    return preview_json(
        service.preview_growth(
            infant=forms.infant,
            measured_on=forms.on,
            weight_kg=data["weight_kg"],
            length_cm=data["length_cm"],
            head_circumference_cm=data["head_circumference_cm"],
            length_position=data["length_position"],
        )
    )


def _rounded(number: float, places: int) -> str:
    # Through repr and half up, as the growth service rounds the z-scores it stores.
    exponent = Decimal(1).scaleb(-places)
    return number_format(Decimal(repr(number)).quantize(exponent, rounding=ROUND_HALF_UP), places)


def _signed(number: float) -> str:
    text = _rounded(number, 2)
    return text if text.startswith("-") else f"+{text}"


def _centile(centile: float) -> str:
    # The tails are where these infants are; "0.0" would read as "no one is smaller".
    if centile < 0.1:
        return "<" + _rounded(0.1, 1)
    if centile > 99.9:
        return ">" + _rounded(99.9, 1)
    return _rounded(centile, 1)


def _age_line_text(age_line: AgeAtAssessment | None) -> str:
    if age_line is None or age_line.age_days < 0:
        return ""
    months = _rounded(age_line.age_months, 1)
    if age_line.corrected:
        return _("%(months)s months, corrected for prematurity (%(age)s since birth)") % {
            "months": months,
            "age": age_text(age_line.chronological_age_days),
        }
    return _("%(months)s months") % {"months": months}


def saved_message(logged: service.LoggedVisit) -> str:
    """What was saved, with what the services made of it: the z-scores and the lab flags."""
    visit = logged.visit
    parts = []
    if logged.measurement is not None:
        scores = logged.measurement.scores.filter(
            reference_name=core.WHO_2006.name, status=ScoreStatus.COMPUTED
        ).order_by("indicator")
        parts.append(
            _("growth (%(scores)s)")
            % {
                "scores": "; ".join(
                    f"{INDICATOR_LABELS[core.Indicator(score.indicator)]} z {_signed(float(score.z))}"
                    for score in scores
                )
                or _("no z-score for this age")
            }
        )
    for result in logged.lab_results:
        parts.append(
            _("%(analyte)s %(result)s: %(flag)s")
            % {
                "analyte": result.get_analyte_display(),
                "result": result.result_text,
                "flag": result.get_flag_display(),
            }
        )
    if logged.administration is not None:
        parts.append(
            _("dose %(number)s given") % {"number": logged.administration.planned_dose.number}
        )
    if logged.assessment is not None:
        parts.append(
            _("Denver II: %(result)s") % {"result": logged.assessment.get_test_result_display()}
        )
    if logged.study is not None:
        parts.append(
            _("%(modality)s %(site)s")
            % {
                "modality": logged.study.get_modality_display(),
                "site": logged.study.get_body_site_display(),
            }
        )
    if logged.adverse_event is not None:
        parts.append(
            _("adverse event: %(event)s") % {"event": logged.adverse_event.get_event_type_display()}
        )
    if not parts:
        return _("The visit of %(date)s is saved.") % {"date": visit.visit_date.isoformat()}
    return _("The visit of %(date)s is saved: %(parts)s.") % {
        "date": visit.visit_date.isoformat(),
        "parts": "; ".join(parts),
    }


# Included under infants/<uuid:infant_id>/visits/ by patients/web/urls.py, in its namespace.
urlpatterns = [
    path("new/", log_visit, name="log-visit"),
    path("growth-preview/", growth_preview, name="growth-preview"),
]
