"""How many replications: the replications algorithm (Hoad, Robinson and Davies, 2010).

Replications are added in batches until the 95% confidence interval of every tracked indicator
is narrow enough, with at least ``min_replications`` and at most ``max_replications``. What
"narrow enough" means depends on the indicator's unit (issue 19, point 1):

* a **share** (unit ``fraction``, e.g. the PB share) by its absolute half-width, in units of a
  share (``0.01`` is one percentage point): ``run.share_precision``. A relative rule never
  converges for a small council's small PB share, whose mean is close to zero;
* a **level** (money, people) by its relative half-width, half-width / |scale|, where the scale
  is the indicator's mean (or, for a paired difference, the level it is a difference of):
  ``run.precision``.

The same rule serves ``caresim run`` (the interval of each indicator's mean) and ``caresim
compare`` (the interval of each paired difference B - A, see :func:`paired_values`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

SHARE_UNIT = "fraction"
"""The unit whose precision is absolute (in units of a share) rather than relative."""


def is_share(unit: object) -> bool:
    """True for an indicator measured as a share (its half-width is read in points)."""
    return unit == SHARE_UNIT


def mean_half_width(values: np.ndarray, confidence: float = 0.95) -> float:
    """Half-width of the t confidence interval of the mean of ``values`` (their unit); NaN
    with fewer than two values. The one rule behind every interval of a mean over runs."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return float("nan")
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))


def half_widths(values: pd.DataFrame, scale: Mapping[str, float] | None = None
                ) -> pd.DataFrame:
    """The 95% half-width of each indicator's mean over replications, and how it is judged.

    Parameters
    ----------
    values : pandas.DataFrame
        ``replication, indicator, value`` and optionally ``unit`` (an indicator without a unit
        is a level).
    scale : mapping of str to float, optional
        Indicator -> the magnitude a level's half-width is relative to; by default the absolute
        value of the indicator's own mean.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator: ``unit, n, mean, half`` (in the indicator's unit; ``inf`` with
        fewer than two replications), ``share`` (bool) and ``relative`` (half / |scale|: a
        fraction; 0 when the half-width is 0, ``inf`` with a zero scale).
    """
    rows = {}
    for name, g in values.groupby("indicator", sort=False):
        x = g["value"].to_numpy(dtype=float)
        unit = g["unit"].iloc[0] if "unit" in g.columns else ""
        n = len(x)
        mean = float(x.mean()) if n else float("nan")
        half = mean_half_width(x) if n > 1 else np.inf
        base = abs(float(scale[name])) if scale is not None and name in scale else abs(mean)
        rel = 0.0 if half == 0 else (half / base if base > 0 else np.inf)
        rows[name] = {"unit": unit, "n": n, "mean": mean, "half": half,
                      "share": is_share(unit), "relative": rel}
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["unit", "n", "mean", "half", "share", "relative"])


def relative_half_widths(values: pd.DataFrame) -> pd.Series:
    """Relative half-width of the 95% interval of each indicator's mean over replications
    (every indicator, whatever its unit)."""
    return half_widths(values)["relative"].astype(float)


def reached(values: pd.DataFrame, scale: Mapping[str, float] | None = None) -> float:
    """The relative precision reached by the levels: the largest relative half-width over the
    indicators that are not shares (a fraction; ``inf`` with fewer than two replications or a
    zero mean; ``nan`` when every indicator is a share)."""
    h = half_widths(values, scale)
    levels = h.loc[~h["share"].astype(bool), "relative"]
    return float(levels.max()) if len(levels) else float("nan")


def reached_points(values: pd.DataFrame) -> float:
    """The absolute precision reached by the shares: the largest half-width over the share
    indicators, in units of a share (0.01 is one percentage point; ``inf`` with fewer than two
    replications; ``nan`` when no indicator is a share)."""
    h = half_widths(values)
    shares = h.loc[h["share"].astype(bool), "half"]
    return float(shares.max()) if len(shares) else float("nan")


def enough(values: pd.DataFrame, precision: float, min_replications: int = 3,
           share_precision: float | None = None,
           scale: Mapping[str, float] | None = None) -> bool:
    """True when there are ``min_replications`` and every indicator meets its rule: a share's
    half-width at most ``share_precision`` (units of a share; without it a share is judged as
    a level), a level's relative half-width at most ``precision``."""
    if values["replication"].nunique() < min_replications:
        return False
    h = half_widths(values, scale)
    if share_precision is None:
        return bool((h["relative"] <= precision).all())
    share = h["share"].astype(bool)
    return bool((h.loc[share, "half"] <= share_precision).all()
                and (h.loc[~share, "relative"] <= precision).all())


def next_batch(done: int, first: int, cap: int) -> int:
    """How many replications ``auto`` adds next: ``first`` to begin with, then half of those
    done (batches grow with the run, so the checks between them stay few), never past
    ``cap``."""
    return max(0, min(max(first, done // 2), cap - done))


def auto_rule(precision: float, share_precision: float, measures: tuple[str, ...] | list[str],
              of: str = "the 95% interval", cap: int | None = None,
              fewest: int | None = None) -> str:
    """The stopping rule of ``auto`` in one line, for a manifest; with ``cap`` and ``fewest``
    also the most and the fewest replications it makes."""
    bounds = ""
    if cap is not None:
        bounds = (f"; at least {fewest} and " if fewest is not None else "; ") + \
            f"at most {cap} replications"
    return (f"auto: {of} within {precision:g} relative half-width for levels and "
            f"{share_precision:g} (units of a share) absolute half-width for shares, for "
            f"{', '.join(measures)}{bounds}")


def record(values: pd.DataFrame, asked: float | None, cap: int,
           share_asked: float | None = None,
           scale: Mapping[str, float] | None = None) -> dict | None:
    """The manifest's ``precision``: what a run of two or more replications reached, and for
    ``--replications auto`` what it asked for and whether the cap stopped it first.

    Parameters
    ----------
    values : pandas.DataFrame
        The tracked indicators, one row per replication (see :func:`half_widths`).
    asked : float or None
        The relative precision asked for the levels (``None`` for a fixed number of
        replications).
    cap : int
        ``run.max_replications``.
    share_asked : float, optional
        The absolute half-width asked for the shares, in units of a share.
    scale : mapping, optional
        As in :func:`half_widths`.

    Returns
    -------
    dict or None
        ``asked, reached`` (relative, levels), ``share_asked, share_reached`` (units of a share,
        shares), ``measures``; with ``asked`` also ``met, cap, stopped_at_cap``. ``None`` with
        fewer than two replications.
    """
    n = values["replication"].nunique() if len(values) else 0
    if n < 2:
        return None
    got, got_points = reached(values, scale), reached_points(values)
    out = {"asked": asked, "reached": got if np.isfinite(got) else None,
           "share_asked": share_asked if asked else None,
           "share_reached": got_points if np.isfinite(got_points) else None,
           "measures": list(dict.fromkeys(values["indicator"]))}
    if asked:
        met = enough(values, asked, 2, share_asked, scale)
        out |= {"met": met, "cap": cap, "stopped_at_cap": n >= cap and not met}
    return out


def _points(x: float) -> str:
    return f"{x * 100:.1f} points"


def describe(manifest: dict) -> str:
    """The replications of a run in words, from its manifest: how many, and for a run with
    ``--replications auto`` (or the default of ``caresim run``) the precision asked for, the
    precision reached, and whether the cap stopped it first, naming the setting or option the
    cap came from when the manifest records it (``precision.cap_from``). One text for the
    console, the report and the workbook."""
    n = manifest.get("replications")
    p = manifest.get("precision")
    if not p:
        return f"{n} (one run: no intervals)" if n == 1 else f"{n}"
    asked, got = p["asked"], p["reached"]
    share_asked, share_got = p.get("share_asked"), p.get("share_reached")
    of = p.get("of", "the 95% interval of each headline measure")
    got_text = "not measurable" if got is None else f"{got:.1%}"
    if share_got is not None:
        got_text += f" for levels, {_points(share_got)} for shares"
    if not asked:
        if got is None and share_got is None:
            return f"{n}"
        if share_got is None:
            return (f"{n} (the 95% intervals of the headline measures are within {got_text} of "
                    "their means)")
        return (f"{n} (the 95% intervals of the headline measures are within {got:.1%} of "
                f"their means for levels and {_points(share_got)} for shares)"
                if got is not None else
                f"{n} (the 95% intervals of the headline shares are within "
                f"{_points(share_got)})")
    rule = f"auto: until {of} is within {asked:.1%} of its mean"
    if share_asked:
        rule = (f"auto: until {of} is within {asked:.1%} of its level for levels and within "
                f"{_points(share_asked)} for shares")
    if p["met"]:
        return f"{n} ({rule}; reached {got_text})"
    wanted = f"{asked:.1%}" + (f" and {_points(share_asked)}" if share_asked else "")
    cap_from = f" ({p['cap_from']})" if p.get("cap_from") else ""
    why = (f"the cap of {p['cap']} replications stopped it first{cap_from}"
           if p["stopped_at_cap"]
           else "a resumed run adds no replications beyond those planned before it stopped")
    return f"{n} ({rule}; reached {got_text}, not {wanted}: {why})"
