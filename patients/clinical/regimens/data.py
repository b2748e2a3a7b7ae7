"""Regimens as data: the shipped file and a clinic's edits, read and checked with clear errors.

The shape is the one of ``patients/clinical/data/regimens.json``. Every error names where it is,
for example ``regimens[1].phases[0].interval.n: n must be a whole number of at least 1, got 0``,
and unknown fields are errors too, so a misspelt field is never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from typing import Any, TypeVar

from patients.clinical.regimens.model import (
    AfterDoses,
    ClosingDayPolicy,
    DoseUnit,
    Duration,
    ForDuration,
    Interval,
    IntervalKind,
    Lifelong,
    MeasuredFrom,
    OpenEnded,
    Phase,
    PhaseEnd,
    Regimen,
    Route,
    TimeUnit,
    UntilDate,
)

FORMAT_VERSION = 1
SHIPPED_REGIMENS_PACKAGE = "patients.clinical.data"
SHIPPED_REGIMENS_FILE = "regimens.json"

_Built = TypeVar("_Built")
_Choice = TypeVar("_Choice", bound=StrEnum)


class RegimenDataError(ValueError):
    """Regimen data that cannot be used; the message starts with where the problem is."""


def load_shipped_regimens() -> dict[str, Regimen]:
    """The regimens of CLINICAL.md section 3 shipped with the tracker, by key."""
    text = (
        resources.files(SHIPPED_REGIMENS_PACKAGE).joinpath(SHIPPED_REGIMENS_FILE).read_text("utf-8")
    )
    return parse_regimens_json(text)


def parse_regimens_json(text: str) -> dict[str, Regimen]:
    try:
        # Decimal keeps a dose such as 0.25 exact: doses are entered values (ARCHITECTURE.md).
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise RegimenDataError(f"not valid JSON: {error}") from None
    return parse_regimens(document)


def parse_regimens(document: object) -> dict[str, Regimen]:
    fields = _Fields(document, "document", required={"format_version", "regimens"})
    if fields.integer("format_version") != FORMAT_VERSION:
        raise RegimenDataError(
            f"document.format_version: this tracker reads format {FORMAT_VERSION}"
        )
    regimens: dict[str, Regimen] = {}
    for where, item in fields.items("regimens"):
        regimen = parse_regimen(item, where=where)
        if regimen.key in regimens:
            raise RegimenDataError(f"{where}.key: {regimen.key!r} is used by another regimen")
        regimens[regimen.key] = regimen
    return regimens


def parse_regimen(data: object, *, where: str = "regimen") -> Regimen:
    fields = _Fields(
        data,
        where,
        required={"key", "version", "name", "drug", "closing_day_policy", "phases"},
        optional={"source", "notes"},
    )
    phases = tuple(_phase(item, item_where) for item_where, item in fields.items("phases"))
    return _build(
        where,
        Regimen,
        key=fields.text("key"),
        version=fields.integer("version"),
        name=fields.text("name"),
        drug=fields.text("drug"),
        closing_day_policy=fields.choice("closing_day_policy", ClosingDayPolicy),
        phases=phases,
        source=fields.text("source", default=""),
        notes=fields.text("notes", default=""),
    )


def regimen_to_data(regimen: Regimen) -> dict[str, Any]:
    """The data ``parse_regimen`` reads back into an equal regimen, for a clinic to edit."""
    return {
        "key": regimen.key,
        "version": regimen.version,
        "name": regimen.name,
        "drug": regimen.drug,
        "closing_day_policy": regimen.closing_day_policy.value,
        "source": regimen.source,
        "notes": regimen.notes,
        "phases": [_phase_to_data(phase) for phase in regimen.phases],
    }


def _phase(data: object, where: str) -> Phase:
    fields = _Fields(
        data,
        where,
        required={"name", "dose", "unit", "route", "interval", "end"},
        optional={"given_at_home", "source"},
    )
    return _build(
        where,
        Phase,
        name=fields.text("name"),
        dose=fields.decimal("dose"),
        unit=fields.choice("unit", DoseUnit),
        route=fields.choice("route", Route),
        interval=_interval(fields.raw("interval"), f"{where}.interval"),
        end=_end(fields.raw("end"), f"{where}.end"),
        given_at_home=fields.boolean("given_at_home", default=False),
        source=fields.text("source", default=""),
    )


def _interval(data: object, where: str) -> Interval:
    fields = _Fields(data, where, required={"kind"}, optional={"n", "weekdays"})
    kind = fields.choice("kind", IntervalKind)
    return _build(
        where,
        Interval,
        kind=kind,
        n=fields.integer("n", default=1),
        weekdays=tuple(fields.integers("weekdays")),
    )


def _duration(data: object, where: str) -> Duration:
    fields = _Fields(data, where, required={"amount", "unit"})
    return _build(
        where, Duration, amount=fields.integer("amount"), unit=fields.choice("unit", TimeUnit)
    )


_END_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "dose_count": ({"count"}, set()),
    "duration": ({"length"}, {"measured_from"}),
    "until_date": ({"last_day"}, set()),
    "open_ended": ({"review_every"}, set()),
    "lifelong": (set(), set()),
}


def _end(data: object, where: str) -> PhaseEnd:
    kind = _Fields(data, where, required={"kind"}, allow_others=True).text("kind")
    if kind not in _END_FIELDS:
        raise RegimenDataError(f"{where}.kind: expected one of {sorted(_END_FIELDS)}, got {kind!r}")
    required, optional = _END_FIELDS[kind]
    fields = _Fields(data, where, required={"kind", *required}, optional=optional)
    match kind:
        case "dose_count":
            return _build(where, AfterDoses, count=fields.integer("count"))
        case "duration":
            return ForDuration(
                length=_duration(fields.raw("length"), f"{where}.length"),
                measured_from=fields.choice(
                    "measured_from", MeasuredFrom, default=MeasuredFrom.PHASE_START
                ),
            )
        case "until_date":
            return UntilDate(last_day=fields.date("last_day"))
        case "open_ended":
            return OpenEnded(
                review_every=_duration(fields.raw("review_every"), f"{where}.review_every")
            )
        case _:
            return Lifelong()


def _phase_to_data(phase: Phase) -> dict[str, Any]:
    interval: dict[str, Any] = {"kind": phase.interval.kind.value}
    if phase.interval.n != 1:
        interval["n"] = phase.interval.n
    if phase.interval.weekdays:
        interval["weekdays"] = list(phase.interval.weekdays)
    return {
        "name": phase.name,
        "dose": str(phase.dose),
        "unit": phase.unit.value,
        "route": phase.route.value,
        "interval": interval,
        "end": _end_to_data(phase.end),
        "given_at_home": phase.given_at_home,
        "source": phase.source,
    }


def _end_to_data(end: PhaseEnd) -> dict[str, Any]:
    match end:
        case AfterDoses(count=count):
            return {"kind": "dose_count", "count": count}
        case ForDuration(length=length, measured_from=measured_from):
            return {
                "kind": "duration",
                "length": _duration_to_data(length),
                "measured_from": measured_from.value,
            }
        case UntilDate(last_day=last_day):
            return {"kind": "until_date", "last_day": last_day.isoformat()}
        case OpenEnded(review_every=review_every):
            return {"kind": "open_ended", "review_every": _duration_to_data(review_every)}
        case Lifelong():
            return {"kind": "lifelong"}


def _duration_to_data(duration: Duration) -> dict[str, Any]:
    return {"amount": duration.amount, "unit": duration.unit.value}


def _build(where: str, factory: Callable[..., _Built], **values: Any) -> _Built:
    """Run a value object's own checks and say where the data that failed them is."""
    try:
        return factory(**values)
    except ValueError as error:
        raise RegimenDataError(f"{where}: {error}") from None


_MISSING = object()


class _Fields:
    """One JSON object of the data, read field by field with its location in every error."""

    def __init__(
        self,
        data: object,
        where: str,
        *,
        required: set[str],
        optional: set[str] | None = None,
        allow_others: bool = False,
    ) -> None:
        if not isinstance(data, Mapping):
            raise RegimenDataError(f"{where}: expected an object, got {_json_type(data)}")
        missing = required - set(data)
        if missing:
            raise RegimenDataError(f"{where}: missing {', '.join(sorted(missing))}")
        unknown = set(data) - required - (optional or set())
        if unknown and not allow_others:
            raise RegimenDataError(f"{where}: unknown field {', '.join(sorted(map(str, unknown)))}")
        self.data = data
        self.where = where

    def raw(self, name: str, default: object = _MISSING) -> object:
        return self.data.get(name, default)

    def items(self, name: str) -> list[tuple[str, object]]:
        value = self.raw(name, [])
        if not isinstance(value, list):
            raise RegimenDataError(f"{self.where}.{name}: expected a list, got {_json_type(value)}")
        return [(f"{self.where}.{name}[{i}]", item) for i, item in enumerate(value)]

    def text(self, name: str, default: str | None = None) -> str:
        value = self.raw(name, default)
        if not isinstance(value, str):
            raise RegimenDataError(f"{self.where}.{name}: expected text, got {_json_type(value)}")
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        return _whole_number(self.raw(name, default), f"{self.where}.{name}")

    def integers(self, name: str) -> list[int]:
        return [_whole_number(item, where) for where, item in self.items(name)]

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise RegimenDataError(
                f"{self.where}.{name}: expected true or false, got {_json_type(value)}"
            )
        return value

    def decimal(self, name: str) -> Decimal:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise RegimenDataError(
                f"{self.where}.{name}: expected a number or a number as text, got {_json_type(value)}"
            )
        try:
            return Decimal(value)
        except InvalidOperation:
            raise RegimenDataError(f"{self.where}.{name}: {value!r} is not a number") from None

    def date(self, name: str) -> dt.date:
        value = self.text(name)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise RegimenDataError(
                f"{self.where}.{name}: expected a date as YYYY-MM-DD, got {value!r}"
            ) from None

    def choice(self, name: str, choices: type[_Choice], default: _Choice | None = None) -> _Choice:
        value = self.raw(name, default)
        try:
            return choices(value)
        except ValueError:
            allowed = ", ".join(choice.value for choice in choices)
            raise RegimenDataError(
                f"{self.where}.{name}: expected one of {allowed}, got {value!r}"
            ) from None


def _whole_number(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RegimenDataError(f"{where}: expected a whole number, got {_json_type(value)}")
    return value


def _json_type(value: object) -> str:
    if value is _MISSING or value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, int | float | Decimal):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
