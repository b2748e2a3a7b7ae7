"""The clinic leads' cohort charts: Kaplan-Meier curves and stacked bars, with small cells suppressed.

Suppression: a group (a curve, a bar) of fewer than ``MINIMUM_CELL`` infants is never drawn; its
place says "suppressed: fewer than 5", so no child can be picked out by combining filters. Counts
of 1 to 4 are never printed anywhere on a chart ("<5"), and no total is printed that would let a
suppressed group's size be worked out by subtraction: the n shown is the sum of the groups drawn.
"""

from __future__ import annotations

import math

from patients.charts import style
from patients.charts.model import (
    BarChartData,
    BarPanel,
    Chart,
    GroupSubjects,
    Outcome,
    SurvivalChartData,
)
from patients.charts.survival import KaplanMeier, kaplan_meier

MINIMUM_CELL = 5
"""Groups of fewer infants than this are suppressed."""

# The times (months) at which the legend gives the number still at risk.
_AT_RISK_MONTHS = (0, 6, 12, 24)


def shown(infants: int) -> bool:
    return infants >= MINIMUM_CELL


def survival_chart(data: SurvivalChartData) -> Chart:
    count = max(1, len(data.outcomes))
    columns = 1 if count == 1 else 2
    rows = math.ceil(count / columns)
    figure = style.new_figure(6 * columns, 3.8 * rows + 1.2)
    axes_grid = figure.subplots(rows, columns, squeeze=False)
    summaries: list[str] = []
    for index, outcome in enumerate(data.outcomes):
        axes = axes_grid[index // columns][index % columns]
        summaries.append(_survival_panel(axes, outcome, data))
    for index in range(len(data.outcomes), rows * columns):
        axes_grid[index // columns][index % columns].set_axis_off()
    if not data.outcomes:
        axes = axes_grid[0][0]
        axes.text(0.5, 0.5, "No outcome to show", ha="center", transform=axes.transAxes)
    _caption(figure, data.title, data.stratified_by, data.filters_text, data.definitions)
    alt = " ".join(
        part
        for part in (
            f"{data.title}: Kaplan-Meier curves"
            + (f" by {data.stratified_by}" if data.stratified_by else "")
            + ".",
            data.filters_text,
            *summaries,
            data.definitions,
        )
        if part
    )
    return Chart(figure=figure, title=data.title, alt_text=alt)


def _survival_panel(axes, outcome: Outcome, data: SurvivalChartData) -> str:
    axes.set_title(outcome.label, fontsize=10)
    axes.set_xlabel(data.x_label, fontsize=8)
    axes.set_ylabel(data.y_label, fontsize=8)
    axes.set_ylim(-0.02, 1.05)
    axes.grid(True, alpha=0.3)
    words: list[str] = []
    suppressed: list[str] = []
    horizon = 1.0
    for number, group in enumerate(outcome.groups):
        if not group.subjects:
            continue
        if not shown(len(group.subjects)):
            suppressed.append(group.group)
            continue
        colour = style.GROUP_COLOURS[number % len(style.GROUP_COLOURS)]
        curve = kaplan_meier(group.subjects)
        horizon = max(horizon, max(s.time for s in group.subjects))
        _draw_curve(axes, outcome, group, curve, colour, cumulative=data.cumulative)
        words.append(_curve_words(group, curve, cumulative=data.cumulative, y_label=data.y_label))
    for line, group_name in enumerate(suppressed):
        axes.text(
            0.98,
            0.04 + 0.07 * line,
            f"{group_name}: {style.SUPPRESSED}",
            transform=axes.transAxes,
            ha="right",
            fontsize=8,
            color=style.GREY,
        ).set_gid(f"km:{outcome.key}:{group_name}:suppressed")
        words.append(f"{group_name}: {style.SUPPRESSED}.")
    if not any(shown(len(g.subjects)) for g in outcome.groups):
        axes.text(
            0.5,
            0.55,
            "No group of 5 or more infants",
            transform=axes.transAxes,
            ha="center",
            color=style.GREY,
        )
    if outcome.excluded:
        axes.text(
            0.02,
            -0.3,
            "Not in the analysis: "
            + "; ".join(f"{why} {style.count_text(n)}" for why, n in outcome.excluded if n),
            transform=axes.transAxes,
            fontsize=7,
            color=style.GREY,
        )
    axes.set_xlim(0, horizon * 1.05)
    if any(line.get_label() and not line.get_label().startswith("_") for line in axes.lines):
        axes.legend(loc="upper left" if data.cumulative else "lower left", fontsize=7)
    return f"{outcome.label}: " + " ".join(words)


def _draw_curve(
    axes,
    outcome: Outcome,
    group: GroupSubjects,
    curve: KaplanMeier,
    colour: str,
    *,
    cumulative: bool,
) -> None:
    def shown_value(survival: float) -> float:
        return 1.0 - survival if cumulative else survival

    times = [0.0, *curve.times] if not curve.times or curve.times[0] > 0 else list(curve.times)
    values = [shown_value(curve.at(t)) for t in times]
    at_risk = "/".join(style.count_text(curve.at_risk(t, group.subjects)) for t in _AT_RISK_MONTHS)
    (line,) = axes.step(
        times,
        values,
        where="post",
        color=colour,
        linewidth=1.8,
        label=(
            f"{group.group}: n={len(group.subjects)}, events {style.count_text(curve.events)}; "
            f"at risk at {'/'.join(str(t) for t in _AT_RISK_MONTHS)} mo: {at_risk}"
        ),
    )
    line.set_gid(f"km:{outcome.key}:{group.group}")
    lows = [shown_value(v) for v in curve.lower]
    highs = [shown_value(v) for v in curve.upper]
    axes.fill_between(
        list(curve.times), lows, highs, step="post", color=colour, alpha=0.12, linewidth=0
    ).set_gid(f"km:{outcome.key}:{group.group}:band")
    if curve.censored_times:
        axes.scatter(
            list(curve.censored_times),
            [shown_value(curve.at(t)) for t in curve.censored_times],
            marker="+",
            s=50,
            color=colour,
            zorder=5,
        ).set_gid(f"km:{outcome.key}:{group.group}:censored")


def _curve_words(
    group: GroupSubjects, curve: KaplanMeier, *, cumulative: bool, y_label: str
) -> str:
    checkpoints = [t for t in (3, 6, 12, 24) if t <= max(s.time for s in group.subjects)]
    values = ", ".join(
        f"{round(100 * ((1 - curve.at(t)) if cumulative else curve.at(t)))} % at {t} months"
        for t in checkpoints
    )
    return (
        f"{group.group} (n={len(group.subjects)}, {style.count_text(curve.events)} events): "
        + (f"{y_label.lower()} {values}" if values else "no follow-up beyond 3 months")
        + "."
    )


def bar_chart(data: BarChartData) -> Chart:
    count = max(1, len(data.panels))
    bars = max([len(panel.bars) for panel in data.panels] or [1])
    figure = style.new_figure(10, max(3.0, (0.45 * bars + 1.3) * count + 1.0))
    axes_list = figure.subplots(count, 1, squeeze=False)[:, 0]
    colours = dict(data.colours)
    summaries = []
    for axes, panel in zip(axes_list, data.panels, strict=False):
        summaries.append(_bar_panel(axes, panel, data, colours))
    if not data.panels:
        axes_list[0].text(
            0.5, 0.5, "Nothing to show", ha="center", transform=axes_list[0].transAxes
        )
    _caption(figure, data.title, data.stratified_by, data.filters_text, data.definitions)
    alt = " ".join(
        part for part in (f"{data.title}.", data.filters_text, *summaries, data.definitions) if part
    )
    return Chart(figure=figure, title=data.title, alt_text=alt)


def _bar_panel(axes, panel: BarPanel, data: BarChartData, colours: dict[str, str]) -> str:
    labels = []
    words = []
    palette = iter(style.GROUP_COLOURS)
    category_colours = {c: colours.get(c) or next(palette) for c in panel.categories}
    drawn_categories: set[str] = set()
    for y, bar in enumerate(reversed(panel.bars)):
        labels.append(bar.group)
        if not shown(bar.infants):
            axes.text(
                0.01,
                y,
                style.SUPPRESSED,
                va="center",
                fontsize=8,
                color=style.GREY,
                transform=axes.get_yaxis_transform(),
            ).set_gid(f"bar:{panel.key}:{bar.group}:suppressed")
            words.append(f"{bar.group}: {style.SUPPRESSED}.")
            continue
        counts = dict(bar.counts)
        total = sum(counts.values())
        left = 0.0
        parts = []
        for category in panel.categories:
            share = counts.get(category, 0) / total if total else 0.0
            patches = axes.barh(
                y,
                share,
                left=left,
                height=0.6,
                color=category_colours[category],
                label=category if category not in drawn_categories else None,
            )
            patches.patches[0].set_gid(f"bar:{panel.key}:{bar.group}:{category}")
            drawn_categories.add(category)
            if share >= 0.08:
                axes.text(
                    left + share / 2,
                    y,
                    f"{round(100 * share)} %",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white",
                )
            parts.append(f"{category} {round(100 * share)} %")
            left += share
        axes.text(
            1.01,
            y,
            f"n={bar.infants}" + (f" ({total} {data.unit})" if data.unit != "infants" else ""),
            va="center",
            fontsize=7,
            transform=axes.get_yaxis_transform(),
        )
        words.append(f"{bar.group} (n={bar.infants}): " + ", ".join(parts) + ".")
    axes.set_yticks(range(len(labels)), labels)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_xlim(0, 1)
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0 %", "25 %", "50 %", "75 %", "100 %"])
    axes.set_title(panel.label, fontsize=10)
    if drawn_categories:
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=7)
    if not panel.bars:
        axes.text(0.5, 0.5, "No infants", ha="center", transform=axes.transAxes, color=style.GREY)
    return f"{panel.label}: " + " ".join(words)


def _caption(figure, title: str, stratified_by: str, filters_text: str, definitions: str) -> None:
    figure.suptitle(title, fontsize=13, fontweight="bold")
    lines = []
    if stratified_by:
        lines.append(f"By {stratified_by}.")
    if filters_text:
        lines.append(filters_text)
    lines.append(f"Groups of fewer than {MINIMUM_CELL} infants are suppressed.")
    if definitions:
        lines.append(definitions)
    figure.supxlabel("\n".join(lines), fontsize=7, color=style.GREY, ha="center")
