"""Summaries folded one run at a time, so a run's parent never holds every replication.

Each task (a replication, or a parameter set x replication) gives one value per summary group
(``scenario, council_code, period, metric, unit``). :class:`Moments` folds those value vectors
in plan order into running per-group counts, sums and sums of squared deviations, all float64,
with the same arithmetic, in the same order, as pandas' grouped ``count``, ``mean`` (a
Kahan-compensated sum divided by the count) and ``std`` (Welford's online update), so that a
folded summary equals ``DataFrame.groupby(...).agg(n="count", mean="mean", sd="std")`` over the
concatenated tables to the last bit. NaN values are skipped, as pandas skips them.

Quantiles (the 95% range over parameter sets and replications) need every value of a group,
so :func:`group_quantiles` takes a slice of groups x runs at a time (the caller reads the
slice from the run's Parquet dataset) and interpolates as pandas' grouped ``quantile`` does
(``linear``: ``v[lo] + (v[hi] - v[lo]) * frac``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Moments:
    """Running per-group count, compensated sum and Welford mean and squared deviations.

    Parameters
    ----------
    size : int
        Number of groups.
    """

    size: int
    n: np.ndarray = field(init=False)
    total: np.ndarray = field(init=False)
    compensation: np.ndarray = field(init=False)
    welford_mean: np.ndarray = field(init=False)
    m2: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.n = np.zeros(self.size, dtype=np.int64)
        self.total = np.zeros(self.size)
        self.compensation = np.zeros(self.size)
        self.welford_mean = np.zeros(self.size)
        self.m2 = np.zeros(self.size)

    def add(self, values: np.ndarray) -> None:
        """Fold one run's values (one per group, in group order; NaN where missing)."""
        v = np.asarray(values, dtype=np.float64)
        if v.shape != (self.size,):
            raise ValueError(f"expected {self.size} values (one per group); found {v.shape}")
        ok = ~np.isnan(v)
        idx = np.flatnonzero(ok)
        x = v[idx]
        self.n[idx] += 1
        # pandas' group_mean: Kahan summation, a NaN compensation (from inf) reset to zero
        y = x - self.compensation[idx]
        s = self.total[idx]
        t = s + y
        c = t - s - y
        c[np.isnan(c)] = 0.0
        self.compensation[idx] = c
        self.total[idx] = t
        # pandas' group_var: Welford's update
        old = self.welford_mean[idx]
        new = old + (x - old) / self.n[idx]
        self.welford_mean[idx] = new
        self.m2[idx] += (x - new) * (x - old)

    def mean(self) -> np.ndarray:
        """Per-group mean (NaN for a group with no value)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 0, self.total / np.maximum(self.n, 1), np.nan)

    def sd(self) -> np.ndarray:
        """Per-group sample standard deviation (ddof 1; NaN below two values)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(self.n > 1, self.m2 / np.maximum(self.n - 1, 1), np.nan)
        return np.sqrt(var)


def group_quantiles(values: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of each column of ``values[run, group]``, NaN skipped, as pandas' grouped
    ``quantile(interpolation="linear")`` computes them.

    Returns
    -------
    numpy.ndarray
        ``[len(qs), group]``; NaN for a group with no value.
    """
    v = np.sort(np.asarray(values, dtype=np.float64), axis=0)  # NaN sorts last
    count = (~np.isnan(v)).sum(axis=0)
    out = np.full((len(qs), v.shape[1]), np.nan)
    cols = np.flatnonzero(count > 0)
    for k, q in enumerate(qs):
        pos = q * (count[cols] - 1).astype(np.float64)
        lo = np.floor(pos).astype(np.int64)
        frac = pos - lo
        hi = np.minimum(lo + 1, count[cols] - 1)
        a, b = v[lo, cols], v[hi, cols]
        out[k, cols] = np.where(frac == 0, a, a + (b - a) * frac)
    return out
