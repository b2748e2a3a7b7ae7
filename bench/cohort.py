"""Synthetic cohorts for the benchmark: infants enrolled over two years, with their whole record.

Each clinic's cohort is the follow-up of infants diagnosed over the last two years (the earliest
with two full years of history, the newest admitted this week): mother and guardian with a
sign-in account, reminders consent, visits, growth with its stored WHO scores, labs with their
flags, MRI and its repeat, milestones, a Denver II, the treatment course with every planned dose,
administration and review task, and the reminder messages (sent for the last month, pending for
the planning horizon) - the rows the product's own services would have written, history rows
included.

Speed. The clinical computations (growth scores, lab flags) are the product's own, done once per
*record template*: a few hundred synthetic infants described in days from birth. Every infant of
a cohort is a template placed at its own birth date, so the scores and flags, which depend on age
and not on the calendar, stay exact. Treatment plans depend on the calendar and are computed per
regimen and start date by the product's regimen engine. Rows are streamed with COPY
(bench.bulkcopy) a thousand infants per transaction.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.db import connection, transaction
from django.utils import timezone

from bench.bulkcopy import Rows, new_id
from patients import models as m
from patients.clinical import growth as core_growth
from patients.clinical import labs as core_labs
from patients.clinical import regimens as engine
from patients.clinical.ages import growth_age
from patients.models.reminders import Channel, MessageKind, MessageStatus
from patients.models.treatment import CourseStatus, PlannedDoseStatus
from patients.services import labs as lab_service
from patients.services.alerts import MONITORING_OVERDUE, RULES_VERSION
from patients.services.cohort import FAMILY_NAMES, GIVEN_NAMES, SIGNS
from patients.services.growth import core_measurement
from patients.services.reminders.planning import dose_slot_key, local_send_time, visit_slot_key

HISTORY_DAYS = 730
#: Infants of every cohort with the full two years of history, active and reminded: the ones the
#: detail, page and chart targets read.
FULL_HISTORY = 60
#: Infants diagnosed a month ago: the short records the query-count checks compare with.
SHORT_HISTORY = 10
BATCH = 1000
TEMPLATES = 400
MONTH = 30.4375
_REFERENCE_BIRTH = datetime.date(2020, 1, 1)
_TWO = Decimal("0.01")
_REGIMENS = tuple(
    engine.load_shipped_regimens()[key] for key in ("seed-000-patient-1", "seed-000-patient-2")
)
_REASON = "synthetic benchmark cohort"
# The models a cohort writes, in an order that keeps foreign keys pointing backwards.
MODELS = (
    m.User,
    m.Guardian,
    m.Consent,
    m.Mother,
    m.Infant,
    m.InfantGuardian,
    m.PresentingSign,
    m.Visit,
    m.GrowthMeasurement,
    m.GrowthScore,
    m.LabResult,
    m.ImagingStudy,
    m.ImagingFinding,
    m.MilestoneAttainment,
    m.DenverAssessment,
    m.DenverSectorFinding,
    m.TreatmentCourse,
    m.CourseEvent,
    m.PlannedDose,
    m.DoseAdministration,
    m.ReviewTask,
    m.AdverseEvent,
    m.PlannedMessage,
    m.Alert,
)


# --- record templates ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Template:
    sex: str
    gestational_age_days: int
    birth_weight_g: int
    diagnosis_age: int
    first_dose_age: int
    regimen: engine.Regimen
    signs: tuple[str, ...]
    diet: str
    cause: str
    #: (age in days, visit type, tone); the first is the admission.
    visits: tuple[tuple[int, str, str], ...]
    #: (visit index, weight, length, head, [score fields]).
    growth: tuple[tuple[int, Decimal, Decimal, Decimal, tuple[dict, ...]], ...]
    #: (visit index, lab result fields including the stored interpretation).
    labs: tuple[tuple[int, dict], ...]
    mri_severity: str
    repeat_mri_age: int
    repeat_resolved: bool
    milestones: tuple[tuple[str, Decimal], ...]
    denver_delayed: tuple[str, ...]
    denver_by_items: bool
    tremor: tuple[int, int] | None


def _size(rng: random.Random, sex: str, age_days: int, z: float) -> tuple[Decimal, ...]:
    """WHO-median-shaped weight, length and head size shifted by a z-like offset."""
    months = age_days / MONTH
    boy = 0.2 if sex == "male" else 0.0
    weight = (3.3 + 0.75 * min(months, 6) + 0.3 * max(0.0, months - 6) + boy) * (1 + 0.11 * z)
    length = 49.9 + 3.2 * min(months, 4) + 1.3 * max(0.0, months - 4) - 0.2 * max(0.0, months - 12)
    head = 34.5 + 1.8 * min(months, 4) + 0.5 * max(0.0, months - 4) - 0.08 * max(0.0, months - 12)
    return (
        Decimal(f"{max(weight * (1 + rng.uniform(-0.005, 0.005)), 1.5):.2f}"),
        Decimal(f"{max(length + 2.6 * z, 40):.1f}"),
        Decimal(f"{max(head + 1.3 * z, 30):.1f}"),
    )


def _two_places(number: float | None) -> Decimal | None:
    if number is None:
        return None
    return Decimal(repr(number)).quantize(_TWO, rounding=ROUND_HALF_UP)


def _scores(sex: str, gestation: int, age: int, w, length, head) -> tuple[dict, ...]:
    """The WHO 2006 scores the growth service stores for this measurement."""
    day = _REFERENCE_BIRTH + datetime.timedelta(days=age)
    at = growth_age(_REFERENCE_BIRTH, day, gestational_age_days=gestation)
    row = m.GrowthMeasurement(weight_kg=w, length_cm=length, head_circumference_cm=head)
    results = core_growth.assess_growth(core_measurement(row, sex=sex, age=at)).results
    return tuple(
        {
            "reference_name": r.reference_name,
            "reference_version": r.reference_version,
            "indicator": r.indicator.value,
            "status": r.status.value,
            "age_days": r.age_days,
            "corrected_age_used": r.corrected_age_used,
            "z": _two_places(r.z),
            "centile": _two_places(r.centile),
            "restricted_calculation": r.restricted_calculation,
            "implausible": r.implausible,
            "reason": r.reason[:300],
        }
        for r in results
    )


_INTERPRETATION = (
    "canonical_value",
    "canonical_unit",
    "flag",
    "flag_rule",
    "reference_low",
    "reference_high",
    "reference_source",
    "b12_status",
    "b12_threshold_set",
)


def _lab(clinic: m.Clinic, sex: str, age: int, **fields) -> dict:
    """A result with the flag and status the lab service stores (its own interpretation code)."""
    infant = m.Infant(clinic=clinic, birth_date=_REFERENCE_BIRTH, sex=sex)
    result = m.LabResult(
        infant=infant, collected_on=_REFERENCE_BIRTH + datetime.timedelta(days=age), **fields
    )
    analyte = core_labs.DEFAULT_CATALOGUE.analyte(result.analyte)
    lab_service._interpret_value(result, analyte, subject=infant)
    return {**fields, **{name: getattr(result, name) for name in _INTERPRETATION}}


def make_template(rng: random.Random, clinic: m.Clinic) -> Template:
    sex = rng.choice(["male", "female"])
    preterm = rng.random() < 0.1
    gestation = rng.randint(230, 258) if preterm else rng.randint(259, 290)
    diagnosis = rng.randint(60, 540)
    first_dose = diagnosis + rng.randint(1, 6)
    z = rng.gauss(-1.8, 1.1)
    visits = [(diagnosis, "admission", "hypotonic")]
    for months in (1, 3, 6, 9, 12, 15, 18, 21, 24):
        visits.append(
            (first_dose + round(months * MONTH), "outpatient", rng.choice(["normal", "hypotonic"]))
        )
    growth = []
    for index, (age, _, _) in enumerate(visits):
        w, length, head = _size(rng, sex, age, z + 0.1 * index)
        growth.append((index, w, length, head, _scores(sex, gestation, age, w, length, head)))
    labs = []
    for index, (age, _, _) in enumerate(visits):
        if index in (0, 1, 2, 3, 5, 9):
            if index == 0 and rng.random() < 0.6:  # below the assay's limit, as in seed 000
                b12 = {"analyte": "b12", "comparator": "<", "value": Decimal("150")}
            elif index == 0:
                b12 = {"analyte": "b12", "value": Decimal(rng.randint(80, 200))}
            else:
                b12 = {"analyte": "b12", "value": Decimal(rng.randint(300, 1500))}
            labs.append((index, _lab(clinic, sex, age, unit="pg/mL", **b12)))
        if index in (0, 1, 2):
            haemoglobin = Decimal(f"{rng.uniform(5.5, 10.5) + 0.8 * index:.1f}")
            labs.append(
                (
                    index,
                    _lab(clinic, sex, age, analyte="haemoglobin", value=haemoglobin, unit="g/dL"),
                )
            )
    milestones = []
    for code, typical in (
        ("sitting_without_support", 9),
        ("standing_with_assistance", 12),
        ("first_words", 14),
    ):
        months = max(typical, diagnosis / MONTH) + rng.uniform(0, 8)
        milestones.append((code, Decimal(f"{months:.1f}")))
    late = diagnosis > 396
    delayed = tuple(
        sector
        for sector in ("language", "fine_motor_adaptive", "personal_social", "gross_motor")
        if rng.random() < (0.55 if late else 0.2)
    )
    onset = first_dose + rng.randint(2, 5)
    return Template(
        sex=sex,
        gestational_age_days=gestation,
        birth_weight_g=rng.randint(1800, 2600) if preterm else rng.randint(2600, 4200),
        diagnosis_age=diagnosis,
        first_dose_age=first_dose,
        regimen=rng.choice(_REGIMENS),
        signs=tuple(rng.sample(SIGNS, rng.randint(1, 3))),
        diet=rng.choices(["low_animal_food", "vegetarian", "vegan", "omnivore"], [70, 12, 8, 10])[
            0
        ],
        cause=rng.choices(
            ["dietary", "pernicious_anaemia", "malabsorption", "unknown"], [80, 8, 4, 8]
        )[0],
        visits=tuple(visits),
        growth=tuple(growth),
        labs=tuple(labs),
        mri_severity=rng.choice(["mild", "moderate", "severe"]),
        repeat_mri_age=diagnosis + round(rng.randint(8, 12) * MONTH),
        repeat_resolved=rng.random() < 0.75,
        milestones=tuple(milestones),
        denver_delayed=delayed,
        denver_by_items=rng.random() < 0.6,
        tremor=(onset, onset + rng.randint(4, 21)) if rng.random() < 0.25 else None,
    )


# --- one cohort ----------------------------------------------------------------------------------


@dataclasses.dataclass
class CohortResult:
    clinic: m.Clinic
    infants: int
    rows: int
    seconds: float
    #: Infants with the full two years of history (active, reminded, course running).
    full_history: list[str]
    short_history: list[str]


class _Writer:
    def __init__(self, now: datetime.datetime) -> None:
        self.tables = {model: Rows(model, now=now, reason=_REASON) for model in MODELS}

    def __getitem__(self, model) -> Rows:
        return self.tables[model]

    def flush(self) -> int:
        return sum(self.tables[model].flush() for model in MODELS)


class _Plans:
    """Course plans by regimen and start date: the regimen engine's, as start_course gets them."""

    def __init__(self, horizon: datetime.date) -> None:
        self.horizon = horizon
        self.cache: dict[tuple[str, datetime.date], engine.CoursePlan] = {}

    def __call__(self, regimen: engine.Regimen, start: datetime.date) -> engine.CoursePlan:
        key = (regimen.key, start)
        plan = self.cache.get(key)
        if plan is None:
            plan = engine.preview_course(regimen, start, horizon=max(self.horizon, start))
            self.cache[key] = plan
        return plan


_uuid = new_id


def seed_cohort(
    *,
    clinic: m.Clinic,
    infants: int,
    templates: list[Template],
    staff: m.User,
    seed: int,
    tag: str,
    processes: int = 1,
    progress: Callable[[str], None] = print,
) -> CohortResult:
    """Write a cohort of `infants`; with `processes` > 1, in that many forked writers at once.

    Most of a batch's time is PostgreSQL's (index upkeep, foreign-key checks at commit), so a
    second writer keeps the second core busy while the first builds its rows.
    """
    started = time.monotonic()
    if processes <= 1 or infants < 4 * BATCH:
        part = _seed_part(clinic, templates, staff, seed, tag, 0, infants, infants, progress)
        parts = [part]
    else:
        parts = _in_processes(
            processes,
            lambda k, lo, hi: _seed_part(
                clinic, templates, staff, seed + k, tag, lo, hi, infants, progress
            ),
            infants,
        )
    return CohortResult(
        clinic=clinic,
        infants=infants,
        rows=sum(p["rows"] for p in parts),
        seconds=time.monotonic() - started,
        full_history=[i for p in parts for i in p["full_history"]],
        short_history=[i for p in parts for i in p["short_history"]],
    )


def _in_processes(processes: int, work, total: int) -> list[dict]:
    """Run work(k, lo, hi) over `total` split in `processes` forked children; their results."""
    import multiprocessing
    import traceback

    from django.db import connections

    # A forked child must not share the parent's database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    bounds = [round(total * k / processes) for k in range(processes + 1)]

    def child(k: int) -> None:
        try:
            queue.put((k, work(k, bounds[k], bounds[k + 1])))
        except BaseException:
            queue.put((k, traceback.format_exc()))
        finally:
            connections.close_all()

    children = [context.Process(target=child, args=(k,)) for k in range(processes)]
    for process in children:
        process.start()
    results: dict[int, dict] = {}
    for _ in children:
        k, result = queue.get()
        if isinstance(result, str):
            for process in children:
                process.terminate()
            raise RuntimeError(f"cohort writer {k} failed:\n{result}")
        results[k] = result
    for process in children:
        process.join()
    return [results[k] for k in sorted(results)]


def _seed_part(
    clinic, templates, staff, seed: int, tag: str, first: int, stop: int, total: int, progress
) -> dict:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    now = timezone.now()
    today = clinic.today()
    horizon = today + datetime.timedelta(days=365)
    plans = _Plans(horizon)
    guardian_prefs = m.Guardian()  # the defaults: Istanbul, 19:00 and 08:00, quiet 22-07
    send_times: dict[tuple[datetime.date, datetime.time], datetime.datetime] = {}

    def send_time(day: datetime.date, at: datetime.time) -> datetime.datetime:
        key = (day, at)
        if key not in send_times:
            send_times[key] = local_send_time(guardian_prefs, day, at)
        return send_times[key]

    w = _Writer(now)
    started = time.monotonic()
    rows = 0
    full_history: list[str] = []
    short_history: list[str] = []
    with connection.cursor() as cursor:
        # Only this connection's commits; a crash mid-seed loses the last batch, and a new run
        # recreates the database anyway.
        cursor.execute("SET synchronous_commit TO off")
    for start in range(first, stop, BATCH):
        with transaction.atomic():
            for i in range(start, min(stop, start + BATCH)):
                if i < FULL_HISTORY:
                    history, active = HISTORY_DAYS, True
                elif i < FULL_HISTORY + SHORT_HISTORY:
                    history, active = 30, True
                else:
                    history = rng.randint(0, HISTORY_DAYS)
                    active = rng.random() < 0.85
                infant_id = _infant(
                    w,
                    rng,
                    rng.choice(templates),
                    clinic=clinic,
                    staff=staff,
                    number=f"{tag}-{i + 1:06d}",
                    history=history,
                    active=active,
                    reminded=active and (i < FULL_HISTORY + SHORT_HISTORY or rng.random() < 0.9),
                    today=today,
                    now=now,
                    plans=plans,
                    send_time=send_time,
                )
                if i < FULL_HISTORY:
                    full_history.append(str(infant_id))
                elif i < FULL_HISTORY + SHORT_HISTORY:
                    short_history.append(str(infant_id))
            rows += w.flush()
        done = min(stop, start + BATCH) - first
        elapsed = time.monotonic() - started
        if done % (10 * BATCH) == 0 or start + BATCH >= stop:
            progress(
                f"  {clinic.name} [{first:,}-{stop:,} of {total:,}]: {done:,} infants, "
                f"{rows:,} rows, {elapsed:.0f} s"
            )
    return {"rows": rows, "full_history": full_history, "short_history": short_history}


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)


def _infant(
    w: _Writer,
    rng: random.Random,
    t: Template,
    *,
    clinic: m.Clinic,
    staff: m.User,
    number: str,
    history: int,
    active: bool,
    reminded: bool,
    today: datetime.date,
    now: datetime.datetime,
    plans: _Plans,
    send_time,
) -> str:
    day = datetime.timedelta
    birth = today - day(days=t.diagnosis_age + history)
    diagnosed = birth + day(days=t.diagnosis_age)
    family = rng.choice(FAMILY_NAMES)
    mother_name = rng.choice(GIVEN_NAMES["female"])

    # The mother is the guardian who signs in and is reminded.
    user_id, guardian_id, mother_id, infant_id = _uuid(), _uuid(), _uuid(), _uuid()
    w[m.User].add(
        id=user_id,
        password="!bench",  # noqa: S106 - unusable: the benchmark guardians never sign in
        username=f"{number.lower()}-mother",
        first_name=mother_name,
        last_name=family,
        email=f"{number.lower()}@example.org",
        is_active=True,
        date_joined=now,
    )
    email = rng.random() < 0.3
    w[m.Guardian].add(
        id=guardian_id,
        user_id=user_id,
        phone=f"+90532{rng.randint(0, 9_999_999):07d}",
        email=f"{number.lower()}@example.org",
        email_enabled=email,
    )
    if reminded:
        w[m.Consent].add(
            id=_uuid(),
            guardian_id=guardian_id,
            purpose="reminders",
            text_version="bench-1",
            given_at=min(now, _noon(diagnosed)),
            recorded_by_id=staff.pk,
        )
    w[m.Mother].add(
        id=mother_id,
        clinic_id=clinic.pk,
        given_name=mother_name,
        family_name=family,
        diet=t.diet,
        deficiency_cause=t.cause,
        guardian_id=guardian_id,
    )
    w[m.Infant].add(
        id=infant_id,
        clinic_id=clinic.pk,
        record_number=number,
        given_name=rng.choice(GIVEN_NAMES[t.sex]),
        family_name=family,
        sex=t.sex,
        birth_date=birth,
        gestational_age_days=t.gestational_age_days,
        birth_weight_g=t.birth_weight_g,
        mother_id=mother_id,
        exclusively_breastfed=True,
        diagnosis_date=diagnosed,
        follow_up_status="active" if active else rng.choice(["completed", "lost"]),
    )
    w[m.InfantGuardian].add(
        id=_uuid(),
        infant_id=infant_id,
        guardian_id=guardian_id,
        relationship="mother",
        is_primary=True,
    )
    for sign in t.signs:
        w[m.PresentingSign].add(id=_uuid(), infant_id=infant_id, sign=sign)

    # Visits and what was measured at them, up to today; the next one booked for active infants.
    visit_ids: list[str | None] = []
    booked: tuple[str, datetime.date] | None = None
    for age, visit_type, tone in t.visits:
        on = birth + day(days=age)
        if on > today:
            if active and booked is None:
                booked = (_uuid(), on)
                w[m.Visit].add(
                    id=booked[0], infant_id=infant_id, visit_type="outpatient", visit_date=on
                )
            visit_ids.append(None)
            continue
        visit_id = _uuid()
        visit_ids.append(visit_id)
        w[m.Visit].add(
            id=visit_id,
            infant_id=infant_id,
            visit_type=visit_type,
            visit_date=on,
            tone=tone,
            clinician_id=staff.pk,
        )
    for index, weight, length, head, scores in t.growth:
        visit_id = visit_ids[index]
        if visit_id is None:
            continue
        measurement_id = _uuid()
        w[m.GrowthMeasurement].add(
            id=measurement_id,
            infant_id=infant_id,
            visit_id=visit_id,
            measured_on=birth + day(days=t.visits[index][0]),
            weight_kg=weight,
            length_cm=length,
            head_circumference_cm=head,
        )
        for score in scores:
            w[m.GrowthScore].add(id=_uuid(), measurement_id=measurement_id, **score)
    for index, fields in t.labs:
        visit_id = visit_ids[index]
        if visit_id is None:
            continue
        w[m.LabResult].add(
            id=_uuid(),
            infant_id=infant_id,
            visit_id=visit_id,
            collected_on=birth + day(days=t.visits[index][0]),
            **fields,
        )

    scan_id = _uuid()
    w[m.ImagingStudy].add(
        id=scan_id,
        infant_id=infant_id,
        modality="mri",
        body_site="brain",
        performed_on=diagnosed,
        impression="Cortical atrophy.",
    )
    w[m.ImagingFinding].add(
        id=_uuid(),
        study_id=scan_id,
        finding_type="cortical_atrophy",
        region="frontotemporal",
        severity=t.mri_severity,
    )
    repeat_on = birth + day(days=t.repeat_mri_age)
    if repeat_on <= today:
        repeat_id = _uuid()
        resolved = t.repeat_resolved
        w[m.ImagingStudy].add(
            id=repeat_id,
            infant_id=infant_id,
            modality="mri",
            body_site="brain",
            performed_on=repeat_on,
            impression="Normal." if resolved else "Residual atrophy.",
            compared_with_id=scan_id,
            comparison="resolved" if resolved else "improved",
        )
        w[m.ImagingFinding].add(
            id=_uuid(),
            study_id=repeat_id,
            finding_type="no_abnormality" if resolved else "cortical_atrophy",
            region="whole_study" if resolved else "diffuse",
            side="na" if resolved else "bilateral",
            severity="na" if resolved else "mild",
        )
    for code, months in t.milestones:
        if birth + day(days=int(float(months) * MONTH)) <= today:
            w[m.MilestoneAttainment].add(
                id=_uuid(),
                infant_id=infant_id,
                milestone=code,
                attained_age_months=months,
                source="reported",
            )
    denver_on = diagnosed + day(days=round(12 * MONTH))
    if denver_on <= today:
        _denver(w, t, infant_id, denver_on, birth)

    _course(
        w,
        rng,
        t,
        infant_id=infant_id,
        guardian_id=guardian_id,
        staff=staff,
        birth=birth,
        today=today,
        now=now,
        active=active,
        reminded=reminded,
        email=email,
        plans=plans,
        send_time=send_time,
        booked=booked,
    )
    if active and rng.random() < 0.03:
        w[m.Alert].add(
            id=_uuid(),
            infant_id=infant_id,
            code=f"{MONITORING_OVERDUE}:potassium_48h",
            severity="warning",
            message="Overdue: serum potassium within 48 hours of the first dose.",
            evidence=["no potassium recorded in the window"],
            source="Synthetic benchmark cohort",
            rules_version=RULES_VERSION,
            raised_at=now - datetime.timedelta(days=rng.randint(0, 20)),
        )
    return infant_id


def _denver(w: _Writer, t: Template, infant_id, on: datetime.date, birth: datetime.date) -> None:
    sectors = ("personal_social", "fine_motor_adaptive", "language", "gross_motor")
    age_months = Decimal(f"{(on - birth).days / MONTH:.2f}")
    assessment_id = _uuid()
    delayed = t.denver_delayed
    w[m.DenverAssessment].add(
        id=assessment_id,
        infant_id=infant_id,
        assessed_on=on,
        age_line_months=age_months,
        test_result=("suspect" if delayed else "normal") if t.denver_by_items else "",
        sector_summaries=[
            {
                "sector": sector,
                "counts": {
                    "advanced": 0,
                    "normal": 6,
                    "caution": 0,
                    "delayed": 1 if sector in delayed else 0,
                    "no_opportunity": 0,
                },
                "developmental_age": {
                    "months": float(age_months) - (6 if sector in delayed else 0),
                    "kind": "estimate",
                },
            }
            for sector in sectors
        ]
        if t.denver_by_items
        else [],
    )
    if not t.denver_by_items:
        for sector in delayed:
            w[m.DenverSectorFinding].add(
                id=_uuid(), assessment_id=assessment_id, sector=sector, conclusion="delayed"
            )


def _course(
    w: _Writer,
    rng: random.Random,
    t: Template,
    *,
    infant_id,
    guardian_id,
    staff: m.User,
    birth: datetime.date,
    today: datetime.date,
    now: datetime.datetime,
    active: bool,
    reminded: bool,
    email: bool,
    plans: _Plans,
    send_time,
    booked,
) -> None:
    day = datetime.timedelta
    regimen = t.regimen
    started = birth + day(days=t.first_dose_age)
    if started > today:
        started = today
    plan = plans(regimen, started)
    first = regimen.phases[0]
    stopped_on = (
        None if active else today - day(days=rng.randint(0, max(0, (today - started).days)))
    )
    course_id = _uuid()
    w[m.TreatmentCourse].add(
        id=course_id,
        infant_id=infant_id,
        drug=regimen.drug,
        route=str(first.route),
        dose=first.dose,
        dose_unit=str(first.unit),
        regimen_name=regimen.name,
        regimen_key=regimen.key,
        regimen_version=regimen.version,
        regimen_source=regimen.source[:300],
        regimen=engine.regimen_to_data(regimen),
        planned_until=plans.horizon,
        started_on=started,
        prescribed_by_id=staff.pk,
        status=CourseStatus.ACTIVE if active else CourseStatus.STOPPED,
        stopped_on=stopped_on,
        stop_reason="" if active else "Follow-up ended.",
    )
    channels = [Channel.SMS, Channel.EMAIL] if email else [Channel.SMS]
    remind_from = today - day(days=30)
    recent = today - day(days=14)
    for dose in plan.doses:
        on = dose.date
        if stopped_on is not None and on > stopped_on:
            break
        draw = rng.random()
        given_on = None
        if on < recent:
            if draw < 0.03:
                status = PlannedDoseStatus.MISSED
                # Staff acted on it: the miss is a course event, so it left the worklist.
                w[m.CourseEvent].add(
                    id=_uuid(),
                    course_id=course_id,
                    kind="missed",
                    on=on,
                    reason="Family did not come.",
                    recorded_by_id=staff.pk,
                )
            else:
                status = PlannedDoseStatus.GIVEN
                late = rng.randint(1, 6) if draw < 0.08 else 0
                given_on = min(today - day(days=1), on + day(days=late))
        elif on < today:
            status = PlannedDoseStatus.MISSED if draw < 0.05 else PlannedDoseStatus.GIVEN
            given_on = on if status == PlannedDoseStatus.GIVEN else None
        else:
            status = PlannedDoseStatus.PLANNED
        dose_id = _uuid()
        w[m.PlannedDose].add(
            id=dose_id,
            course_id=course_id,
            number=dose.sequence,
            phase_number=dose.phase_number,
            phase_name=dose.phase_name,
            number_in_phase=dose.sequence_in_phase,
            due_on=on,
            original_due_on=dose.original_date,
            dose=dose.dose,
            dose_unit=str(dose.unit),
            route=str(dose.route),
            at_home=dose.given_at_home,
            status=status,
        )
        if given_on is not None:
            w[m.DoseAdministration].add(
                id=_uuid(),
                course_id=course_id,
                planned_dose_id=dose_id,
                given_on=given_on,
                given_by_id=None if dose.given_at_home else staff.pk,
                location="home" if dose.given_at_home else "clinic",
                site="left_thigh" if dose.sequence % 2 else "right_thigh",
                dose=dose.dose,
                dose_unit=str(dose.unit),
                route=str(dose.route),
            )
        if reminded and on >= remind_from:
            slot = SimpleNamespace(course_id=course_id, number=dose.sequence, due_on=on)
            for kind, at, offset in (
                (MessageKind.DOSE_EVENING_BEFORE, datetime.time(19), -1),
                (MessageKind.DOSE_MORNING_OF, datetime.time(8), 0),
            ):
                due_at = send_time(on + day(days=offset), at)
                for channel in channels:
                    _message(
                        w,
                        rng,
                        now,
                        dose_slot_key(slot, guardian_id, channel, kind),
                        guardian_id=guardian_id,
                        infant_id=infant_id,
                        planned_dose_id=dose_id,
                        kind=kind,
                        channel=channel,
                        due_at=due_at,
                        event_on=on,
                    )
    for point in plan.review_points:
        if stopped_on is not None and point.date > stopped_on:
            break
        settled = point.date < today - day(days=7)
        w[m.ReviewTask].add(
            id=_uuid(),
            course_id=course_id,
            phase_number=point.phase_number,
            phase_name=point.phase_name,
            due_on=point.date,
            question=point.question,
            completed_at=_noon(point.date) if settled else None,
            completed_by_id=staff.pk if settled else None,
            outcome="Continue." if settled else "",
        )
    if t.tremor is not None:
        onset = birth + day(days=t.tremor[0])
        resolved = birth + day(days=t.tremor[1])
        if onset <= today:
            w[m.AdverseEvent].add(
                id=_uuid(),
                infant_id=infant_id,
                course_id=course_id,
                event_type="tremor",
                onset_on=onset,
                resolved_on=resolved if resolved <= today else None,
                severity="mild",
            )
    if reminded and booked is not None:
        visit_id, on = booked
        visit = SimpleNamespace(pk=visit_id, visit_date=on)
        for kind, at, offset in (
            (MessageKind.VISIT_EVENING_BEFORE, datetime.time(19), -1),
            (MessageKind.VISIT_MORNING_OF, datetime.time(8), 0),
        ):
            due_at = send_time(on + day(days=offset), at)
            for channel in channels:
                _message(
                    w,
                    rng,
                    now,
                    visit_slot_key(visit, guardian_id, channel, kind),
                    guardian_id=guardian_id,
                    infant_id=infant_id,
                    visit_id=visit_id,
                    kind=kind,
                    channel=channel,
                    due_at=due_at,
                    event_on=on,
                )


def _message(w: _Writer, rng: random.Random, now, slot_key: str, *, due_at, **fields) -> None:
    message_id = _uuid()
    if due_at <= now:
        sent_at = due_at + datetime.timedelta(seconds=rng.randint(2, 40))
        w[m.PlannedMessage].add(
            id=message_id,
            slot_key=slot_key,
            due_at=due_at,
            status=MessageStatus.SENT,
            attempts=1,
            claimed_at=due_at,
            sent_at=sent_at,
            provider_message_id=f"loopback-{message_id}",
            **fields,
        )
    else:
        w[m.PlannedMessage].add(id=message_id, slot_key=slot_key, due_at=due_at, **fields)


# --- the infants of the planning benchmark -------------------------------------------------------


def seed_unplanned_infants(
    *, clinic: m.Clinic, infants: int, staff: m.User, seed: int, tag: str
) -> list[str]:
    """Infants with a reminded guardian and no course yet: what planning starts from."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    now = timezone.now()
    today = clinic.today()
    w = _Writer(now)
    ids: list[str] = []
    for start in range(0, infants, BATCH):
        with transaction.atomic():
            for i in range(start, min(infants, start + BATCH)):
                number = f"{tag}-{i + 1:06d}"
                user_id, guardian_id, infant_id = _uuid(), _uuid(), _uuid()
                sex = rng.choice(["male", "female"])
                family = rng.choice(FAMILY_NAMES)
                w[m.User].add(
                    id=user_id,
                    password="!bench",  # noqa: S106 - an unusable password
                    username=f"{number.lower()}-mother",
                    last_name=family,
                    is_active=True,
                    date_joined=now,
                )
                w[m.Guardian].add(
                    id=guardian_id,
                    user_id=user_id,
                    phone=f"+90533{rng.randint(0, 9_999_999):07d}",
                    email=f"{number.lower()}@example.org",
                    email_enabled=rng.random() < 0.3,
                )
                w[m.Consent].add(
                    id=_uuid(),
                    guardian_id=guardian_id,
                    purpose="reminders",
                    text_version="bench-1",
                    given_at=now - datetime.timedelta(days=1),
                    recorded_by_id=staff.pk,
                )
                birth = today - datetime.timedelta(days=rng.randint(60, 540))
                w[m.Infant].add(
                    id=infant_id,
                    clinic_id=clinic.pk,
                    record_number=number,
                    given_name=rng.choice(GIVEN_NAMES[sex]),
                    family_name=family,
                    sex=sex,
                    birth_date=birth,
                    diagnosis_date=today,
                )
                w[m.InfantGuardian].add(
                    id=_uuid(),
                    infant_id=infant_id,
                    guardian_id=guardian_id,
                    relationship="mother",
                    is_primary=True,
                )
                ids.append(str(infant_id))
            w.flush()
    return ids
