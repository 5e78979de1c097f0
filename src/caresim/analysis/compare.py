"""Paired comparisons under common random numbers.

Scenarios run with the same master seed, councils and replication numbers draw the same random
numbers stream by stream, so replication r of B minus replication r of A removes most of the
run-to-run noise. The paired 95% interval is ``mean(d) +- t(0.975, n-1) sd(d) / sqrt(n)``; the
unpaired (Welch) interval of the same difference is reported beside it, with the ratio of the
two widths, to show what common random numbers bought.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def _half(sd: float, n: int) -> float:
    if n < 2 or not np.isfinite(sd):
        return float("nan")
    return float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))


def paired_differences(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """B - A per indicator from per-replication headline values of two scenarios.

    Parameters
    ----------
    a, b : pandas.DataFrame
        ``replication, indicator, unit, value`` (see :mod:`caresim.analysis.headline`).

    Returns
    -------
    pandas.DataFrame
        ``indicator, unit, n, mean_a, a_ci_low, a_ci_high, mean_b, b_ci_low, b_ci_high,
        diff, diff_ci_low, diff_ci_high, unpaired_ci_low, unpaired_ci_high, width_ratio``
        (paired width / unpaired width); each scenario's level has its own 95% interval over
        replications (NaN with one replication).
    """
    m = a.merge(b, on=["replication", "indicator", "unit"], suffixes=("_a", "_b"))
    rows = []
    for (indicator, unit), g in m.groupby(["indicator", "unit"], sort=False):
        d = g["value_b"] - g["value_a"]
        n = len(d)
        half = _half(float(d.std(ddof=1)), n) if n > 1 else float("nan")
        va, vb = g["value_a"].var(ddof=1), g["value_b"].var(ddof=1)
        se = np.sqrt(va / n + vb / n) if n > 1 else float("nan")
        if n > 1 and se > 0:
            dof = se ** 4 / ((va / n) ** 2 / (n - 1) + (vb / n) ** 2 / (n - 1))
            uhalf = float(stats.t.ppf(0.975, dof) * se)
        else:
            uhalf = 0.0 if n > 1 else float("nan")
        mean = float(d.mean())
        scale = max(abs(float(g["value_a"].mean())), abs(float(g["value_b"].mean())), 1e-300)
        if n > 1 and half <= 1e-9 * scale:  # common random numbers made the draws identical
            half = 0.0
        ma, mb = float(g["value_a"].mean()), float(g["value_b"].mean())
        ha, hb = (_half(float(g[c].std(ddof=1)), n) for c in ("value_a", "value_b"))
        rows.append({
            "indicator": indicator, "unit": unit, "n": n,
            "mean_a": ma, "a_ci_low": ma - ha, "a_ci_high": ma + ha,
            "mean_b": mb, "b_ci_low": mb - hb, "b_ci_high": mb + hb,
            "diff": mean, "diff_ci_low": mean - half, "diff_ci_high": mean + half,
            "unpaired_ci_low": mean - uhalf, "unpaired_ci_high": mean + uhalf,
            "width_ratio": half / uhalf if uhalf and uhalf > 1e-9 * scale else float("nan"),
        })
    return pd.DataFrame(rows)
