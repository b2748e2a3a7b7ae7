"""A plausible synthetic cohort for demonstrations, charts and benchmarks.

The shape follows CLINICAL.md: signs appear between 2 and 12 months (section 1), most infants are
exclusively breast-fed by a mother with a low-animal-food diet, admission B12 is often reported
censored (`<150 pg/mL`, seed 000), tremor follows the first doses in 19-32 % (section 4), the
atrophy on MRI usually regresses on the repeat scan 8-12 months later (seed 000), and the
hydroxocobalamin taper is daily then monthly (section 3). None of it is a real child.

Rows are written in bulk, batch by batch, together with their history rows, so 100,000 infants
take minutes, not hours; the same seed gives the same cohort.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens, regimen_to_data
from patients.services.bulk import insert_with_history

# The two tapers of seed 000 (CLINICAL.md section 3), as real courses would copy them.
_REGIMENS = tuple(
    load_shipped_regimens()[key] for key in ("seed-000-patient-1", "seed-000-patient-2")
)

GIVEN_NAMES = {
    "male": [
        "Ahmet",
        "Mehmet",
        "Mustafa",
        "Yusuf",
        "Emir",
        "Ömer",
        "Eymen",
        "Kerem",
        "Alparslan",
        "Aras",
    ],
    "female": [
        "Zeynep",
        "Elif",
        "Defne",
        "Asel",
        "Eylül",
        "Azra",
        "Nehir",
        "Ela",
        "Duru",
        "Meryem",
    ],
}
FAMILY_NAMES = [
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Yıldırım",
    "Öztürk",
    "Aydın",
    "Özdemir",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Kara",
    "Koç",
    "Kurt",
    "Özkan",
    "Şimşek",
]
SIGNS = [
    "apathy",
    "irritability",
    "hypotonia",
    "developmental_delay",
    "developmental_regression",
    "tremor",
    "seizures",
    "failure_to_thrive",
    "pallor",
    "hypoactivity",
]

# Creation order respects foreign keys: a batch writes each model before the ones that point to it.
MODEL_ORDER = (
    m.Mother,
    m.Infant,
    m.PresentingSign,
    m.Visit,
    m.GrowthMeasurement,
    m.LabResult,
    m.ImagingStudy,
    m.ImagingFinding,
    m.MilestoneAttainment,
    m.TreatmentCourse,
    m.AdverseEvent,
)


@dataclass
class _Batch:
    rows: dict[type, list] = field(default_factory=lambda: {model: [] for model in MODEL_ORDER})

    def add(self, obj) -> None:
        self.rows[type(obj)].append(obj)

    def write(self, now: datetime.datetime) -> int:
        return sum(
            insert_with_history(model, self.rows[model], now=now, change_reason="synthetic cohort")
            for model in MODEL_ORDER
        )


def _growth(
    rng: random.Random, sex: str, age_days: int, z: float
) -> tuple[Decimal, Decimal, Decimal]:
    """Rough WHO-median-shaped sizes shifted by a z-like offset; plausible, not a reference."""
    months = age_days / 30.4375
    boy = sex == "male"
    weight = (3.3 + 0.75 * min(months, 6) + 0.3 * max(0.0, months - 6) + (0.2 if boy else 0.0)) * (
        1 + 0.11 * z
    )
    length = (
        49.9 + 3.2 * min(months, 4) + 1.3 * max(0.0, months - 4) - 0.2 * max(0.0, months - 12)
    ) + 2.6 * z
    head = (
        34.5 + 1.8 * min(months, 4) + 0.5 * max(0.0, months - 4) - 0.08 * max(0.0, months - 12)
    ) + 1.3 * z
    jitter = rng.uniform(-0.05, 0.05)
    return (
        Decimal(f"{max(weight, 1.5) * (1 + jitter / 10):.2f}"),
        Decimal(f"{max(length, 40):.1f}"),
        Decimal(f"{max(head, 30):.1f}"),
    )


def _infant_rows(
    rng: random.Random, clinic: m.Clinic, number: str, today: datetime.date
) -> Iterator:
    sex = rng.choice(["male", "female"])
    age_at_diagnosis_days = rng.randint(60, 540)
    birth = today - datetime.timedelta(days=age_at_diagnosis_days + rng.randint(0, 4 * 365))
    diagnosed = birth + datetime.timedelta(days=age_at_diagnosis_days)
    family = rng.choice(FAMILY_NAMES)

    mother = m.Mother(
        clinic=clinic,
        given_name=rng.choice(GIVEN_NAMES["female"]),
        family_name=family,
        diet=rng.choices(["low_animal_food", "vegetarian", "vegan", "omnivore"], [70, 12, 8, 10])[
            0
        ],
        deficiency_cause=rng.choices(
            ["dietary", "pernicious_anaemia", "malabsorption", "unknown"], [80, 8, 4, 8]
        )[0],
    )
    yield mother
    preterm = rng.random() < 0.1
    infant = m.Infant(
        clinic=clinic,
        record_number=number,
        given_name=rng.choice(GIVEN_NAMES[sex]),
        family_name=family,
        sex=sex,
        birth_date=birth,
        gestational_age_days=rng.randint(230, 258) if preterm else rng.randint(259, 290),
        birth_weight_g=rng.randint(1800, 2600) if preterm else rng.randint(2600, 4200),
        mother=mother,
        exclusively_breastfed=rng.random() < 0.85,
        diagnosis_date=diagnosed,
        follow_up_status=rng.choices(["active", "completed", "lost"], [80, 12, 8])[0],
    )
    yield infant
    for sign in rng.sample(SIGNS, rng.randint(1, 3)):
        yield m.PresentingSign(infant=infant, sign=sign)

    z = rng.gauss(-1.8, 1.1)  # deficient infants are small at presentation
    first_dose = diagnosed + datetime.timedelta(days=rng.randint(1, 6))
    for offset_months in (0, 1, 3, 6, 12):
        visit_date = (
            first_dose + relativedelta(months=offset_months) if offset_months else diagnosed
        )
        if visit_date > today:
            break
        visit = m.Visit(
            infant=infant,
            visit_type="admission" if not offset_months else "outpatient",
            visit_date=visit_date,
            tone=rng.choice(["hypotonic", "normal"]),
        )
        yield visit
        weight, length, head = _growth(
            rng, sex, (visit_date - birth).days, z + 0.15 * offset_months
        )
        yield m.GrowthMeasurement(
            infant=infant,
            visit=visit,
            measured_on=visit_date,
            weight_kg=weight,
            length_cm=length,
            head_circumference_cm=head,
        )
        if offset_months in (0, 1, 3):
            yield _b12(rng, infant, visit, visit_date, recovering=offset_months > 0)
            haemoglobin = rng.uniform(5.5, 10.5) + 0.8 * offset_months
            yield m.LabResult(
                infant=infant,
                visit=visit,
                analyte="haemoglobin",
                collected_on=visit_date,
                value=Decimal(f"{haemoglobin:.1f}"),
                unit="g/dL",
            )

    scan = m.ImagingStudy(
        infant=infant,
        modality="mri",
        body_site="brain",
        performed_on=diagnosed,
        impression="Cortical atrophy.",
    )
    yield scan
    severity = rng.choice(["mild", "moderate", "severe"])
    yield m.ImagingFinding(
        study=scan,
        finding_type="cortical_atrophy",
        region=rng.choice(["diffuse", "frontal", "frontotemporal"]),
        severity=severity,
    )
    repeat_on = scan.performed_on + relativedelta(months=rng.randint(8, 12))
    if repeat_on <= today:
        resolved = rng.random() < 0.75
        repeat = m.ImagingStudy(
            infant=infant,
            modality="mri",
            body_site="brain",
            performed_on=repeat_on,
            impression="Normal." if resolved else "Residual atrophy.",
            compared_with=scan,
            comparison="resolved" if resolved else "improved",
        )
        yield repeat
        yield m.ImagingFinding(
            study=repeat,
            finding_type="no_abnormality" if resolved else "cortical_atrophy",
            region="whole_study" if resolved else "diffuse",
            side="na" if resolved else "bilateral",
            severity="na" if resolved else "mild",
        )

    # WHO windows (../shared/data/who_motor_windows.csv): late attainment is common in this cohort.
    for milestone, typical_months in (
        ("sitting_without_support", 9),
        ("standing_with_assistance", 12),
        ("first_words", 14),
    ):
        age = max(typical_months, (diagnosed - birth).days / 30.4375) + rng.uniform(0, 8)
        if birth + datetime.timedelta(days=int(age * 30.4375)) <= today:
            yield m.MilestoneAttainment(
                infant=infant,
                milestone=milestone,
                attained_age_months=Decimal(f"{age:.1f}"),
                source="reported",
            )

    regimen = rng.choice(_REGIMENS)
    course = m.TreatmentCourse(
        infant=infant,
        drug=regimen.drug,
        route="intramuscular",
        dose=Decimal("1"),
        dose_unit="mg",
        regimen_name=regimen.name,
        regimen_key=regimen.key,
        regimen_version=regimen.version,
        regimen=regimen_to_data(regimen),
        started_on=first_dose,
    )
    yield course
    if rng.random() < 0.25:  # 19-32 % tremor after the first doses (CLINICAL.md section 4)
        onset = first_dose + datetime.timedelta(days=rng.randint(2, 5))
        resolved_on = onset + datetime.timedelta(days=rng.randint(4, 21))
        yield m.AdverseEvent(
            infant=infant,
            course=course,
            event_type="tremor",
            onset_on=onset,
            resolved_on=resolved_on if resolved_on <= today else None,
            severity="mild",
        )


def _b12(rng: random.Random, infant, visit, on: datetime.date, *, recovering: bool) -> m.LabResult:
    if recovering:
        return m.LabResult(
            infant=infant,
            visit=visit,
            analyte="b12",
            collected_on=on,
            value=Decimal(rng.randint(400, 1500)),
            unit="pg/mL",
        )
    if rng.random() < 0.6:  # below the assay's reporting limit, as in seed 000
        return m.LabResult(
            infant=infant,
            visit=visit,
            analyte="b12",
            collected_on=on,
            comparator="<",
            value=Decimal("150"),
            unit="pg/mL",
        )
    return m.LabResult(
        infant=infant,
        visit=visit,
        analyte="b12",
        collected_on=on,
        value=Decimal(rng.randint(80, 200)),
        unit="pg/mL",
    )


class CohortAlreadyGenerated(Exception):
    pass


def generate_cohort(
    *,
    infants: int,
    clinic: m.Clinic,
    seed: int,
    today: datetime.date,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Create `infants` synthetic infants with their records; returns the number of rows written.

    Each batch commits on its own, so a long run shows progress and an interrupted run keeps
    whole infants only.
    """
    prefix = f"SYN{seed}-"
    if m.Infant.objects.filter(clinic=clinic, record_number__startswith=prefix).exists():
        raise CohortAlreadyGenerated(
            f"A synthetic cohort with seed {seed} already exists in {clinic}; choose another --seed."
        )
    rng = random.Random(seed)
    written = 0
    for start in range(0, infants, batch_size):
        batch = _Batch()
        count = min(batch_size, infants - start)
        for i in range(start, start + count):
            for obj in _infant_rows(rng, clinic, f"{prefix}{i + 1:06d}", today):
                batch.add(obj)
        with transaction.atomic():
            written += batch.write(timezone.now())
        if progress:
            progress(count)
    return written
