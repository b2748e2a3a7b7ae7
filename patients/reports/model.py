"""What the two documents say, as text ready to print."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One line of a table: its cells, and whether it needs the reader's attention."""

    cells: tuple[str, ...]
    attention: bool = False


@dataclass(frozen=True)
class VisitSummary:
    """The staff's one-page summary of an infant at a visit."""

    clinic: str
    printed: str
    infant: str
    identity: str
    ages: str
    treatment: str
    growth_heading: str
    growth: tuple[Row, ...]
    growth_chart_png: bytes | None
    labs: tuple[Row, ...]
    denver_heading: str
    denver: tuple[Row, ...]
    adherence_heading: str
    adherence: tuple[Row, ...]
    follow_ups: tuple[Row, ...]
    sources: str


@dataclass(frozen=True)
class TakeHomePlan:
    """The guardian's plan: the next doses and visits, in the guardian's language."""

    language: str
    clinic: str
    child: str
    printed: str
    doses: tuple[Row, ...]
    visits: tuple[Row, ...]
