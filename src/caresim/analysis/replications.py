"""How many replications: the replications algorithm (Hoad, Robinson and Davies, 2010).

Replications are added in batches until the 95% confidence interval of every tracked indicator
has a relative half-width (half-width / |mean|) at or below the precision asked for, with at
least ``min_replications`` and at most ``max_replications``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def relative_half_widths(values: pd.DataFrame) -> pd.Series:
    """Relative half-width of the 95% interval of each indicator's mean over replications."""
    out = {}
    for name, g in values.groupby("indicator"):
        x = g["value"].to_numpy()
        n = len(x)
        if n < 2:
            out[name] = np.inf
            continue
        half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n)
        mean = abs(x.mean())
        out[name] = 0.0 if half == 0 else (half / mean if mean > 0 else np.inf)
    return pd.Series(out)


def reached(values: pd.DataFrame) -> float:
    """The precision reached: the largest relative half-width over the indicators (a fraction;
    ``inf`` with fewer than two replications or a zero mean)."""
    return float(relative_half_widths(values).max())


def enough(values: pd.DataFrame, precision: float, min_replications: int = 3) -> bool:
    """True when every indicator meets the relative precision (and there are enough reps)."""
    if values["replication"].nunique() < min_replications:
        return False
    return bool((relative_half_widths(values) <= precision).all())


def describe(manifest: dict) -> str:
    """The replications of a run in words, from its manifest: how many, and for a run with
    ``--replications auto`` the precision asked for, the precision reached, and whether the cap
    stopped it first. One text for the console, the report and the workbook."""
    n = manifest.get("replications")
    p = manifest.get("precision")
    if not p:
        return f"{n} (one run: no intervals)" if n == 1 else f"{n}"
    asked, got = p["asked"], p["reached"]
    got_text = "not measurable" if got is None else f"{got:.1%}"
    if not asked:
        if got is None:
            return f"{n}"
        return (f"{n} (the 95% intervals of the headline measures are within {got_text} of "
                "their means)")
    rule = (f"auto: until the 95% interval of each headline measure is within {asked:.1%} of "
            f"its mean")
    if p["met"]:
        return f"{n} ({rule}; reached {got_text})"
    why = (f"the cap of {p['cap']} replications stopped it first" if p["stopped_at_cap"]
           else "a resumed run adds no replications beyond those planned before it stopped")
    return f"{n} ({rule}; reached {got_text}, not {asked:.1%}: {why})"
