"""Field validators shared by the models."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _zones():
        raise ValidationError(
            "%(value)s is not a time zone name; use an IANA name such as Europe/Istanbul.",
            params={"value": value},
            code="invalid_time_zone",
        )
