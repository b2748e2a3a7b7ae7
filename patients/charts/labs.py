"""Lab trends after the first B12 dose: one panel per analyte, on a shared axis of days.

Each panel shades the reference range that applies at each day (ranges change with the age band),
the treatment phases behind everything, and the results: an exact result as a filled marker, a
censored one ("<150 pg/mL") as an open marker at the reported limit with an arrow the way the true
value lies, never as a value of 150 (CLINICAL.md section 5). Results given in words ("high") are
written where they were taken.
"""

from __future__ import annotations

from patients.charts import style
from patients.charts.model import Chart, ChartText, LabChartData, LabPanel

_ARROWS = {"<": -1, "<=": -1, ">": 1, ">=": 1}


def axis_days(days: list[float]) -> tuple[float, float]:
    """The chart's first and last day: two weeks before the first dose to two months after it at
    least, and a week's margin around every result and phase."""
    return min([-14.0, *days]) - 7, max([60.0, *days]) + 14


TITLE = "Laboratory trends"


def describe_labs(data: LabChartData) -> ChartText:
    """The chart's title and alt text, without drawing it."""
    return ChartText(TITLE, _alt_text(data))


def lab_chart(data: LabChartData) -> Chart:
    count = max(1, len(data.panels))
    figure = style.new_figure(9, 2.1 * count + 1.2)
    axes_list = figure.subplots(count, 1, sharex=True, squeeze=False)[:, 0]
    # The axis follows the results; a phase running on for years is drawn up to the axis's end.
    start, end = axis_days(
        [p.day for panel in data.panels for p in panel.points]
        + [w.day for panel in data.panels for w in panel.words]
    )

    for index, (axes, panel) in enumerate(zip(axes_list, data.panels, strict=False)):
        _draw_phases(axes, data, label=index == 0)
        _draw_panel(axes, panel)
        axes.axvline(0, color=style.BLACK, linewidth=1)
        for event in data.events:
            axes.axvline(event.at, color=style.GREY, linestyle="-.", linewidth=0.8)
    axes_list[0].annotate(
        data.origin_label,
        xy=(0, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, 14),
        textcoords="offset points",
        fontsize=8,
    )
    axes_list[-1].set_xlim(start, end)
    axes_list[-1].set_xlabel(f"Days since the {data.origin_label}")
    figure.suptitle(TITLE, fontsize=13, fontweight="bold")
    return Chart(figure=figure, title=TITLE, alt_text=_alt_text(data))


def _draw_phases(axes, data: LabChartData, *, label: bool) -> None:
    for number, phase in enumerate(data.phases, start=1):
        patch = axes.axvspan(
            phase.start,
            max(phase.end, phase.start + 0.8),
            color=style.PHASE_COLOURS[(number - 1) % len(style.PHASE_COLOURS)],
            alpha=0.6,
            zorder=0,
        )
        patch.set_gid(f"phase:{number}")
        if label:
            axes.annotate(
                phase.label,
                xy=(phase.start, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=7,
                color=style.ORANGE,
            )


def _draw_panel(axes, panel: LabPanel) -> None:
    axes.set_ylabel(f"{panel.label}\n({panel.unit})", fontsize=8)
    for number, segment in enumerate(panel.ranges, start=1):
        low = segment.low if segment.low is not None else 0.0
        if segment.high is None:
            line = axes.axhline(segment.low or 0.0, color=style.GREEN, linestyle="--")
            line.set_gid(f"lab:{panel.analyte}:range:{number}")
            continue
        band = axes.fill_between(
            [segment.day_from, segment.day_to],
            [low, low],
            [segment.high, segment.high],
            color=style.GREEN,
            alpha=0.15,
            zorder=1,
            label="Reference range" if number == 1 else None,
        )
        band.set_gid(f"lab:{panel.analyte}:range:{number}")
    exact = [p for p in panel.points if not p.censored]
    censored = [p for p in panel.points if p.censored]
    if len(exact) > 1:
        (path,) = axes.plot(
            [p.day for p in exact], [p.value for p in exact], color=style.BLUE, linewidth=1
        )
        path.set_gid(f"lab:{panel.analyte}:path")
    if exact:
        axes.scatter(
            [p.day for p in exact],
            [p.value for p in exact],
            s=36,
            color=style.BLUE,
            zorder=5,
            label="Result",
        ).set_gid(f"lab:{panel.analyte}:points")
    if censored:
        axes.scatter(
            [p.day for p in censored],
            [p.value for p in censored],
            s=60,
            facecolors="none",
            edgecolors=style.RED,
            linewidths=1.5,
            zorder=6,
            label="Censored result (at its limit)",
        ).set_gid(f"lab:{panel.analyte}:censored")
        for point in censored:
            direction = _ARROWS.get(point.comparator, -1)
            axes.annotate(
                point.text,
                xy=(point.day, point.value),
                xytext=(0, 22 * direction),
                textcoords="offset points",
                ha="center",
                va="top" if direction < 0 else "bottom",
                fontsize=7,
                color=style.RED,
                arrowprops={"arrowstyle": "<-", "color": style.RED},
            ).set_gid(f"lab:{panel.analyte}:censored-label")
    for word in panel.words:
        axes.annotate(
            word.text,
            xy=(word.day, 0.85),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color=style.PURPLE,
            ha="center",
        ).set_gid(f"lab:{panel.analyte}:words")
    if not panel.points and not panel.words:
        axes.text(
            0.5,
            0.5,
            "No results recorded",
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=9,
            color=style.GREY,
        ).set_gid(f"lab:{panel.analyte}:empty")
    values = [p.value for p in panel.points]
    values += [s.high for s in panel.ranges if s.high is not None]
    values += [s.low for s in panel.ranges if s.low is not None]
    if values:
        axes.set_ylim(0, max(values) * 1.25)
    axes.grid(True, alpha=0.3)
    if panel.points:
        axes.legend(loc="upper right", fontsize=7, frameon=False)


def _alt_text(data: LabChartData) -> str:
    sentences = [f"Laboratory trends against days since the {data.origin_label}."]
    if data.phases:
        sentences.append(
            "Treatment phases: "
            + "; ".join(f"{p.label} from day {p.start:g}" for p in data.phases)
            + "."
        )
    for panel in data.panels:
        if not panel.points and not panel.words:
            sentences.append(f"{panel.label}: no results.")
            continue
        results = [
            f"{p.text} on day {p.day}" + (f" ({p.flag})" if p.flag else "")
            for p in sorted(panel.points, key=lambda p: p.day)
        ]
        results += [f"{w.text} on day {w.day}" for w in panel.words]
        ranges = {
            f"{'' if s.low is None else format(s.low, 'g')}-{'' if s.high is None else format(s.high, 'g')}"
            for s in panel.ranges
        }
        reference = f" Reference {', '.join(sorted(ranges))} {panel.unit}." if ranges else ""
        sentences.append(f"{panel.label}: " + "; ".join(results) + "." + reference)
    return " ".join(sentences)
