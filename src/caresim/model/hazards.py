"""Event times from piecewise-constant hazards, by inverting the cumulative hazard.

For a hazard h(t) that is constant between breakpoints, the cumulative hazard H(t) is piecewise
linear. An event time after ``t0`` is ``T = H^{-1}(H(t0) + E)`` with ``E ~ Exp(1)``: exact for
rates that change over time, vectorised over any number of people (docs/design.md: never a single
draw at the start when rates change later).
"""

from __future__ import annotations

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model.sorting import searchsorted_right


class PiecewiseHazard:
    """A hazard per year, constant between breakpoints given in clock days.

    Parameters
    ----------
    days : numpy.ndarray
        Breakpoints in clock days; ``days[0]`` may be ``-inf``. Strictly increasing.
    rates_per_year : numpy.ndarray
        Hazard (1/year) in force from each breakpoint until the next. Non-negative.
    """

    def __init__(self, days: np.ndarray, rates_per_year: np.ndarray) -> None:
        days = np.asarray(days, dtype=float).copy()
        rates = np.asarray(rates_per_year, dtype=float) / DAYS_PER_YEAR
        if days.shape != rates.shape or days.ndim != 1 or len(days) == 0:
            raise ValueError("days and rates must be 1-D arrays of the same non-zero length")
        if np.any(rates < 0):
            raise ValueError("hazards must be non-negative")
        # anchor the first segment at day 0 so H is finite; before it the first rate holds
        self.origin = 0.0 if not np.isfinite(days[0]) else min(0.0, days[0])
        days[0] = self.origin
        self.days = days
        self.rates = rates
        self.cum = np.concatenate(([0.0], np.cumsum(np.diff(days) * rates[:-1])))

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        """Cumulative hazard H(t) from the origin (dimensionless)."""
        t = np.asarray(t, dtype=float)
        i = searchsorted_right(self.days, t) - 1
        i = np.clip(i, 0, len(self.days) - 1)
        return self.cum[i] + (t - self.days[i]) * self.rates[i]

    def inverse(self, target: np.ndarray) -> np.ndarray:
        """The time t at which H(t) = ``target`` (``inf`` where the hazard ends at zero)."""
        target = np.asarray(target, dtype=float)
        i = searchsorted_right(self.cum, target) - 1
        i = np.clip(i, 0, len(self.cum) - 1)
        rate = self.rates[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.days[i] + (target - self.cum[i]) / rate
        # a zero rate on a segment that is not the last cannot hold the target (cum is flat
        # there and searchsorted moved past it), so only the final segment can give inf
        return np.where(rate > 0, t, np.inf)

    def draw_times(self, t0: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Event times after ``t0`` (days) given unit exponential draws ``e``."""
        return self.inverse(self.cumulative(t0) + e)
