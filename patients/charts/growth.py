"""Growth charts: the infant's measurements on WHO 2006 centile curves, one indicator per chart.

Age-based charts run on age in months; a point is placed at the age WHO scored (corrected for
prematurity where the growth rule applies, CLINICAL.md section 6), and a corrected point also shows
the chronological age it came from. Weight-for-length runs on length in cm, under two years only:
from 731 days WHO reads weight-for-height, a different table.
"""

from __future__ import annotations

import math

from patients.charts import centiles, style
from patients.charts.model import Chart, ChartText, GrowthChartData, GrowthPoint
from patients.clinical.ages import WHO_DAYS_PER_MONTH
from patients.clinical.growth import Indicator
from patients.clinical.growth.who2006 import MAX_AGE_DAYS, WFL_RANGE_CM

TITLES = {
    Indicator.WFA: ("Weight-for-age", "Weight (kg)"),
    Indicator.LFA: ("Length/height-for-age", "Length/height (cm)"),
    Indicator.HCFA: ("Head circumference-for-age", "Head circumference (cm)"),
    Indicator.WFL: ("Weight-for-length", "Weight (kg)"),
}
_UNITS = {Indicator.WFA: "kg", Indicator.LFA: "cm", Indicator.HCFA: "cm", Indicator.WFL: "kg"}
_CURVE_STYLE = {3: ":", 15: "--", 50: "-", 85: "--", 97: ":"}
# Most infants here are seen in their first two years; the axis grows with the record, to 5 years.
_MIN_AXIS_MONTHS = 24
_LISTED_POINTS = 6


def _indicator(data: GrowthChartData) -> Indicator:
    indicator = Indicator(data.indicator)
    if indicator not in TITLES:
        raise ValueError(f"no growth chart for {indicator.label}")
    return indicator


def _sex_words(data: GrowthChartData) -> str:
    return {"male": "boy", "female": "girl"}.get(data.sex, "child")


def describe_growth(data: GrowthChartData) -> ChartText:
    """The chart's title and alt text, without drawing it (a page's alt text costs no render)."""
    indicator = _indicator(data)
    points = sorted(data.points, key=lambda p: p.measured_on)
    return ChartText(TITLES[indicator][0], _alt_text(data, indicator, _sex_words(data), points))


def growth_chart(data: GrowthChartData) -> Chart:
    indicator = _indicator(data)
    title, y_label = TITLES[indicator]
    figure = style.new_figure(8, 5.5)
    axes = figure.add_subplot()
    by_length = indicator is Indicator.WFL
    has_curves = data.sex in ("male", "female")

    if by_length:
        low, high = WFL_RANGE_CM
        lengths = [p.length_cm for p in data.points if p.length_cm is not None]
        start = max(low, math.floor(min(lengths, default=55.0) - 10))
        end = min(high, math.ceil(max(lengths, default=start + 30) + 10))
        indexes = [start + step / 10 for step in range(round((end - start) * 10) + 1)]
        xs = indexes
        axes.set_xlabel("Length (cm)")
    else:
        last_months = max((p.age_days / WHO_DAYS_PER_MONTH for p in data.points), default=0.0)
        axis_months = min(60, max(_MIN_AXIS_MONTHS, 6 * math.ceil((last_months + 3) / 6)))
        last_day = min(MAX_AGE_DAYS, round(axis_months * WHO_DAYS_PER_MONTH))
        indexes = list(range(0, last_day + 1, 2))
        xs = [day / WHO_DAYS_PER_MONTH for day in indexes]
        axes.set_xlabel("Age (months; corrected for prematurity where it applies)")

    if has_curves:
        curves = centiles.centile_curves(indicator, data.sex, indexes)
        for centile, values in curves.items():
            (line,) = axes.plot(
                xs,
                values,
                color=style.GREEN if centile == 50 else style.GREY,
                linestyle=_CURVE_STYLE[centile],
                linewidth=1.6 if centile == 50 else 1.0,
                label=f"WHO {style.ordinal(centile)} centile",
            )
            line.set_gid(f"centile:{centile}")
            axes.annotate(
                style.ordinal(centile),
                xy=(xs[-1], values[-1]),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=style.GREY,
            )
    else:
        axes.text(
            0.5,
            0.95,
            "WHO standards have separate tables for boys and girls; no curves are drawn.",
            transform=axes.transAxes,
            ha="center",
            fontsize=9,
            color=style.RED,
        )

    points = sorted(data.points, key=lambda p: p.measured_on)
    _draw_points(axes, points, by_length=by_length)
    if not points:
        axes.text(
            0.5,
            0.5,
            "No measurements recorded",
            transform=axes.transAxes,
            ha="center",
            fontsize=12,
            color=style.GREY,
        ).set_gid("growth:empty")
    if data.note:
        axes.text(0.01, 0.01, data.note, transform=axes.transAxes, fontsize=8, color=style.GREY)

    sex_words = _sex_words(data)
    axes.set_title(f"{title}, {sex_words}: {data.reference_label}", fontsize=10)
    figure.suptitle(title, fontsize=13, fontweight="bold")
    axes.set_ylabel(y_label)
    # Room on the right for the centile labels.
    axes.set_xlim(xs[0], xs[-1] + (xs[-1] - xs[0]) * 0.06)
    axes.grid(True, alpha=0.3)
    if has_curves or points:
        axes.legend(loc="upper left", fontsize=8, frameon=False)
    text = describe_growth(data)
    return Chart(figure=figure, title=text.title, alt_text=text.alt_text)


def _draw_points(axes, points: list[GrowthPoint], *, by_length: bool) -> None:
    if not points:
        return
    xs = [_x(p, by_length=by_length) for p in points]
    ys = [p.value for p in points]
    if len(points) > 1:
        (path,) = axes.plot(xs, ys, color=style.BLUE, linewidth=1.2, alpha=0.7)
        path.set_gid("growth:path")
    scatter = axes.scatter(xs, ys, s=42, color=style.BLUE, zorder=5, label="Measurement")
    scatter.set_gid("growth:points")
    corrected = [p for p in points if p.corrected]
    if corrected and not by_length:
        chronological = axes.scatter(
            [p.chronological_age_days / WHO_DAYS_PER_MONTH for p in corrected],
            [p.value for p in corrected],
            s=36,
            facecolors="none",
            edgecolors=style.GREY,
            zorder=4,
            label="Same measurement at chronological age",
        )
        chronological.set_gid("growth:chronological")
        for point in corrected:
            axes.plot(
                [point.chronological_age_days / WHO_DAYS_PER_MONTH, _x(point, by_length=False)],
                [point.value, point.value],
                color=style.GREY,
                linewidth=0.8,
            )


def _x(point: GrowthPoint, *, by_length: bool) -> float:
    if by_length:
        return float(point.length_cm or 0.0)
    return point.age_days / WHO_DAYS_PER_MONTH


def _alt_text(
    data: GrowthChartData, indicator: Indicator, sex_words: str, points: list[GrowthPoint]
) -> str:
    title = TITLES[indicator][0]
    unit = _UNITS[indicator]
    centile_words = ", ".join(style.ordinal(c) for c in centiles.CENTILES)
    parts = [f"{title} chart of a {sex_words}"]
    if data.sex in ("male", "female"):
        parts[0] += f" on the {data.reference_label} centile curves ({centile_words})"
    if not points:
        parts.append("No measurements recorded.")
    else:
        parts.append(f"{len(points)} measurement{'s' if len(points) != 1 else ''}:")
        listed = points if len(points) <= _LISTED_POINTS else [*points[:2], *points[-3:]]
        described = []
        for point in listed:
            where = (
                f"at {point.length_cm:g} cm length"
                if indicator is Indicator.WFL
                else f"at {style.months_label(point.age_days / WHO_DAYS_PER_MONTH)}"
                + (" corrected age" if point.corrected else "")
            )
            score = (
                f" (z {point.z:+.2f}, {style.centile_text(point.centile)} centile)"
                if point.z is not None and point.centile is not None
                else ""
            )
            described.append(f"{point.value:g} {unit} {where}{score}")
        if len(listed) < len(points):
            described.insert(2, f"{len(points) - len(listed)} more")
        parts.append("; ".join(described) + ".")
    if data.note:
        parts.append(data.note)
    return " ".join(parts)
