"""Denver II across repeated assessments: each sector's developmental age against the age line,
and each sector's conclusion at every assessment.

The developmental age of a sector is the age where the child's passes cross 50 %
(``clinical.denver.developmental_age``, CLINICAL.md section 7); a child on the diagonal develops
at the pace of their age line. Only item-scored assessments have one. An assessment known only
from a report (seed 000: "retarded especially in language and fine motor") gives sector
conclusions, shown in the lower panel with the item-scored ones, never turned into invented ages.
"""

from __future__ import annotations

import math

from patients.charts import style
from patients.charts.model import Chart, ChartText, DenverChartData

SECTORS = ("personal_social", "fine_motor_adaptive", "language", "gross_motor")
SECTOR_LABELS = {
    "personal_social": "Personal-social",
    "fine_motor_adaptive": "Fine motor-adaptive",
    "language": "Language",
    "gross_motor": "Gross motor",
}
_SECTOR_COLOURS = dict(
    zip(SECTORS, (style.PURPLE, style.ORANGE, style.BLUE, style.GREEN), strict=True)
)
_KIND_MARKERS = {"estimate": "o", "at_least": "^", "below": "v"}
_STATUS_STYLE = {
    "delayed": ("X", style.RED),
    "caution": ("s", style.ORANGE),
    "normal": ("o", style.GREEN),
}


TITLE = "Denver II by sector"


def describe_denver(data: DenverChartData) -> ChartText:
    """The chart's title and alt text, without drawing it."""
    return ChartText(TITLE, _alt_text(data, sorted(data.assessments, key=lambda a: a.assessed_on)))


def denver_chart(data: DenverChartData) -> Chart:
    figure = style.new_figure(9, 7.5)
    ages, statuses = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.6]}, squeeze=True
    )
    assessments = sorted(data.assessments, key=lambda a: a.assessed_on)
    end = max(
        [12.0]
        + [a.age_line_months for a in assessments]
        + [s.months for a in assessments for s in a.sector_ages]
    )
    end = 6 * math.ceil((end + 3) / 6)

    (diagonal,) = ages.plot(
        [0, end], [0, end], color=style.GREY, linestyle="--", label="Age line (on pace)"
    )
    diagonal.set_gid("denver:age-line")
    scored = [a for a in assessments if a.sector_ages]
    for sector in SECTORS:
        series = [
            (a.age_line_months, s.months, s.kind)
            for a in scored
            for s in a.sector_ages
            if s.sector == sector
        ]
        if not series:
            continue
        colour = _SECTOR_COLOURS[sector]
        (line,) = ages.plot(
            [x for x, _, _ in series],
            [y for _, y, _ in series],
            color=colour,
            linewidth=1.5,
            marker="o",
            label=SECTOR_LABELS[sector],
        )
        line.set_gid(f"denver:sector:{sector}")
        for x, y, kind in series:
            if kind != "estimate":
                ages.scatter([x], [y], marker=_KIND_MARKERS[kind], s=70, color=colour, zorder=5)
    if not scored:
        ages.text(
            0.5,
            0.6,
            "No item-scored assessment: developmental ages need item results.\n"
            "Sector conclusions from reports are shown below.",
            transform=ages.transAxes,
            ha="center",
            fontsize=10,
            color=style.GREY,
        ).set_gid("denver:no-items")
    ages.set_xlim(0, end)
    ages.set_ylim(0, end)
    ages.set_ylabel("Developmental age (months)")
    ages.grid(True, alpha=0.3)
    ages.legend(loc="upper left", fontsize=8, frameon=False)
    ages.set_title(
        "Sector developmental age (passes cross 50 %; ^ at least, v below the easiest item)",
        fontsize=9,
    )

    rows = {sector: len(SECTORS) - 1 - index for index, sector in enumerate(SECTORS)}
    for assessment in assessments:
        for status in assessment.statuses:
            marker, colour = _STATUS_STYLE[status.status]
            statuses.scatter(
                [assessment.age_line_months],
                [rows[status.sector]],
                marker=marker,
                s=90,
                color=colour if status.basis == "items" else "none",
                edgecolors=colour,
                linewidths=2,
                zorder=5,
            ).set_gid(f"denver:status:{status.sector}:{assessment.assessed_on.isoformat()}")
        statuses.axvline(assessment.age_line_months, color=style.GREY, linewidth=0.6)
        statuses.annotate(
            assessment.test_result or "reported by sector",
            xy=(assessment.age_line_months, len(SECTORS) - 0.4),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=7,
            color=style.GREY,
        )
    statuses.set_yticks(list(rows.values()), [SECTOR_LABELS[s] for s in rows])
    statuses.set_ylim(-0.6, len(SECTORS) - 0.2)
    statuses.tick_params(axis="y", labelsize=8)
    statuses.set_xlabel("Age line at the assessment (months; corrected under the Denver II rule)")
    statuses.set_title(
        "Sector conclusion: X delayed, square caution, circle normal (hollow: reported)",
        fontsize=9,
    )
    figure.suptitle(TITLE, fontsize=13, fontweight="bold")
    return Chart(figure=figure, title=TITLE, alt_text=_alt_text(data, assessments))


def _alt_text(data: DenverChartData, assessments) -> str:
    if not assessments:
        return "Denver II chart: no assessment recorded."
    sentences = [f"Denver II chart, {len(assessments)} assessment(s)."]
    for assessment in assessments:
        delayed = [SECTOR_LABELS[s.sector] for s in assessment.statuses if s.status == "delayed"]
        caution = [SECTOR_LABELS[s.sector] for s in assessment.statuses if s.status == "caution"]
        words = f"At {style.months_label(assessment.age_line_months)}"
        words += (
            f" ({assessment.test_result})" if assessment.test_result else " (reported by sector)"
        )
        words += ": delayed in " + ", ".join(delayed) if delayed else ": no sector delayed"
        if caution:
            words += "; caution in " + ", ".join(caution)
        if assessment.sector_ages:
            words += "; developmental ages " + ", ".join(
                f"{SECTOR_LABELS[s.sector]} {s.months:g}"
                + (" or more" if s.kind == "at_least" else " or less" if s.kind == "below" else "")
                for s in assessment.sector_ages
            )
        sentences.append(words + ".")
    return " ".join(sentences)
