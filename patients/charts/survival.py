"""Kaplan-Meier estimates for the cohort charts, computed by lifelines.

lifelines' ``KaplanMeierFitter`` gives the product-limit estimate S(t) = prod over event times
t_i <= t of (1 - d_i / n_i), with d_i events among the n_i infants still at risk at t_i (an infant
censored at t_i is counted at risk at t_i, the usual convention), and Greenwood's variance on the
log(-log) scale for the 95 % band. It is imported when a curve is first computed: it brings
pandas and scipy, which the rest of the server does not need at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from patients.charts.model import Subject


@dataclass(frozen=True)
class KaplanMeier:
    """A step function: ``survival[i]`` holds from ``times[i]`` until the next time."""

    times: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    #: Times at which an infant left the analysis without the event (drawn as ticks).
    censored_times: tuple[float, ...]
    subjects: int
    events: int

    def at(self, t: float) -> float:
        """S(t): the estimate in force at time ``t``."""
        value = 1.0
        for time, survival in zip(self.times, self.survival, strict=True):
            if time > t:
                break
            value = survival
        return value

    def at_risk(self, t: float, subjects: Sequence[Subject]) -> int:
        """Infants still followed and free of the event just before ``t``."""
        return sum(1 for subject in subjects if subject.time >= t)


def kaplan_meier(subjects: Sequence[Subject]) -> KaplanMeier:
    if not subjects:
        raise ValueError("a Kaplan-Meier estimate needs at least one infant")
    if any(subject.time < 0 for subject in subjects):
        raise ValueError("time to event cannot be negative")
    from lifelines import KaplanMeierFitter

    fitter = KaplanMeierFitter()
    fitter.fit(
        [subject.time for subject in subjects],
        event_observed=[subject.event for subject in subjects],
    )
    survival = fitter.survival_function_.iloc[:, 0]
    band = fitter.confidence_interval_survival_function_
    return KaplanMeier(
        times=tuple(float(t) for t in survival.index),
        survival=tuple(float(s) for s in survival.to_numpy()),
        lower=tuple(float(v) for v in band.iloc[:, 0].to_numpy()),
        upper=tuple(float(v) for v in band.iloc[:, 1].to_numpy()),
        censored_times=tuple(sorted(s.time for s in subjects if not s.event)),
        subjects=len(subjects),
        events=sum(1 for s in subjects if s.event),
    )
