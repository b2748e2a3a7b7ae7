"""Checks that span two tables, which a database CHECK cannot express portably."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError


def check_not_before_birth(infant, on: datetime.date | None, field: str) -> None:
    """An event of an infant's record cannot precede the birth (a typo in the year, usually)."""
    if infant is None or on is None:
        return
    if on < infant.birth_date:
        raise ValidationError(
            {
                field: f"{on:%Y-%m-%d} is before the infant's birth date ({infant.birth_date:%Y-%m-%d})."
            }
        )


def check_same_infant(infant, other, field: str, what: str) -> None:
    if other is not None and infant is not None and other.infant_id != infant.id:
        raise ValidationError({field: f"The {what} belongs to another infant."})
