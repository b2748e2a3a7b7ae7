"""The data model of the follow-up clinic; one module per subdomain, re-exported here."""

from patients.models.audit import AccessAction, RecordAccess
from patients.models.base import ClinicalQuerySet, ClinicalRecord, ClinicalRecordDeletionError
from patients.models.clinics import (
    Clinic,
    ClinicHoliday,
    ClinicMembership,
    ClinicWeeklyClosure,
    Role,
    User,
    Weekday,
)
from patients.models.development import (
    DenverAssessment,
    DenverItemResult,
    DenverSectorFinding,
    MilestoneAttainment,
)
from patients.models.imaging import ImagingFinding, ImagingStudy
from patients.models.interpretation import (
    Alert,
    DenverNormTable,
    GrowthReference,
    GrowthScore,
    LabReferenceRange,
    Regimen,
)
from patients.models.labs import LabResult, QualitativeFinding
from patients.models.people import (
    Consent,
    Guardian,
    Infant,
    InfantCountChange,
    InfantGuardian,
    MaternalSupplementation,
    Mother,
    PresentingSign,
)
from patients.models.record_versions import InfantRecordVersion
from patients.models.reminders import CalendarFeed, PlannedMessage
from patients.models.treatment import (
    AdverseEvent,
    CourseEvent,
    DoseAdministration,
    PlannedDose,
    Procedure,
    ReviewTask,
    TreatmentCourse,
)
from patients.models.visits import GrowthMeasurement, Visit

__all__ = [
    "AccessAction",
    "AdverseEvent",
    "Alert",
    "CalendarFeed",
    "Clinic",
    "ClinicHoliday",
    "ClinicMembership",
    "ClinicWeeklyClosure",
    "ClinicalQuerySet",
    "ClinicalRecord",
    "ClinicalRecordDeletionError",
    "Consent",
    "CourseEvent",
    "DenverAssessment",
    "DenverItemResult",
    "DenverNormTable",
    "DenverSectorFinding",
    "DoseAdministration",
    "GrowthMeasurement",
    "GrowthReference",
    "GrowthScore",
    "Guardian",
    "ImagingFinding",
    "ImagingStudy",
    "Infant",
    "InfantCountChange",
    "InfantGuardian",
    "InfantRecordVersion",
    "LabReferenceRange",
    "LabResult",
    "MaternalSupplementation",
    "MilestoneAttainment",
    "Mother",
    "PlannedDose",
    "PlannedMessage",
    "PresentingSign",
    "Procedure",
    "QualitativeFinding",
    "RecordAccess",
    "Regimen",
    "ReviewTask",
    "Role",
    "TreatmentCourse",
    "User",
    "Visit",
    "Weekday",
]
