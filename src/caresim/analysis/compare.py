"""Paired comparisons under common random numbers.

Scenarios run with the same master seed, councils and replication numbers draw the same random
numbers stream by stream, so replication r of B minus replication r of A removes most of the
run-to-run noise. Under ``--parameter-uncertainty`` every scenario also runs the same parameter
sets, and a pair is (parameter set, replication): set k replication r of B minus set k
replication r of A.

With one parameter set the paired 95% interval is the confidence interval of the mean
difference, ``mean(d) +- t(0.975, n-1) sd(d) / sqrt(n)`` (randomness only); the unpaired
(Welch) interval of the same difference is reported beside it, with the ratio of the two
widths, to show what common random numbers bought. With several parameter sets the intervals
are central 95% ranges over the pairs, so that they reflect the parameters' evidence ranges
(as :func:`caresim.results.summarise` does for one run): the paired range is the range of the
paired differences, the unpaired range that of B - A over every pairing of A's runs with B's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from caresim.analysis.replications import mean_half_width
from caresim.measures.formatting import COVERS_PARAMETERS, COVERS_RANDOMNESS

KEYS = ("parameter_set", "replication")
"""What pairs two runs: the same parameter set and the same replication number."""

CONFIDENCE = 0.95
"""Coverage of every interval and range of a comparison."""

MAX_UNPAIRED = 4_000_000
"""The most pairings of A's runs with B's that an unpaired range is computed over."""


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``parameter_set`` column (0 when it has none)."""
    return frame if "parameter_set" in frame.columns else frame.assign(parameter_set=0)


def _range(x: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2
    lo, hi = np.quantile(x, [tail, 1 - tail])
    return float(lo), float(hi)


def _unpaired_range(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The central range of b_j - a_i over every pairing (or, past :data:`MAX_UNPAIRED`, over
    as many cyclic shifts of the pairing as fit: deterministic, no random numbers)."""
    n = len(a)
    if n * n <= MAX_UNPAIRED:
        return _range(np.subtract.outer(b, a).ravel())
    shifts = max(1, MAX_UNPAIRED // n)
    return _range(np.concatenate([b - np.roll(a, k) for k in range(shifts)]))


def paired_values(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """B - A of each indicator, pair by pair.

    Parameters
    ----------
    a, b : pandas.DataFrame
        ``replication, indicator, unit, value`` and optionally ``parameter_set`` (see
        :mod:`caresim.analysis.headline`).

    Returns
    -------
    pandas.DataFrame
        ``parameter_set, replication, indicator, unit, value_a, value_b, value`` (``value`` is
        B - A in the indicator's unit), one row per pair both hold.
    """
    m = _keys(a).merge(_keys(b), on=[*KEYS, "indicator", "unit"], suffixes=("_a", "_b"),
                       validate="one_to_one")
    m["value"] = m["value_b"] - m["value_a"]
    return m[[*KEYS, "indicator", "unit", "value_a", "value_b", "value"]]


def paired_differences(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """B - A per indicator from per-run headline values of two scenarios.

    Parameters
    ----------
    a, b : pandas.DataFrame
        ``replication, indicator, unit, value`` and optionally ``parameter_set`` (see
        :mod:`caresim.analysis.headline`); a run is paired with the run of the other scenario
        with the same parameter set and replication.

    Returns
    -------
    pandas.DataFrame
        ``indicator, unit, n, mean_a, a_ci_low, a_ci_high, mean_b, b_ci_low, b_ci_high,
        diff, diff_ci_low, diff_ci_high, unpaired_ci_low, unpaired_ci_high, width_ratio,
        covers`` (``width_ratio`` is paired width / unpaired width; ``covers`` says what the
        intervals are: the confidence interval of the mean over replications with one parameter
        set, the 95% range over parameter sets and replications with several). Intervals are
        NaN with one run.
    """
    m = paired_values(a, b)
    uncertain = m["parameter_set"].nunique() > 1
    rows = []
    for (indicator, unit), g in m.groupby(["indicator", "unit"], sort=False):
        d = g["value"]
        n = len(d)
        va, vb = g["value_a"].to_numpy(float), g["value_b"].to_numpy(float)
        ma, mb, mean = float(va.mean()), float(vb.mean()), float(d.mean())
        scale = max(abs(ma), abs(mb), 1e-300)
        if uncertain:
            (alo, ahi), (blo, bhi), (dlo, dhi) = _range(va), _range(vb), _range(d.to_numpy())
            ulo, uhi = _unpaired_range(va, vb)
        else:
            half = mean_half_width(d.to_numpy(), CONFIDENCE)
            if n > 1 and half <= 1e-9 * scale:  # common random numbers made the draws identical
                half = 0.0
            sa, sb = va.var(ddof=1) if n > 1 else np.nan, vb.var(ddof=1) if n > 1 else np.nan
            se = np.sqrt(sa / n + sb / n) if n > 1 else float("nan")
            if n > 1 and se > 0:
                dof = se ** 4 / ((sa / n) ** 2 / (n - 1) + (sb / n) ** 2 / (n - 1))
                uhalf = float(stats.t.ppf(0.5 + CONFIDENCE / 2, dof) * se)
            else:
                uhalf = 0.0 if n > 1 else float("nan")
            ha, hb = (mean_half_width(v, CONFIDENCE) for v in (va, vb))
            alo, ahi, blo, bhi = ma - ha, ma + ha, mb - hb, mb + hb
            dlo, dhi, ulo, uhi = mean - half, mean + half, mean - uhalf, mean + uhalf
        width, uwidth = dhi - dlo, uhi - ulo
        rows.append({
            "indicator": indicator, "unit": unit, "n": n,
            "mean_a": ma, "a_ci_low": alo, "a_ci_high": ahi,
            "mean_b": mb, "b_ci_low": blo, "b_ci_high": bhi,
            "diff": mean, "diff_ci_low": dlo, "diff_ci_high": dhi,
            "unpaired_ci_low": ulo, "unpaired_ci_high": uhi,
            "width_ratio": width / uwidth if uwidth and uwidth > 1e-9 * scale else float("nan"),
            "covers": COVERS_PARAMETERS if uncertain else COVERS_RANDOMNESS,
        })
    return pd.DataFrame(rows)


def difference_scale(pairs: pd.DataFrame) -> dict[str, float]:
    """Indicator -> the level a paired difference's precision is relative to: the larger of
    the two scenarios' mean levels (so that a difference near zero, such as a grant's effect
    on spend before the grant, is judged against the spend, not against itself)."""
    g = pairs.groupby("indicator", sort=False)
    return {k: max(abs(float(v["value_a"].mean())), abs(float(v["value_b"].mean())))
            for k, v in g}
