"""Denver II: versioned norm tables and the interpretation of an assessment.

Public API:

- Norm tables: ``NormItem``, ``NormTable``, ``NormQaFlag``, ``DenverSector``,
  ``load_norm_table(source, *, version=None)``, ``norm_table_from_rows(rows, *, version, ...)``,
  ``bundled_norm_table()``, ``BUNDLED_NORM_TABLE_VERSION``, ``ReferenceTableError``,
  ``UnknownItemError``, ``item_code(sector, item_no)``.
- The project's reference-table file format (shared with ``milestones``): ``AnnotatedCsv``,
  ``read_annotated_csv(source)``.
- Interpretation (CLINICAL.md section 7): ``ItemScore``, ``ItemInterpretation``,
  ``interpret_item(norm, score, age_months)``, ``ItemResult``, ``DenverTestResult``,
  ``denver_test_result(items)``, ``Recommendation``, ``DevelopmentalAge``,
  ``DevelopmentalAgeKind``, ``developmental_age(items)``, ``SectorSummary``, ``DenverResult``,
  ``interpret_assessment(scores, *, norms, age_line)``, ``DENVER_RULES_VERSION``.

Reference-table file format: UTF-8 CSV preceded by ``# key: value`` metadata lines (keys are
lower-case words, e.g. ``version``, ``source``, ``licensing``); other ``#`` lines there are prose.
A norm table has the columns ``sector, item_no, label, p25_months, p50_months, p75_months,
p90_months`` and optionally ``qa_flag``. Ages are months (ages.py counts them). The bundled table
and its provenance are in ``data/denver_ii/``.

Every result records the norm table version, the age line and ``DENVER_RULES_VERSION``, so a new
table or a changed rule never silently rewrites a stored interpretation (ARCHITECTURE.md, Habits).
"""

from __future__ import annotations

import csv
import functools
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from itertools import groupby
from types import MappingProxyType
from typing import Final, TextIO

from patients.clinical.ages import AgeAtAssessment, AgeScale

DENVER_RULES_VERSION: Final = "denver-ii-rules-v1"
"""Version of the interpretation rules below; bump it when any rule or boundary choice changes."""

BUNDLED_NORM_TABLE_VERSION: Final = "denver-ii-1992-public-transcription-v1"
"""The norm table shipped with the project (data/denver_ii/PROVENANCE.md)."""

# Matches DenverAssessment.norm_version (80 characters); no spaces, so it reads well in a path,
# a URL or a log line.
_VERSION_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_METADATA_LINE: Final = re.compile(r"#\s*([a-z][a-z0-9_]*)\s*:\s*(.*)")

TableSource = str | os.PathLike[str] | TextIO
"""A file path, or an open text stream (``io.StringIO`` for text held in memory)."""


class ReferenceTableError(ValueError):
    """A reference table that cannot be used; ``problems`` lists every problem found, by line."""

    def __init__(self, name: str, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{name}: {len(self.problems)} problem(s)\n{listing}")


class UnknownItemError(LookupError):
    """An item code that the norm table in use does not contain."""


class DenverSector(StrEnum):
    """The four Denver II sectors, in the order of the test form and of the norm table."""

    PERSONAL_SOCIAL = "personal_social"
    FINE_MOTOR_ADAPTIVE = "fine_motor_adaptive"
    LANGUAGE = "language"
    GROSS_MOTOR = "gross_motor"


class NormQaFlag(StrEnum):
    """Quality notes kept per item (data README, ``qa_flag``); shown, never silently acted on."""

    # Expected from birth: any failure at any age is a delay (see interpret_item).
    ALL_ZERO_IN_SOURCE = "all_zero_in_source"
    # Passed from birth by most infants: the lower percentiles are 0.
    ZERO_LOWER_PERCENTILES = "zero_lower_percentiles"
    # The 25 % age is implausibly low; it only moves the "advanced" label, never caution or delay.
    SUSPECT_P25 = "SUSPECT_p25_probable_transcription_error"


class ItemScore(StrEnum):
    """Raw Denver II item scores (CLINICAL.md section 7)."""

    PASS = "P"  # noqa: S105 - a Denver II score, not a password
    FAIL = "F"
    REFUSAL = "R"
    NO_OPPORTUNITY = "NO"  # report items only


class ItemInterpretation(StrEnum):
    ADVANCED = "advanced"
    NORMAL = "normal"
    CAUTION = "caution"
    DELAYED = "delayed"
    NO_OPPORTUNITY = "no_opportunity"


class DenverTestResult(StrEnum):
    NORMAL = "normal"
    SUSPECT = "suspect"
    UNTESTABLE = "untestable"


class Recommendation(StrEnum):
    # CLINICAL.md section 4 lists the next screenings (12, 18, 24, 36 months).
    CONTINUE_SCHEDULED_SCREENING = "continue_scheduled_screening"
    # CLINICAL.md section 7: suspect or untestable -> rescreen in 1-2 weeks, then refer.
    RESCREEN_IN_1_2_WEEKS_THEN_REFER = "rescreen_in_1_2_weeks_then_refer"


def item_code(sector: DenverSector, item_no: int) -> str:
    """The stable item code stored with every item result, e.g. ``gross_motor:17``."""
    return f"{sector.value}:{item_no}"


@dataclass(frozen=True, slots=True)
class NormItem:
    """One Denver II item: the ages (months) by which 25/50/75/90 % of children passed it."""

    sector: DenverSector
    item_no: int
    label: str
    p25_months: float
    p50_months: float
    p75_months: float
    p90_months: float
    qa_flag: NormQaFlag | None = None

    @property
    def code(self) -> str:
        return item_code(self.sector, self.item_no)


@dataclass(frozen=True, slots=True)
class NormTable:
    """A validated, versioned Denver II norm table; build it with ``load_norm_table``."""

    version: str
    items: Mapping[str, NormItem]
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", MappingProxyType(dict(self.items)))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def item(self, code: str) -> NormItem:
        try:
            return self.items[code]
        except KeyError:
            raise UnknownItemError(
                f"no Denver II item {code!r} in norm table {self.version}"
            ) from None

    def sector_items(self, sector: DenverSector) -> tuple[NormItem, ...]:
        return tuple(item for item in self.items.values() if item.sector is sector)


# --- The project's reference-table file format ------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnnotatedCsv:
    """A CSV with its ``# key: value`` preamble; each row keeps its line number for messages."""

    metadata: Mapping[str, str]
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, str]], ...]


def read_annotated_csv(source: TableSource) -> AnnotatedCsv:
    """Read a reference-table file (format in the module docstring); raises ReferenceTableError."""
    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8", newline="") as stream:
            return _parse_annotated_csv(stream.read(), name=os.fspath(source))
    return _parse_annotated_csv(source.read(), name=getattr(source, "name", "<stream>"))


def _parse_annotated_csv(text: str, *, name: str) -> AnnotatedCsv:
    # Spreadsheets save "CSV UTF-8" with a byte-order mark, which would hide the first line.
    lines = text.removeprefix("\ufeff").splitlines()
    metadata: dict[str, str] = {}
    problems: list[str] = []
    preamble_length = 0
    for line_no, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            break
        preamble_length = line_no
        match = _METADATA_LINE.fullmatch(line.strip())
        if match is None:
            continue
        key, value = match.groups()
        if key in metadata:
            problems.append(f"line {line_no}: metadata {key!r} given twice")
        metadata[key] = value.strip()

    reader = csv.reader(lines[preamble_length:])
    header = next(reader, None)
    if header is None:
        raise ReferenceTableError(name, [*problems, "no header line"])
    columns = tuple(column.strip() for column in header)
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        problems.append(f"line {preamble_length + 1}: column(s) {', '.join(repeated)} repeated")
    rows: list[tuple[int, Mapping[str, str]]] = []
    for fields in reader:
        line_no = preamble_length + reader.line_num
        if not any(value.strip() for value in fields):
            continue
        if len(fields) != len(columns):
            problems.append(f"line {line_no}: {len(fields)} fields for {len(columns)} columns")
            continue
        rows.append((line_no, dict(zip(columns, (value.strip() for value in fields), strict=True))))
    if problems:
        raise ReferenceTableError(name, problems)
    return AnnotatedCsv(metadata=MappingProxyType(metadata), columns=columns, rows=tuple(rows))


# --- Norm tables ---------------------------------------------------------------------------------

_PERCENTILE_COLUMNS: Final = ("p25_months", "p50_months", "p75_months", "p90_months")
_REQUIRED_COLUMNS: Final = ("sector", "item_no", "label", *_PERCENTILE_COLUMNS)
_OPTIONAL_COLUMNS: Final = ("qa_flag",)


def load_norm_table(source: TableSource, *, version: str | None = None) -> NormTable:
    """Parse and validate a norm table file (a path, or an open text stream).

    The version comes from ``version`` or from the file's ``# version:`` line; when both are given
    they must agree, so an import can never file a table under the wrong name. A clinic's licensed
    table is imported through here as a new version. Raises ReferenceTableError listing every
    problem (missing or unknown columns, unknown sector, duplicate item, bad or non-monotonic
    percentiles, unknown or inconsistent QA flag).
    """
    table = read_annotated_csv(source)
    declared = table.metadata.get("version")
    if version is not None and declared is not None and declared != version:
        raise ReferenceTableError(
            "Denver II norm table",
            [f"the file declares version {declared!r} but is being loaded as {version!r}"],
        )
    chosen = version if version is not None else declared
    if chosen is None:
        raise ReferenceTableError(
            "Denver II norm table", ["no version: pass one or add a '# version:' line"]
        )
    missing = [column for column in _REQUIRED_COLUMNS if column not in table.columns]
    unknown = [
        column
        for column in table.columns
        if column not in _REQUIRED_COLUMNS and column not in _OPTIONAL_COLUMNS
    ]
    if missing or unknown:
        raise ReferenceTableError(
            f"Denver II norm table {chosen}",
            [f"missing column {column!r}" for column in missing]
            + [f"unknown column {column!r}" for column in unknown]
            + [f"expected columns: {', '.join(_REQUIRED_COLUMNS + _OPTIONAL_COLUMNS)}"],
        )
    return _build_norm_table(
        ((f"line {line_no}", row) for line_no, row in table.rows),
        version=chosen,
        metadata=table.metadata,
    )


def norm_table_from_rows(
    rows: Iterable[Mapping[str, str]],
    *,
    version: str,
    metadata: Mapping[str, str] | None = None,
) -> NormTable:
    """Validate rows (column name -> text, as ``csv.DictReader`` gives them) into a NormTable."""
    return _build_norm_table(
        ((f"row {index}", row) for index, row in enumerate(rows, start=1)),
        version=version,
        metadata=metadata or {},
    )


@functools.cache
def bundled_norm_table() -> NormTable:
    """The norm table shipped with the project (``BUNDLED_NORM_TABLE_VERSION``)."""
    path = (
        resources.files("patients.clinical.data")
        / "denver_ii"
        / f"{BUNDLED_NORM_TABLE_VERSION}.csv"
    )
    with path.open(encoding="utf-8", newline="") as stream:
        return load_norm_table(stream, version=BUNDLED_NORM_TABLE_VERSION)


def _build_norm_table(
    located_rows: Iterable[tuple[str, Mapping[str, str]]],
    *,
    version: str,
    metadata: Mapping[str, str],
) -> NormTable:
    name = f"Denver II norm table {version}"
    problems: list[str] = []
    if _VERSION_PATTERN.fullmatch(version) is None:
        problems.append(
            f"version {version!r} must be 1-80 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    items: dict[str, NormItem] = {}
    labels_seen: dict[tuple[DenverSector, str], str] = {}
    for where, row in located_rows:
        item = _parse_norm_row(row, where=where, problems=problems)
        if item is None:
            continue
        if item.code in items:
            problems.append(f"{where}: duplicate item {item.code}")
            continue
        label_key = (item.sector, item.label.casefold())
        if label_key in labels_seen:
            problems.append(
                f"{where}: duplicate label {item.label!r} in {item.sector.value} "
                f"(also {labels_seen[label_key]})"
            )
            continue
        labels_seen[label_key] = item.code
        items[item.code] = item
    if not items and not problems:
        problems.append("no items")
    if problems:
        raise ReferenceTableError(name, problems)
    ordered = sorted(
        items.values(), key=lambda item: (list(DenverSector).index(item.sector), item.item_no)
    )
    return NormTable(
        version=version, items={item.code: item for item in ordered}, metadata=metadata
    )


def _parse_norm_row(row: Mapping[str, str], *, where: str, problems: list[str]) -> NormItem | None:
    found_before = len(problems)
    missing = [column for column in _REQUIRED_COLUMNS if not (row.get(column) or "").strip()]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
        return None

    sector_text = row["sector"].strip()
    try:
        sector = DenverSector(sector_text)
    except ValueError:
        sector = None
        problems.append(
            f"{where}: unknown sector {sector_text!r} "
            f"(expected one of {', '.join(s.value for s in DenverSector)})"
        )

    item_no_text = row["item_no"].strip()
    try:
        item_no = int(item_no_text)
    except ValueError:
        item_no = 0
    if item_no < 1:
        problems.append(f"{where}: item_no {item_no_text!r} is not a positive whole number")

    percentiles: list[float] = []
    for column in _PERCENTILE_COLUMNS:
        text = row[column].strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            problems.append(f"{where}: {column} {text!r} is not an age in months (a number >= 0)")
        percentiles.append(value)

    flag_text = (row.get("qa_flag") or "").strip()
    try:
        qa_flag = NormQaFlag(flag_text) if flag_text else None
    except ValueError:
        qa_flag = None
        problems.append(
            f"{where}: unknown qa_flag {flag_text!r} "
            f"(expected empty or one of {', '.join(f.value for f in NormQaFlag)})"
        )

    if len(problems) > found_before or sector is None:
        return None
    p25, p50, p75, p90 = percentiles
    code = item_code(sector, item_no)
    # data README: every row of the source is non-decreasing; the interpretation relies on it.
    if not p25 <= p50 <= p75 <= p90:
        problems.append(
            f"{where}: {code} percentiles must not decrease (p25 <= p50 <= p75 <= p90), "
            f"got {p25}, {p50}, {p75}, {p90}"
        )
        return None
    # A flag that contradicts its numbers would mislead whoever reads the catalogue.
    if qa_flag is NormQaFlag.ALL_ZERO_IN_SOURCE and p90 != 0:
        problems.append(f"{where}: {code} is flagged {qa_flag.value} but p90 is {p90}")
        return None
    if qa_flag is NormQaFlag.ZERO_LOWER_PERCENTILES and p25 != 0:
        problems.append(f"{where}: {code} is flagged {qa_flag.value} but p25 is {p25}")
        return None
    return NormItem(
        sector=sector,
        item_no=item_no,
        label=row["label"].strip(),
        p25_months=p25,
        p50_months=p50,
        p75_months=p75,
        p90_months=p90,
        qa_flag=qa_flag,
    )


# --- Interpretation (CLINICAL.md section 7) -----------------------------------------------------


def interpret_item(norm: NormItem, score: ItemScore, age_months: float) -> ItemInterpretation:
    """Interpret one item score against the age line, exactly as CLINICAL.md section 7 tabulates.

    - passed: advanced when age < p25 (the item lies wholly right of the age line), else normal;
    - failed or refused: normal when age < p75, caution when p75 <= age <= p90 (both ends
      inclusive: an age line exactly on p75 or on p90 is a caution), delayed when age > p90;
    - no opportunity: no opportunity.

    Items flagged ``all_zero_in_source`` (p25 = ... = p90 = 0) are expected from birth: "any failure
    at any age is a delay" (data README). The table already gives that for every age line above
    0; on the day of birth (age line exactly 0) it would say caution, and the README wins.

    The chart starts at birth at term, so a negative age line (a preterm infant before the due
    date) is refused rather than interpreted.
    """
    if not math.isfinite(age_months) or age_months < 0:
        raise ValueError(
            f"age line {age_months} months is before the Denver II chart starts (term birth, 0)"
        )
    match ItemScore(score):
        case ItemScore.NO_OPPORTUNITY:
            return ItemInterpretation.NO_OPPORTUNITY
        case ItemScore.PASS:
            if age_months < norm.p25_months:
                return ItemInterpretation.ADVANCED
            return ItemInterpretation.NORMAL
        case ItemScore.FAIL | ItemScore.REFUSAL:
            if norm.qa_flag is NormQaFlag.ALL_ZERO_IN_SOURCE:
                return ItemInterpretation.DELAYED
            if age_months < norm.p75_months:
                return ItemInterpretation.NORMAL
            if age_months <= norm.p90_months:
                return ItemInterpretation.CAUTION
            return ItemInterpretation.DELAYED


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One scored item and its interpretation; ``item`` carries its percentiles and QA flag."""

    item: NormItem
    score: ItemScore
    interpretation: ItemInterpretation


def denver_test_result(items: Iterable[ItemResult]) -> DenverTestResult:
    """The test result, decided in CLINICAL.md section 7's order.

    1. suspect: the failures alone give one or more delays or two or more cautions;
    2. untestable: not suspect, but it would be if the refusals were failures;
    3. normal: otherwise (no delays and at most one caution).
    """
    items = tuple(items)
    if _gives_suspect(item for item in items if item.score is ItemScore.FAIL):
        return DenverTestResult.SUSPECT
    if _gives_suspect(item for item in items if item.score in _FAIL_OR_REFUSAL):
        return DenverTestResult.UNTESTABLE
    return DenverTestResult.NORMAL


_FAIL_OR_REFUSAL: Final = frozenset({ItemScore.FAIL, ItemScore.REFUSAL})


def _gives_suspect(items: Iterable[ItemResult]) -> bool:
    interpretations = [item.interpretation for item in items]
    delays = interpretations.count(ItemInterpretation.DELAYED)
    cautions = interpretations.count(ItemInterpretation.CAUTION)
    return delays >= 1 or cautions >= 2


class DevelopmentalAgeKind(StrEnum):
    ESTIMATE = "estimate"
    # The child passed the hardest items given: the true developmental age may be higher.
    AT_LEAST = "at_least"
    # Passes never outnumbered failures: the developmental age is below the easiest item given.
    BELOW = "below"


@dataclass(frozen=True, slots=True)
class DevelopmentalAge:
    months: float
    kind: DevelopmentalAgeKind


def developmental_age(items: Iterable[ItemResult]) -> DevelopmentalAge | None:
    """The age where the child's passes cross 50 % in one sector (CLINICAL.md section 7).

    Definition: take the items the child passed or failed, ordered by the age at which half the
    standardisation sample passes them (p50). Walk from the easiest to the hardest, adding one for
    each pass and subtracting one for each failure (items sharing a p50 are taken together). The
    developmental age is the p50 at which this running balance peaks: up to there the child passed
    more items than they failed, beyond it they fail more than they pass, so their pass rate drops
    below 50 %. Equivalently, it is the age A for which "passes exactly the items with p50 <= A"
    contradicts the fewest of the child's results: a typical child of age A passes each item with
    p50 <= A with probability of at least 50 %.

    Choices: refusals and no-opportunity items are left out (they say nothing about ability); when
    several ages give the same peak the lowest is taken, so the chart never overstates development;
    when the peak is at the hardest item given the result is ``AT_LEAST`` that age; when the
    balance never rises above zero the result is ``BELOW`` the easiest item's p50. Returns None
    when no item was passed or failed.
    """
    evidence = sorted(
        (item.item.p50_months, item.score is ItemScore.PASS)
        for item in items
        if item.score in (ItemScore.PASS, ItemScore.FAIL)
    )
    if not evidence:
        return None
    balance = 0
    best_balance = 0
    best_age: float | None = None
    for p50, group in groupby(evidence, key=lambda entry: entry[0]):
        balance += sum(1 if passed else -1 for _, passed in group)
        if balance > best_balance:
            best_balance, best_age = balance, p50
    if best_age is None:
        return DevelopmentalAge(months=evidence[0][0], kind=DevelopmentalAgeKind.BELOW)
    if best_age == evidence[-1][0]:
        return DevelopmentalAge(months=best_age, kind=DevelopmentalAgeKind.AT_LEAST)
    return DevelopmentalAge(months=best_age, kind=DevelopmentalAgeKind.ESTIMATE)


@dataclass(frozen=True, slots=True)
class SectorSummary:
    """Counts per interpretation and the developmental age of one sector (CLINICAL.md section 7)."""

    sector: DenverSector
    advanced: int
    normal: int
    caution: int
    delayed: int
    no_opportunity: int
    developmental_age: DevelopmentalAge | None

    @classmethod
    def of(cls, sector: DenverSector, items: Iterable[ItemResult]) -> SectorSummary:
        in_sector = [item for item in items if item.item.sector is sector]
        counts = {kind: 0 for kind in ItemInterpretation}
        for item in in_sector:
            counts[item.interpretation] += 1
        return cls(
            sector=sector,
            advanced=counts[ItemInterpretation.ADVANCED],
            normal=counts[ItemInterpretation.NORMAL],
            caution=counts[ItemInterpretation.CAUTION],
            delayed=counts[ItemInterpretation.DELAYED],
            no_opportunity=counts[ItemInterpretation.NO_OPPORTUNITY],
            developmental_age=developmental_age(in_sector),
        )


@dataclass(frozen=True, slots=True)
class DenverResult:
    """An interpreted Denver II assessment, with everything needed to reproduce it."""

    rules_version: str
    norm_table_version: str
    age_line: AgeAtAssessment
    items: tuple[ItemResult, ...]
    sectors: tuple[SectorSummary, ...]
    test_result: DenverTestResult
    recommendation: Recommendation

    @property
    def age_line_months(self) -> float:
        return self.age_line.age_months

    def sector(self, sector: DenverSector) -> SectorSummary:
        return next(summary for summary in self.sectors if summary.sector is sector)


def interpret_assessment(
    scores: Mapping[str, ItemScore], *, norms: NormTable, age_line: AgeAtAssessment
) -> DenverResult:
    """Interpret a whole assessment: items, sectors, test result and recommendation.

    ``scores`` maps item codes (``gross_motor:17``) to raw scores; ``age_line`` comes from
    ``ages.denver_ii_age_line`` (the Denver II correction rule, CLINICAL.md section 7). Raises
    UnknownItemError for an item the table does not hold and ValueError for an empty assessment,
    an age line built with another instrument's rule, or one before the chart starts.
    """
    if age_line.rule.scale is not AgeScale.DENVER_II:
        raise ValueError(
            f"the Denver II age line needs the Denver II correction rule, not {age_line.rule.scale}"
        )
    if not scores:
        raise ValueError("a Denver II assessment needs at least one scored item")
    scored = {code: ItemScore(score) for code, score in scores.items()}
    unknown = sorted(code for code in scored if code not in norms.items)
    if unknown:
        raise UnknownItemError(
            f"no Denver II item {', '.join(map(repr, unknown))} in norm table {norms.version}"
        )
    age_months = age_line.age_months
    items = tuple(
        ItemResult(
            item=norm,
            score=scored[code],
            interpretation=interpret_item(norm, scored[code], age_months),
        )
        for code, norm in norms.items.items()
        if code in scored
    )
    test_result = denver_test_result(items)
    return DenverResult(
        rules_version=DENVER_RULES_VERSION,
        norm_table_version=norms.version,
        age_line=age_line,
        items=items,
        sectors=tuple(SectorSummary.of(sector, items) for sector in DenverSector),
        test_result=test_result,
        recommendation=(
            Recommendation.CONTINUE_SCHEDULED_SCREENING
            if test_result is DenverTestResult.NORMAL
            else Recommendation.RESCREEN_IN_1_2_WEEKS_THEN_REFER
        ),
    )
