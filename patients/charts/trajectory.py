"""The developmental trajectory, as seed 000 tells it: milestones against their windows, with the
treatment, the MRI studies and the adverse events on the same axis of age.

Two panels share the age axis (chronological months):

- the record: B12 treatment phases, MRI studies, adverse events (treatment-emergent tremor) and
  Denver II assessments, one lane each, with diagnosis, first dose and today as vertical lines;
- the milestones, one row each: the WHO Motor Development Study window (1st-99th percentile, Acta
  Paediatr Suppl 2006;450:86-95) above, the Denver II item's 25-75 % and 75-90 % bars below
  (Frankenburg 1992; the 75-90 % stretch is where a failure is a caution), and the age the milestone
  was reached, coloured by its timing. For an infant judged on corrected age the marker stands at
  the corrected age and a hollow marker at the chronological age it came from.

A milestone without a record is labelled "not recorded": absence from the record is not a delay.
"""

from __future__ import annotations

import math

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from patients.charts import style
from patients.charts.model import Chart, ChartText, MilestoneRow, TrajectoryData

_LANES = ("B12 treatment", "MRI", "Adverse events", "Denver II")
_EVENT_MARKERS = {
    "mri_abnormal": ("v", style.RED),
    "mri_normal": ("^", style.GREEN),
    "mri_improved": ("^", style.ORANGE),
    "denver": ("D", style.PURPLE),
}
_LINE_EVENTS = {
    "diagnosis": (style.BLACK, ":"),
    "first_dose": (style.BLACK, "-"),
    "stop": (style.GREY, "-."),
    "today": (style.BLUE, "--"),
}
_TIMING_WORDS = {"early": "early", "on_time": "within the window", "late": "late"}


TITLE = "Developmental trajectory"


def describe_trajectory(data: TrajectoryData) -> ChartText:
    """The chart's title and alt text, without drawing it."""
    return ChartText(TITLE, _alt_text(data))


def trajectory_chart(data: TrajectoryData) -> Chart:
    figure = style.new_figure(11, 7.5)
    record, rows = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [1.3, 4]}, squeeze=True
    )
    end = _axis_end(data)

    _draw_record(record, data)
    _draw_milestones(rows, data.milestones)
    lines = sorted((e for e in data.events if e.kind in _LINE_EVENTS), key=lambda e: e.at)
    stacked = 0
    for index, event in enumerate(lines):
        colour, linestyle = _LINE_EVENTS[event.kind]
        for axes in (record, rows):
            line = axes.axvline(event.at, color=colour, linestyle=linestyle, linewidth=1)
            line.set_gid(f"line:{event.kind}")
        # Labels of lines close together (diagnosis and first dose, days apart) are stacked.
        close = index > 0 and event.at - lines[index - 1].at < end / 25
        stacked = stacked + 1 if close else 0
        record.annotate(
            event.label,
            xy=(event.at, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, 2 + 9 * stacked),
            textcoords="offset points",
            fontsize=7,
            color=colour,
        )

    rows.set_xlim(0, end)
    rows.set_xlabel("Chronological age (months)")
    rows.grid(True, axis="x", alpha=0.3)
    figure.suptitle(TITLE, fontsize=13, fontweight="bold")
    subtitle = "Milestones against WHO motor windows and Denver II bars"
    if data.days_born_early:
        subtitle += (
            f"; born {data.days_born_early} days before term, markers at corrected age "
            "where the rule applies"
        )
    rows.set_title(subtitle, fontsize=9)
    rows.legend(handles=_legend_handles(), loc="lower right", fontsize=7, frameon=True)
    return Chart(figure=figure, title=TITLE, alt_text=_alt_text(data))


def _axis_end(data: TrajectoryData) -> float:
    ages = [0.0]
    ages += [event.at for event in data.events]
    ages += [span.end for span in (*data.phases, *data.adverse_events)]
    for row in data.milestones:
        ages += [row.latest_months, row.attained_chronological_months or 0.0]
    return max(24.0, 3 * math.ceil((max(ages) + 1.5) / 3))


def _draw_record(axes, data: TrajectoryData) -> None:
    lanes = {name: len(_LANES) - 1 - index for index, name in enumerate(_LANES)}
    axes.set_yticks(list(lanes.values()), list(lanes))
    axes.set_ylim(-0.7, len(_LANES) - 0.3)
    axes.tick_params(axis="y", labelsize=8)
    y = lanes["B12 treatment"]
    for number, phase in enumerate(data.phases, start=1):
        bar = axes.barh(
            y,
            max(phase.end - phase.start, 0.15),
            left=phase.start,
            height=0.6,
            color=style.PHASE_COLOURS[(number - 1) % len(style.PHASE_COLOURS)],
            edgecolor=style.ORANGE,
        )
        bar.patches[0].set_gid(f"phase:{number}")
    if data.phases:
        # Loading phases last days, maintenance years: one line names them all, in order, on the
        # longest phase, where there is room to read it.
        longest = max(data.phases, key=lambda p: p.end - p.start)
        axes.text(
            longest.start + 0.2,
            y,
            " -> ".join(phase.label for phase in data.phases),
            va="center",
            fontsize=7,
            clip_on=True,
        ).set_gid("phase-labels")
    y = lanes["Adverse events"]
    for number, event in enumerate(data.adverse_events, start=1):
        bar = axes.barh(
            y,
            max(event.end - event.start, 0.15),
            left=event.start,
            height=0.5,
            color=style.RED,
            alpha=0.7,
        )
        bar.patches[0].set_gid(f"adverse:{number}")
        axes.annotate(
            event.label,
            xy=(event.end, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color=style.RED,
        )
    for event in data.events:
        if event.kind not in _EVENT_MARKERS:
            continue
        marker, colour = _EVENT_MARKERS[event.kind]
        y = lanes["Denver II"] if event.kind == "denver" else lanes["MRI"]
        axes.scatter([event.at], [y], marker=marker, s=60, color=colour, zorder=5).set_gid(
            f"event:{event.kind}:{event.at:.2f}"
        )
        axes.annotate(
            event.label,
            xy=(event.at, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    axes.grid(True, axis="x", alpha=0.3)


def _draw_milestones(axes, milestones: tuple[MilestoneRow, ...]) -> None:
    count = len(milestones)
    labels = []
    for index, row in enumerate(milestones):
        y = count - 1 - index
        recorded = row.attained_chronological_months is not None
        labels.append(row.label if recorded else f"{row.label} (not recorded)")
        if row.who_window is not None:
            first, last = row.who_window
            bar = axes.barh(
                y + 0.17, last - first, left=first, height=0.3, color=style.GREEN, alpha=0.35
            )
            bar.patches[0].set_gid(f"window:who:{row.code}")
        if row.denver_percentiles is not None:
            p25, _p50, p75, p90 = row.denver_percentiles
            normal = axes.barh(
                y - 0.17, p75 - p25, left=p25, height=0.3, color=style.SKY, alpha=0.55
            )
            normal.patches[0].set_gid(f"window:denver:{row.code}:25-75")
            caution = axes.barh(
                y - 0.17, p90 - p75, left=p75, height=0.3, color=style.BLUE, alpha=0.75
            )
            caution.patches[0].set_gid(f"window:denver:{row.code}:75-90")
        if not recorded:
            continue
        attained = row.attained_months if row.attained_months is not None else 0.0
        chronological = row.attained_chronological_months or 0.0
        colour = style.TIMING_COLOURS.get(row.timing, style.BLACK)
        if abs(attained - chronological) > 1e-9:
            axes.plot([chronological, attained], [y, y], color=colour, linewidth=1)
            axes.scatter(
                [chronological], [y], s=60, facecolors="none", edgecolors=colour, zorder=6
            ).set_gid(f"milestone:{row.code}:chronological")
        axes.scatter([attained], [y], s=80, color=colour, edgecolors=style.BLACK, zorder=7).set_gid(
            f"milestone:{row.code}:attained"
        )
        words = _TIMING_WORDS.get(row.timing, row.timing)
        axes.annotate(
            f"{chronological:g} mo" + (f", {words}" if words else ""),
            xy=(attained, y),
            xytext=(7, 5),
            textcoords="offset points",
            fontsize=7,
            color=colour,
        ).set_gid(f"milestone:{row.code}:label")
    axes.set_yticks(range(count - 1, -1, -1), labels)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(-0.6, count - 0.4)


def _legend_handles() -> list:
    return [
        Patch(color=style.GREEN, alpha=0.35, label="WHO window, 1st-99th percentile"),
        Patch(color=style.SKY, alpha=0.55, label="Denver II, 25-75 % passing"),
        Patch(color=style.BLUE, alpha=0.75, label="Denver II, 75-90 % passing"),
        Line2D([], [], marker="o", linestyle="", color=style.GREEN, label="Reached in window"),
        Line2D([], [], marker="o", linestyle="", color=style.RED, label="Reached late"),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none",
            color=style.GREY,
            label="Chronological age (preterm)",
        ),
    ]


def _alt_text(data: TrajectoryData) -> str:
    sentences = ["Developmental trajectory chart."]
    first_dose = next((e for e in data.events if e.kind == "first_dose"), None)
    if first_dose is not None:
        phases = ", then ".join(phase.label for phase in data.phases)
        sentences.append(
            f"B12 treatment from {style.months_label(first_dose.at)}"
            + (f" ({phases})." if phases else ".")
        )
    else:
        sentences.append("No B12 treatment recorded.")
    for event in data.events:
        if event.kind.startswith("mri"):
            sentences.append(f"MRI at {style.months_label(event.at)}: {event.label}.")
    for event in data.adverse_events:
        sentences.append(
            f"{event.label} from {style.months_label(event.start)} "
            f"to {style.months_label(event.end)}."
        )
    reached = []
    for row in data.milestones:
        if row.attained_chronological_months is None:
            continue
        limit = "WHO 99th percentile" if row.who_window is not None else "Denver II 90th percentile"
        reached.append(
            f"{row.label} at {row.attained_chronological_months:g} months "
            f"({_TIMING_WORDS.get(row.timing, row.timing)}; {limit} {row.latest_months:g})"
        )
    if reached:
        sentences.append("Milestones: " + "; ".join(reached) + ".")
    else:
        sentences.append("No milestone recorded.")
    not_recorded = [r.label for r in data.milestones if r.attained_chronological_months is None]
    if not_recorded:
        sentences.append("Not recorded: " + ", ".join(not_recorded) + ".")
    return " ".join(sentences)
