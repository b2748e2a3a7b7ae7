"""The clinic lead's cohort dashboard: the cohort charts under one set of filters, how many infants
they count, and the de-identified export.

Everything is over the clinics the lead leads, the scope of the chart endpoints: the page asks the
chart service for each chart with the same filters the browser's image request then carries, so
the drawing is done once and the image request is served from the chart cache.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from patients import models as m
from patients.charts import loader
from patients.charts.cohort import MINIMUM_CELL
from patients.charts.cohort_data import AGE_GROUPS, CohortFilters, group_of
from patients.models.people import FollowUpStatus, PresentingSignCode, Sex
from patients.selectors import lead_clinics_for
from patients.services import charts as chart_service
from patients.services.audit import AccessAction, log_access
from patients.web.access import lead_required
from patients.web.pages import page

#: What the chart endpoints accept for ``mri_severity`` (patients.api.charts), in the clinic's words.
MRI_SEVERITIES = (
    ("severe", _("Severe")),
    ("moderate", _("Moderate")),
    ("mild", _("Mild")),
    ("normal", _("Normal")),
    ("none", _("No MRI recorded")),
)
#: The groupings of patients.charts.cohort_data.STRATIFICATIONS; the first is the charts' default.
STRATIFICATIONS = (
    ("age_at_diagnosis", _("Age at diagnosis")),
    ("sex", _("Sex")),
    ("mri_severity", _("Severity on the first MRI")),
    ("regimen", _("Regimen")),
    ("none", _("No grouping")),
)
DEFAULT_STRATIFICATION = STRATIFICATIONS[0][0]
AGE_GROUP_LABELS = dict(
    zip(
        AGE_GROUPS,
        (
            _("under 10 months"),
            _("10 to under 13 months"),
            _("13 months or older"),
            _("age at diagnosis not recorded"),
        ),
        strict=True,
    )
)
_ANY = ("", _("Any"))


class CohortFilterForm(forms.Form):
    """The filters of the cohort charts, with the names and limits of their query parameters."""

    diagnosis_age_min_months = forms.FloatField(
        label=_("Diagnosed at or after (months of age)"), required=False, min_value=0, max_value=72
    )
    diagnosis_age_max_months = forms.FloatField(
        label=_("Diagnosed before (months of age)"), required=False, min_value=0, max_value=72
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[_ANY, *Sex.choices], required=False)
    sign = forms.MultipleChoiceField(
        label=_("Presenting signs (all of them)"),
        choices=PresentingSignCode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mri_severity = forms.ChoiceField(
        label=_("Worst finding on the first brain MRI"),
        choices=[_ANY, *MRI_SEVERITIES],
        required=False,
    )
    regimen = forms.ChoiceField(label=_("Regimen"), required=False)
    diagnosed_from = forms.DateField(
        label=_("Diagnosed from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    diagnosed_to = forms.DateField(
        label=_("Diagnosed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    stratify = forms.ChoiceField(
        label=_("Group the infants by"), choices=STRATIFICATIONS, required=False
    )

    def __init__(self, *args, regimens: Sequence[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regimen"].choices = [_ANY, *regimens]

    def clean(self):
        data = super().clean()
        low, high = data.get("diagnosis_age_min_months"), data.get("diagnosis_age_max_months")
        if low is not None and high is not None and low >= high:
            self.add_error(
                "diagnosis_age_max_months",
                _("Give an age above the “diagnosed at or after” age."),
            )
        start, end = data.get("diagnosed_from"), data.get("diagnosed_to")
        if start and end and start > end:
            self.add_error("diagnosed_to", _("Give a day on or after the “diagnosed from” day."))
        return data

    def filters(self) -> CohortFilters:
        """The filters as the chart endpoint builds them from the same query: equal, so the
        chart cache entry drawn for this page is the one the browser's image request finds."""
        data = self.cleaned_data
        return CohortFilters(
            diagnosis_age_min_months=data["diagnosis_age_min_months"],
            diagnosis_age_max_months=data["diagnosis_age_max_months"],
            sex=data["sex"] or None,
            signs=tuple(sorted(set(data["sign"]))),
            mri_severity=data["mri_severity"] or None,
            regimen=data["regimen"] or None,
            diagnosed_from=data["diagnosed_from"],
            diagnosed_to=data["diagnosed_to"],
            stratify=data["stratify"] or DEFAULT_STRATIFICATION,
        )

    def query(self) -> str:
        """The chart endpoints' query string for these filters; empty fields are left out."""
        filters = self.filters()
        pairs: list[tuple[str, str]] = []
        for name in ("diagnosis_age_min_months", "diagnosis_age_max_months"):
            value = getattr(filters, name)
            if value is not None:
                pairs.append((name, f"{value:g}"))
        for name in ("sex", "mri_severity", "regimen"):
            if getattr(filters, name):
                pairs.append((name, getattr(filters, name)))
        pairs += [("sign", sign) for sign in filters.signs]
        for name in ("diagnosed_from", "diagnosed_to"):
            if getattr(filters, name):
                pairs.append((name, getattr(filters, name).isoformat()))
        if filters.stratify != DEFAULT_STRATIFICATION:
            pairs.append(("stratify", filters.stratify))
        return urlencode(pairs)


def regimen_choices(clinic_ids: Sequence[object]) -> list[tuple[str, str]]:
    """The regimens the B12 courses of the lead's clinics follow, by key (what the charts filter
    on), named as the clinic names them."""
    names: dict[str, str] = {}
    for key, name in (
        m.TreatmentCourse.objects.active()
        .filter(infant__clinic_id__in=clinic_ids, drug__in=loader.B12_DRUGS)
        .exclude(regimen_key="")
        .order_by("regimen_key", "-started_on")
        .values_list("regimen_key", "regimen_name")
    ):
        names.setdefault(key, name or key)
    return sorted(names.items(), key=lambda item: item[1].lower())


# --- the summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    """One line of a summary table: one group, or several counted together."""

    labels: tuple[str, ...]
    #: None when the groups together hold fewer than MINIMUM_CELL infants.
    infants: int | None

    @property
    def combined(self) -> bool:
        return len(self.labels) > 1


def grouped_counts(counts: Sequence[tuple[str, int]]) -> list[CountRow]:
    """A table of counts under the charts' small-cell rule.

    No count of 1 to 4 infants is printed. Groups that small are counted together with the other
    small groups (and the empty ones, so that a reader cannot tell which of them hold anyone); when
    they still hold fewer than MINIMUM_CELL infants, the smallest printed group joins them. Every
    number printed is then at least 5, and the numbers of each table add up to the whole: no
    remainder is left that subtracting printed numbers from the total (which the other table gives)
    would reveal. The combined row comes last.
    """
    if all(infants == 0 or infants >= MINIMUM_CELL for _, infants in counts):
        return [CountRow((label,), infants) for label, infants in counts]
    together = {label for label, infants in counts if infants < MINIMUM_CELL}
    printed = sorted(
        ((infants, label) for label, infants in counts if label not in together),
        key=lambda row: row[0],
    )
    held = sum(infants for label, infants in counts if label in together)
    while held < MINIMUM_CELL and printed:
        infants, label = printed.pop(0)
        together.add(label)
        held += infants
    rows = [CountRow((label,), infants) for label, infants in counts if label not in together]
    rows.append(
        CountRow(
            tuple(label for label, _ in counts if label in together),
            held if held >= MINIMUM_CELL else None,
        )
    )
    return rows


@dataclass(frozen=True)
class CohortSummary:
    infants: int
    follow_up: list[CountRow]
    age_at_diagnosis: list[CountRow]

    @property
    def infants_shown(self) -> int | None:
        return self.infants if self.infants >= MINIMUM_CELL else None

    @property
    def combined(self) -> bool:
        return any(row.combined for row in (*self.follow_up, *self.age_at_diagnosis))


def _counts(clinic_ids: list, filters: CohortFilters, today: datetime.date) -> dict:
    """Infants by follow-up status and by age group at diagnosis: the infants the charts count
    (patients.charts.loader.cohort_infants), kept in the chart cache under the same rules."""
    key = chart_service.cache_key(
        chart="summary",
        image_format="counts",
        scope=[*chart_service.cohort_scope(clinic_ids), "filters", repr(filters)],
        version=chart_service.cohort_data_version(clinic_ids, today=today),
    )
    counts = cache.get(key)
    if counts is None:
        infants = loader.cohort_infants(clinic_ids, filters, today=today)
        counts = {
            "follow_up": dict(Counter(infant.follow_up_status for infant in infants)),
            "age": dict(Counter(group_of(infant, "age_at_diagnosis") for infant in infants)),
        }
        cache.set(key, counts, chart_service.CACHE_SECONDS)
    return counts


def cohort_summary(clinics: list[m.Clinic], filters: CohortFilters) -> CohortSummary:
    clinic_ids = [clinic.pk for clinic in clinics]
    counts = _counts(clinic_ids, filters, clinics[0].today())
    follow_up = counts["follow_up"]
    age = counts["age"]
    return CohortSummary(
        infants=sum(follow_up.values()),
        follow_up=grouped_counts(
            [(label, follow_up.get(value, 0)) for value, label in FollowUpStatus.choices]
        ),
        age_at_diagnosis=grouped_counts(
            [(AGE_GROUP_LABELS[group], age.get(group, 0)) for group in AGE_GROUPS]
        ),
    )


# --- the page -----------------------------------------------------------------------------------


def _charts(request: HttpRequest, form: CohortFilterForm) -> list[dict]:
    """Each chart's URLs with the filters, and the title and alt text its renderer wrote."""
    query, filters = form.query(), form.filters()
    charts = []
    for name in chart_service.COHORT_CHARTS:
        chart = chart_service.cohort_chart(
            user=request.user, name=name, image_format="svg", filters=filters
        )
        urls = {
            image_format: reverse(
                "api:api-cohort-chart", kwargs={"name": name, "image_format": image_format}
            )
            + (f"?{query}" if query else "")
            for image_format in ("svg", "png")
        }
        charts.append(
            {
                "name": name,
                "url": urls["svg"],
                "png_url": urls["png"],
                "title": chart.title,
                "alt": chart.alt_text,
            }
        )
    return charts


@lead_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    # Sorted as the chart service sorts them, so "today" is the same clinic's day as the charts'.
    clinics = sorted(lead_clinics_for(request.user), key=lambda clinic: str(clinic.pk))
    if not clinics:
        raise Http404
    form = CohortFilterForm(
        request.GET, regimens=regimen_choices([clinic.pk for clinic in clinics])
    )
    charts, summary = [], None
    if form.is_valid():
        try:
            charts = _charts(request, form)
        except chart_service.NotInScope:
            raise Http404 from None
        summary = cohort_summary(clinics, form.filters())
        log_access(request, action=AccessAction.EXPORT, resource="cohort-summary")
    return page(
        request,
        "web/lead/cohort.html",
        {
            "clinics": clinics,
            "form": form,
            "filtered": bool(form.is_valid() and form.query()),
            "charts": charts,
            "summary": summary,
            "minimum_cell": MINIMUM_CELL,
            "export_url": reverse("api:api-cohort-export"),
        },
    )
