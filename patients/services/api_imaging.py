"""Recording an imaging study together with the findings read on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from patients import models as m
from patients.services.records import create_record


@transaction.atomic
def record_imaging_study(
    *,
    actor: m.User | None,
    findings: Iterable[Mapping[str, Any]] = (),
    **study: Any,
) -> m.ImagingStudy:
    """Save a study and its findings in one transaction: all of them, or nothing.

    ``study`` holds the ImagingStudy's fields; each finding its ImagingFinding fields. A finding
    the model refuses is reported as ``findings`` with its position, so the caller can point at
    the row that was wrong.
    """
    row = create_record(m.ImagingStudy, actor=actor, **study)
    for position, finding in enumerate(findings):
        try:
            create_record(m.ImagingFinding, actor=actor, study=row, **finding)
        except ValidationError as error:
            messages = [f"Finding {position + 1}: {message}" for message in error.messages]
            raise ValidationError({"findings": messages}) from None
    return row
