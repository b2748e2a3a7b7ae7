"""Chart rendering against a fixed calibration figure drawn in the same process, and its memory.

The target is an infant's weight-for-age chart as the chart service draws it (the record read
from the database, WHO centile curves, the infant's points, constrained layout, PNG). The
calibration figure is a fixed matplotlib figure of the same size and kind of content (five curves
of 900 points, a dozen labelled points, legend, grid) drawn with the same object API and saved the
same way; it touches no database and never changes, so its time measures the machine and
matplotlib that minute. Rounds alternate calibration and chart, and the ratio is the median of the
rounds' ratios.

Memory runs in a fresh process (`python -m bench.charts --memory`): resident size after a warm-up
and after a thousand more renders, with the garbage collected before each reading.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import sys
import time

from matplotlib.figure import Figure

from bench.stats import median, ratios

CHART = "growth-wfa"


def calibration_figure() -> bytes:
    figure = Figure(figsize=(8, 5.5), dpi=100, layout="constrained")
    figure.set_facecolor("white")
    axes = figure.add_subplot()
    xs = [i / 30.4375 * 2 for i in range(900)]
    for k, z in enumerate((-1.88, -1.04, 0.0, 1.04, 1.88)):
        ys = [3.3 + 0.7 * x - 0.012 * x * x + z * (0.4 + 0.03 * x) for x in xs]
        axes.plot(
            xs,
            ys,
            color="#777777" if k != 2 else "#009E73",
            linestyle="-" if k == 2 else "--",
            linewidth=1.0,
            label=f"curve {k}",
        )
        axes.annotate(
            f"{k}", xy=(xs[-1], ys[-1]), xytext=(3, 0), textcoords="offset points", fontsize=8
        )
    points = [(1.5 + 2.1 * i, 3.0 + 0.55 * i) for i in range(12)]
    axes.plot([p[0] for p in points], [p[1] for p in points], "o-", color="#0072B2", label="points")
    for x, y in points[-6:]:
        axes.annotate(
            f"{y:.1f} kg", xy=(x, y), xytext=(0, 6), textcoords="offset points", fontsize=7
        )
    axes.set_title("Calibration figure")
    axes.set_xlabel("Age (months)")
    axes.set_ylabel("Weight (kg)")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": "bench"})
    return buffer.getvalue()


def _chart_renderer(infant_id: str):
    from patients import models as m
    from patients.charts import render
    from patients.services import charts as chart_service

    infant = m.Infant.objects.select_related("clinic").get(pk=infant_id)
    today = infant.clinic.today()
    draw = chart_service.INFANT_CHARTS[CHART]

    def chart() -> bytes:
        return render.figure_bytes(draw(infant, today), "png")

    return chart, infant, today


def _timed(fn, n: int) -> float:
    """Median seconds of one call over n calls."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return median(times)


def render_ratio(infant_id: str, *, rounds: int, per_round: int) -> dict:
    from patients.charts import render
    from patients.services import charts as chart_service

    chart, infant, today = _chart_renderer(infant_id)
    chart()
    calibration_figure()  # fonts, caches and the WHO tables loaded before the first timing
    calibration, target = [], []
    for _ in range(rounds):
        calibration.append(_timed(calibration_figure, per_round))
        target.append(_timed(chart, per_round))
    every = {}
    for name, draw in chart_service.INFANT_CHARTS.items():
        for image_format in ("png", "svg"):
            every[f"{name}.{image_format}"] = round(
                _timed(lambda d=draw, f=image_format: render.figure_bytes(d(infant, today), f), 3)
                * 1000,
                1,
            )
    per_round_ratios = ratios(target, calibration)
    return {
        "chart": f"{CHART}.png",
        "rounds": rounds,
        "renders_per_round": per_round,
        "calibration_ms": [round(t * 1000, 1) for t in calibration],
        "chart_ms": [round(t * 1000, 1) for t in target],
        "ratios": per_round_ratios,
        "ratio": median(per_round_ratios),
        "every_chart_ms": every,
    }


def memory(infant_id: str, *, renders: int, warmup: int = 30) -> dict:
    import psutil

    chart, _, _ = _chart_renderer(infant_id)
    process = psutil.Process()
    for _ in range(warmup):
        chart()
    gc.collect()
    before = process.memory_info().rss
    samples = []
    started = time.monotonic()
    for n in range(1, renders + 1):
        chart()
        if n % max(1, renders // 20) == 0:
            gc.collect()
            samples.append((n, process.memory_info().rss))
    gc.collect()
    after = process.memory_info().rss
    return {
        "renders": renders,
        "warmup": warmup,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "growth_mb": round((after - before) / 2**20, 2),
        "samples_mb": [(n, round(rss / 2**20, 1)) for n, rss in samples],
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="chart memory over many renders (subprocess)")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--infant", required=True)
    parser.add_argument("--renders", type=int, default=1000)
    args = parser.parse_args()
    import django

    django.setup()
    result = memory(args.infant, renders=args.renders)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
