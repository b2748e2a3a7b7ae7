"""Denver II assessments known only from a report: sector conclusions without item scores.

Seed 000 reports its Denver II results per sector ("retarded especially in language and fine
motor"); recording them as invented item scores would falsify the record, so the assessment is
stored with the report's sector conclusions and no interpretation of its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from patients import models as m
from patients.services.development import record_denver_assessment
from patients.services.records import create_record


@transaction.atomic
def record_reported_denver(
    *,
    infant: m.Infant,
    actor: m.User | None,
    assessed_on: datetime.date,
    sector_findings: Iterable[Mapping[str, Any]],
    visit: m.Visit | None = None,
    examiner: m.User | None = None,
    notes: str = "",
    today: datetime.date | None = None,
) -> m.DenverAssessment:
    """Store a Denver II as a report gives it: the date and one conclusion per sector named."""
    findings = list(sector_findings)
    if not findings:
        raise ValidationError({"sector_findings": "Give at least one sector's conclusion."})
    today = today or infant.clinic.today()
    if assessed_on > today:
        raise ValidationError(
            {"assessed_on": f"{assessed_on:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d})."}
        )
    sectors = [finding.get("sector") for finding in findings]
    if len(set(sectors)) != len(sectors):
        raise ValidationError({"sector_findings": "Each sector can be concluded once."})
    assessment = create_record(
        m.DenverAssessment,
        actor=actor,
        infant=infant,
        visit=visit,
        assessed_on=assessed_on,
        examiner=examiner,
        notes=notes,
    )
    for finding in findings:
        create_record(m.DenverSectorFinding, actor=actor, assessment=assessment, **finding)
    return assessment


def record_denver(
    *,
    scores: Mapping[str, str] | None = None,
    sector_findings: Iterable[Mapping[str, Any]] | None = None,
    **assessment: Any,
) -> m.DenverAssessment:
    """A Denver II from item scores (interpreted with the norm table), or from a report's sector
    conclusions; one of the two, never both, since they would be two accounts of one test."""
    if scores and sector_findings:
        raise ValidationError(
            {
                "sector_findings": "Give item scores or a report's sector conclusions, not both: "
                "the scores are interpreted into sector summaries of their own."
            }
        )
    if sector_findings:
        return record_reported_denver(sector_findings=sector_findings, **assessment)
    if not scores:
        raise ValidationError(
            {"scores": "Score at least one item, or give the sector conclusions of a report."}
        )
    return record_denver_assessment(scores=scores, **assessment)
