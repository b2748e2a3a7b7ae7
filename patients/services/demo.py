"""Demo data: one clinic, one user per role, and the two infants of seed 000 as the paper tells them.

Source: Ozyurek H, Ceyhan M, Ince H, Aydin OF. Vitamin B12 deficiency as a treatable cause of
severe brain atrophy. Neurology Asia 2021 (../shared/seeds/000_760e37d9b31a9411.txt). Every fact
below is from that report; only the calendar is chosen, by fixing the two birth dates and deriving
each date from the ages and hospital days the paper gives. Where the paper is silent (names, the
exact day of a test within an admission) the choice is stated beside it.

Idempotent: every object is found by a natural key (clinic name, username, record number) and an
infant whose record already exists is left exactly as it is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens
from patients.models.clinics import Role
from patients.services.alerts import refresh_alerts
from patients.services.development import record_milestone
from patients.services.growth import record_growth
from patients.services.labs import record_lab_result
from patients.services.records import create_record
from patients.services.reminders import plan_reminders, record_reminder_consent
from patients.services.roles import add_membership, sync_role_groups
from patients.services.treatment import record_administration, record_course_event, start_course
from patients.services.visits import book_visit

CLINIC_NAME = "Demo Paediatric Neurology Clinic"
LABORATORY = "Hospital laboratory (seed 000)"
# The ranges seed 000's laboratory printed beside its results ("<150 pg/mL N:197-866",
# "folate >15 N:3-14"), kept as the clinic's ranges for that laboratory so every later result
# from it is flagged against them.
LABORATORY_RANGES = (
    ("b12", "pg/mL", "197", "866"),
    ("folate", "ng/mL", "3", "14"),
)
PATIENT_1_BIRTH = datetime.date(2023, 9, 4)
PATIENT_2_BIRTH = datetime.date(2023, 2, 20)


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    role: str  # a clinic Role, or "guardian"

    @property
    def description(self) -> str:
        return {
            "staff": "clinic staff",
            "lead": "clinic lead",
            "administrator": "administrator",
        }.get(self.role, "guardian (parent)")


DEMO_USERS = (
    DemoUser("staff", "demo-staff-pass", "Selin", "Aydın", Role.STAFF),
    DemoUser("lead", "demo-lead-pass", "Kemal", "Arslan", Role.LEAD),
    DemoUser("admin", "demo-admin-pass", "Derya", "Koç", Role.ADMINISTRATOR),
    DemoUser("parent1", "demo-parent-pass", "Fatma", "Yıldız", "guardian"),
    DemoUser("parent2", "demo-parent-pass", "Hatice", "Demir", "guardian"),
)


def _months(date: datetime.date, months: int) -> datetime.date:
    return date + relativedelta(months=months)


class _Story:
    """Writes one infant's timeline with one actor, so every history row names the staff user."""

    def __init__(self, actor: m.User, today: datetime.date) -> None:
        self.actor = actor
        self.today = today

    def treat(
        self,
        infant: m.Infant,
        regimen_key: str,
        first_dose: datetime.date,
        *,
        given_until: datetime.date,
        stop_on: datetime.date | None = None,
        stop_reason: str = "",
    ) -> m.TreatmentCourse:
        """Start the case's regimen and record each dose the paper says was given.

        The report gives the regimen, not a dose-by-dose log, so the administration dates are the
        regimen's dates; the first phase was given on the ward, later phases in clinic.
        """
        course = start_course(
            infant=infant,
            actor=self.actor,
            regimen=load_shipped_regimens()[regimen_key],
            started_on=first_dose,
            indication="Infantile vitamin B12 deficiency with cerebral atrophy",
            today=self.today,
        )
        if stop_on is not None:
            record_course_event(
                course, actor=self.actor, kind="stop", on=stop_on, reason=stop_reason
            )
        for planned in course.planned_doses.active().filter(
            status="planned", due_on__lte=given_until
        ):
            record_administration(
                planned,
                actor=self.actor,
                given_on=planned.due_on,
                given_by=self.actor,
                location="ward" if planned.phase_number == 1 else "clinic",
                notes="Date from the regimen; the case report gives no dose-by-dose log.",
            )
        return course

    def add(self, model, **fields):
        return create_record(model, actor=self.actor, **fields)

    def growth(self, infant: m.Infant, **fields) -> m.GrowthMeasurement:
        return record_growth(infant=infant, actor=self.actor, today=self.today, **fields)

    def milestone(
        self, infant: m.Infant, milestone: str, age_months: str, **fields
    ) -> m.MilestoneAttainment:
        return record_milestone(
            infant=infant,
            actor=self.actor,
            milestone=milestone,
            attained_age_months=Decimal(age_months),
            source="reported",
            today=self.today,
            **fields,
        )

    def resolved_repeat_mri(
        self, infant: m.Infant, on: datetime.date, *, compared_with: m.ImagingStudy, impression: str
    ) -> m.ImagingStudy:
        study = self.add(
            m.ImagingStudy,
            infant=infant,
            modality="mri",
            body_site="brain",
            performed_on=on,
            impression=impression,
            compared_with=compared_with,
            comparison="resolved",
        )
        self.add(
            m.ImagingFinding,
            study=study,
            finding_type="no_abnormality",
            region="whole_study",
            side="na",
            severity="na",
        )
        return study

    def denver_reported_by_sector(
        self, infant: m.Infant, on: datetime.date, *, delayed: tuple[str, ...], words: str
    ) -> m.DenverAssessment:
        """Seed 000 gives Denver II results only as sector conclusions; no item scores are invented."""
        assessment = self.add(
            m.DenverAssessment,
            infant=infant,
            assessed_on=on,
            notes="Reported by sector only in the case report.",
        )
        for sector in delayed:
            self.add(
                m.DenverSectorFinding,
                assessment=assessment,
                sector=sector,
                conclusion="delayed",
                source_text=words,
            )
        return assessment

    def labs(self, *, infant=None, mother=None, visit=None, on: datetime.date, results) -> None:
        for analyte, comparator, value, unit, low, high, extra in results:
            record_lab_result(
                actor=self.actor,
                today=self.today,
                lab_name=LABORATORY,
                infant=infant,
                mother=mother,
                visit=visit,
                analyte=analyte,
                collected_on=on,
                comparator=comparator,
                value=None if value is None else Decimal(value),
                unit=unit,
                reference_low=None if low is None else Decimal(low),
                reference_high=None if high is None else Decimal(high),
                reference_source="Printed by the laboratory (seed 000)" if low is not None else "",
                **extra,
            )


def _guardian(user: m.User, phone: str) -> m.Guardian:
    guardian = m.Guardian.objects.filter(user=user).first()
    if guardian is None:
        guardian = create_record(
            m.Guardian,
            actor=None,
            user=user,
            language="tr",
            time_zone="Europe/Istanbul",
            phone=phone,
            email=f"{user.username}@example.org",
        )
    return guardian


def _patient_1(story: _Story, clinic: m.Clinic, guardian: m.Guardian) -> None:
    """Patient 1: a 12-month-old boy, admitted with a respiratory infection and dyspnoea."""
    birth = PATIENT_1_BIRTH
    admitted = _months(birth, 12)
    first_dose = admitted + datetime.timedelta(days=5)  # "started ... on the 6th day of admission"

    mother = story.add(
        m.Mother,
        clinic=clinic,
        given_name="Fatma",
        family_name="Yıldız",
        guardian=guardian,
        diet=m.people.MaternalDiet.LOW_ANIMAL_FOOD,
        deficiency_cause=m.people.DeficiencyCause.DIETARY,
        notes="Not vegetarian; could not consume enough animal-source food because of a very low "
        "economic state. B12 supplementation prescribed at the same time as the infant's treatment "
        "(clinic practice; product and dose not reported).",
    )
    infant = story.add(
        m.Infant,
        clinic=clinic,
        record_number="S000-P1",
        given_name="Emir",
        family_name="Yıldız",
        sex="male",
        birth_date=birth,
        mother=mother,
        exclusively_breastfed=True,
        feeding_notes="Exclusively breast-fed by his mother.",
        diagnosis_date=admitted,
    )
    story.add(
        m.InfantGuardian, infant=infant, guardian=guardian, relationship="mother", is_primary=True
    )
    for sign in ("apathy", "hypotonia", "developmental_delay"):
        story.add(m.PresentingSign, infant=infant, sign=sign)

    admission = story.add(
        m.Visit,
        infant=infant,
        visit_type="admission",
        visit_date=admitted,
        reason="Respiratory tract infection and dyspnoea; parents report delayed development.",
        temperature_c=Decimal("36.5"),
        heart_rate_bpm=134,
        respiratory_rate_per_min=42,
        systolic_bp_mmhg=85,
        diastolic_bp_mmhg=50,
        tone="hypotonic",
        reflexes="normal",
        head_control="good",
        sits_without_support=False,
        examination_findings="Apathetic and hypotonic. Crackles and rhonchi over the distal lung "
        "zones; liver palpable 3 cm below the costal margin. Head control present; cannot sit "
        "without support.",
        notes="Iron status normal. Metabolic screening (blood gases, ammonium, lactate, lipids, tandem "
        "mass, thyroid function) normal apart from the urine organic acids. Homocysteine could not be "
        "measured on admission.",
    )
    story.growth(
        infant,
        visit=admission,
        measured_on=admitted,
        weight_kg=Decimal("8.6"),
        length_cm=Decimal("75"),
        head_circumference_cm=Decimal("46"),
    )
    story.labs(
        infant=infant,
        visit=admission,
        on=admitted,
        results=[
            ("wbc", "", "3", "10^9/L", None, None, {}),
            ("haemoglobin", "", "9.6", "g/dL", None, None, {}),
            ("haematocrit", "", "29.1", "%", None, None, {}),
            ("platelets", "", "147", "10^9/L", None, None, {}),
            ("mcv", "", "87.8", "fL", None, None, {}),
            ("b12", "<", "150", "pg/mL", "197", "866", {}),
            (
                "folate",
                ">",
                "15",
                "ng/mL",
                "3",
                "14",
                {"notes": "Printed as ng/dL in the report; the range 3-14 is the ng/mL range."},
            ),
            ("mma_urine", "", None, "", None, None, {"specimen": "urine", "reported_text": "high"}),
        ],
    )
    for finding in ("hypersegmented_neutrophils", "anisocytosis"):
        story.add(
            m.QualitativeFinding,
            infant=infant,
            visit=admission,
            specimen="peripheral_smear",
            finding=finding,
            observed_on=admitted,
        )
    story.labs(mother=mother, on=admitted, results=[("b12", "<", "150", "pg/mL", None, None, {})])

    chest = story.add(
        m.ImagingStudy,
        infant=infant,
        visit=admission,
        modality="radiograph",
        body_site="chest",
        performed_on=admitted,
        impression="Right paracardiac infiltration.",
    )
    story.add(
        m.ImagingFinding,
        study=chest,
        finding_type="infiltrate",
        region="paracardiac",
        side="right",
        severity="na",
    )
    first_mri = story.add(
        m.ImagingStudy,
        infant=infant,
        visit=admission,
        modality="mri",
        body_site="brain",
        performed_on=admitted,
        impression="Atrophy of the frontal, frontotemporal and anterior parietal regions of both "
        "hemispheres, dilated lateral ventricles, mild delay of myelination in the periventricular "
        "white matter: diffuse severe cortical atrophy.",
    )
    for finding_type, region, severity in (
        ("cortical_atrophy", "frontal", "severe"),
        ("cortical_atrophy", "frontotemporal", "severe"),
        ("cortical_atrophy", "anterior_parietal", "severe"),
        ("ventricular_enlargement", "lateral_ventricles", "na"),
        ("delayed_myelination", "periventricular_white_matter", "mild"),
    ):
        story.add(
            m.ImagingFinding,
            study=first_mri,
            finding_type=finding_type,
            region=region,
            side="bilateral",
            severity=severity,
        )

    # The paper states no end to the monthly doses: they continue, and the demo records them as
    # given up to the day before the demo is loaded, so upcoming doses and reminders are live.
    story.treat(
        infant,
        "seed-000-patient-1",
        first_dose,
        given_until=story.today - datetime.timedelta(days=1),
    )

    one_month = _months(first_dose, 1)
    follow_up = story.add(
        m.Visit,
        infant=infant,
        visit_type="outpatient",
        visit_date=one_month,
        reason="Follow-up one month after the start of treatment.",
        notes="More interested in his surroundings.",
    )
    story.labs(
        infant=infant,
        visit=follow_up,
        on=one_month,
        results=[
            ("wbc", "", "6.2", "10^9/L", None, None, {}),
            ("haemoglobin", "", "10.8", "g/dL", None, None, {}),
            ("haematocrit", "", "33.9", "%", None, None, {}),
            ("mcv", "", "82", "fL", None, None, {}),
            ("folate", "", "9", "ng/mL", None, None, {"notes": "Printed as ng/dL in the report."}),
            ("b12", "", "1068", "pg/mL", None, None, {}),
        ],
    )

    story.milestone(infant, "head_control", "4")
    story.milestone(infant, "first_words", "17", notes="Talked in reliable words.")
    story.milestone(infant, "sitting_without_support", "18")
    story.milestone(infant, "standing_with_assistance", "18")

    story.resolved_repeat_mri(
        infant,
        _months(birth, 20),
        compared_with=first_mri,
        impression="Normal: complete regression of the cortical atrophy.",
    )
    story.denver_reported_by_sector(
        infant,
        _months(birth, 36),
        delayed=("language", "fine_motor_adaptive"),
        words="retarded especially in language and fine motor abilities",
    )


def _patient_2(story: _Story, clinic: m.Clinic, guardian: m.Guardian) -> None:
    """Patient 2: a 9-month-old girl with failure to thrive and congestive heart failure."""
    birth = PATIENT_2_BIRTH
    admitted = _months(birth, 9)

    def hospital_day(n: int) -> datetime.date:
        return admitted + datetime.timedelta(days=n - 1)

    first_dose = hospital_day(5)  # "started at 1mg per day on the 5th day of hospitalization"

    mother = story.add(
        m.Mother,
        clinic=clinic,
        given_name="Hatice",
        family_name="Demir",
        guardian=guardian,
        diet=m.people.MaternalDiet.LOW_ANIMAL_FOOD,
        deficiency_cause=m.people.DeficiencyCause.DIETARY,
        notes="Not a vegetarian, but very low animal-product consumption. B12 supplementation "
        "prescribed at the same time as the infant's treatment (clinic practice; product and dose "
        "not reported).",
    )
    infant = story.add(
        m.Infant,
        clinic=clinic,
        record_number="S000-P2",
        given_name="Elif",
        family_name="Demir",
        sex="female",
        birth_date=birth,
        mother=mother,
        perinatal_notes="Uncomplicated, full-term pregnancy (exact gestation not reported).",
        exclusively_breastfed=True,
        solids_started_age_months=Decimal("8"),
        feeding_notes="Exclusively breast-fed since birth; refused solid foods introduced at 8 months; "
        "poor appetite and regular vomiting.",
        diagnosis_date=admitted,
    )
    story.add(
        m.InfantGuardian, infant=infant, guardian=guardian, relationship="mother", is_primary=True
    )
    story.add(
        m.PresentingSign,
        infant=infant,
        sign="hypoactivity",
        onset_age_months=Decimal("2"),
        notes="Hypoactivity and weakness from about 2 months, worse in the last month.",
    )
    for sign in ("apathy", "hypotonia", "failure_to_thrive", "pallor", "feeding_difficulty"):
        story.add(m.PresentingSign, infant=infant, sign=sign)

    admission = story.add(
        m.Visit,
        infant=infant,
        visit_type="admission",
        visit_date=admitted,
        reason="Failure to thrive, respiratory tract infection and congestive heart failure.",
        temperature_c=Decimal("36.5"),
        heart_rate_bpm=138,
        respiratory_rate_per_min=38,
        systolic_bp_mmhg=80,
        diastolic_bp_mmhg=50,
        tone="hypotonic",
        reflexes="normal",
        head_control="poor",
        sits_without_support=False,
        examination_findings="Apathetic, hypotonic, hypoactive, pale and malnourished. Crackles and "
        "rhonchi over the upper and middle zones of both lungs; liver palpable 4 cm below the costal "
        "margin. Poor head control; cannot sit on her own.",
        notes="Had received intravenous hydration, antibiotics and digoxin for four days before "
        "admission. Metabolic screening (blood gases, ammonium, lactate, lipids, tandem mass with "
        "normal C3, thyroid function) normal. Urine methylmalonic acid and homocysteine not done.",
    )
    story.growth(
        infant,
        visit=admission,
        measured_on=admitted,
        weight_kg=Decimal("5.6"),
        length_cm=Decimal("60"),
        head_circumference_cm=Decimal("40.5"),
    )
    story.labs(
        infant=infant,
        visit=admission,
        on=admitted,
        results=[
            ("wbc", "", "7.9", "10^9/L", None, None, {}),
            ("haemoglobin", "", "6.7", "g/dL", None, None, {}),
            ("haematocrit", "", "19.5", "%", None, None, {}),
            ("platelets", "", "41", "10^9/L", None, None, {}),
            ("mcv", "", "83.1", "fL", None, None, {}),
            ("anc", "", "1.2", "10^9/L", None, None, {}),
            ("b12", "<", "150", "pg/mL", None, None, {"notes": "Printed as pg/dl in the report."}),
            ("folate", "", None, "", None, None, {"reported_text": "normal"}),
            ("ferritin", "", None, "", None, None, {"reported_text": "normal"}),
        ],
    )
    for finding in ("hypersegmented_neutrophils", "macrocytosis", "anisocytosis"):
        story.add(
            m.QualitativeFinding,
            infant=infant,
            visit=admission,
            specimen="peripheral_smear",
            finding=finding,
            observed_on=admitted,
        )
    story.add(
        m.QualitativeFinding,
        infant=infant,
        visit=admission,
        specimen="bone_marrow",
        finding="megaloblastic_marrow",
        observed_on=admitted,
        notes="Aspiration compatible with megaloblastic anaemia.",
    )
    story.labs(
        mother=mother,
        on=admitted,
        results=[("b12", "", None, "", None, None, {"reported_text": "low"})],
    )

    first_mri = story.add(
        m.ImagingStudy,
        infant=infant,
        visit=admission,
        modality="mri",
        body_site="brain",
        performed_on=admitted,
        impression="Diffuse cortical atrophy, especially of both frontotemporal regions, with moderate "
        "delay of myelination: severe cortical atrophy.",
    )
    for finding_type, region, severity in (
        ("cortical_atrophy", "diffuse", "severe"),
        ("cortical_atrophy", "frontotemporal", "severe"),
        ("delayed_myelination", "cerebral_white_matter", "moderate"),
    ):
        story.add(
            m.ImagingFinding,
            study=first_mri,
            finding_type=finding_type,
            region=region,
            side="bilateral",
            severity=severity,
        )

    # The regimen itself ends after 18 months of therapy; the stop is recorded as the clinician's
    # decision it was, which closes the course.
    stopped = _months(first_dose, 18)
    course = story.treat(
        infant,
        "seed-000-patient-2",
        first_dose,
        given_until=stopped,
        stop_on=stopped,
        stop_reason="Treatment stopped in the 18th month of therapy (seed 000).",
    )
    tremor_onset = hospital_day(
        8
    )  # "on the 8th day of hospitalization" = day 3 after the first dose
    story.add(
        m.AdverseEvent,
        infant=infant,
        course=course,
        event_type="tremor",
        onset_on=tremor_onset,
        resolved_on=tremor_onset + datetime.timedelta(days=8),
        description="Coarse tremors after the start of vitamin B12 treatment; subsided within 8 days.",
        action_taken="EEG to exclude seizures: normal.",
    )
    story.add(
        m.Procedure,
        infant=infant,
        kind="eeg",
        performed_on=tremor_onset,
        outcome="Normal.",
        notes="Done for the treatment-emergent tremor; the report gives no exact day.",
    )
    story.add(
        m.Procedure,
        infant=infant,
        kind="erythrocyte_transfusion",
        performed_on=hospital_day(9),
        outcome="Erythrocyte transfusion given.",
    )
    story.add(
        m.TreatmentCourse,
        infant=infant,
        drug="iron",
        route="oral",
        dose=Decimal("2"),
        dose_unit="mg/kg",
        prescribed_by=story.actor,
        indication="Prophylactic oral iron added to the treatment",
        started_on=first_dose + datetime.timedelta(days=7),
        regimen_name="Oral iron 2 mg/kg, prophylactic",
        regimen_source="Seed 000; the report does not give the start day (taken as the taper step).",
    )
    story.add(
        m.Visit,
        infant=infant,
        visit_type="admission",
        visit_date=first_dose + datetime.timedelta(days=10),
        reason="Ten days of treatment.",
        notes="Haemoglobin, leukocyte and platelet counts increased (values not reported).",
    )
    story.add(
        m.Visit,
        infant=infant,
        visit_type="outpatient",
        visit_date=_months(first_dose, 1),
        reason="Follow-up visit.",
        notes="Active and alert.",
    )

    story.milestone(infant, "sitting_without_support", "15")
    story.milestone(infant, "standing_with_assistance", "17")
    story.milestone(infant, "first_words", "18")

    story.resolved_repeat_mri(
        infant,
        _months(birth, 21),
        compared_with=first_mri,
        impression="Normal: the atrophy has disappeared.",
    )
    story.denver_reported_by_sector(
        infant,
        _months(birth, 42),
        delayed=("language", "personal_social", "fine_motor_adaptive"),
        words="retardation in language, personal-social and fine motor abilities",
    )


@dataclass(frozen=True)
class DemoResult:
    clinic: m.Clinic
    users: tuple[DemoUser, ...]
    infants_created: int


#: The demo's next booked follow-up visit for each infant, counted from the load day.
FOLLOW_UP_IN_DAYS = {"S000-P1": 12, "S000-P2": 19}


@transaction.atomic
def load_demo(*, today: datetime.date) -> DemoResult:
    sync_role_groups()
    # A hospital paediatric neurology unit: injections are given every day, so no closing days
    # (seed 000's "daily for 2 weeks" is days 1-14 without a weekend gap).
    clinic, _ = m.Clinic.objects.get_or_create(
        name=CLINIC_NAME, defaults={"time_zone": "Europe/Istanbul"}
    )

    for analyte, unit, low, high in LABORATORY_RANGES:
        m.LabReferenceRange.objects.get_or_create(
            clinic=clinic,
            analyte=analyte,
            unit=unit,
            lab_name=LABORATORY,
            defaults={
                "low": Decimal(low),
                "high": Decimal(high),
                "source": "Printed by the laboratory (seed 000)",
            },
        )

    users: dict[str, m.User] = {}
    for spec in DEMO_USERS:
        user = m.User.objects.filter(username=spec.username).first()
        if user is None:
            user = m.User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@example.org",
            )
            user.set_password(spec.password)
            user.save()
        if spec.role != "guardian":
            add_membership(user=user, clinic=clinic, role=spec.role)
        users[spec.username] = user

    story = _Story(actor=users["staff"], today=today)
    created = 0
    fresh: set[str] = set()
    for record_number, build, guardian_user, phone in (
        ("S000-P1", _patient_1, users["parent1"], "+905320000001"),
        ("S000-P2", _patient_2, users["parent2"], "+905320000002"),
    ):
        if m.Infant.objects.filter(clinic=clinic, record_number=record_number).exists():
            continue
        build(story, clinic, _guardian(guardian_user, phone))
        fresh.add(record_number)
        created += 1
    # Alerts as they stand on the day the demo is loaded (noon, clinic time).
    # Noon on the load day, or the present moment when that is earlier: the re-plans that run
    # after this transaction commits use the real clock, and consent given "later today" would
    # not count yet for them.
    noon = min(
        datetime.datetime.combine(today, datetime.time(12), tzinfo=clinic.zone),
        timezone.now(),
    )
    for infant in clinic.infants.filter(record_number__in=["S000-P1", "S000-P2"]):
        refresh_alerts(infant, now=noon)
        for guardian in infant.guardians.all():
            if not guardian.consents.filter(purpose="reminders").exists():
                record_reminder_consent(
                    guardian=guardian,
                    actor=story.actor,
                    given_at=noon,
                    text_version="demo-1",
                    now=noon,
                )
        if infant.record_number in fresh:
            # The next routine follow-up, so the parent portal and the calendar show a visit
            # (the case report's own visits are all in the past by now).
            book_visit(
                infant,
                actor=story.actor,
                visit_date=today + datetime.timedelta(days=FOLLOW_UP_IN_DAYS[infant.record_number]),
                reason="Routine follow-up: growth and development.",
                now=noon,
            )
        plan_reminders(infant, now=noon, announce=False)
    return DemoResult(clinic=clinic, users=DEMO_USERS, infants_created=created)
