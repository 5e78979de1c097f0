"""The target scorecard (DESIGN §3): each target's value, pass or fail, date first met and the
probability of meeting it over replications, nationally and per council.

Targets, scored on ``pb_share_adass`` (``pb_share_ascof`` reported beside it):

* ``pb_share_march_2010``: PB share at 31 March 2010 >= 10%;
* ``pb_share_april_2011``: PB share on 1 April 2011 (the stock at the end of 31 March 2011)
  >= 30%;
* ``offer_share_from_october_2010``: share of new and reviewed users without a PB who were offered
  one, October 2010 to March 2011 (target 100%);
* ``pb_share_2013_ambition``: PB share on 1 April 2013 (target 100%; the gap is reported);
* ``savings_<fy>``: cumulative cashable savings to the end of ``fy`` as a share of the baseline
  (2007-08) net budget >= 3.0%, 6.1%, 9.3% (CSR07);
* ``prevention_savings_to_2010_11``: cumulative prevention savings to March 2011 > 0.

``p_met`` is the share of runs meeting the target, with a 95% Wilson interval; ``value`` is the
mean over runs and ``met`` whether that mean meets the threshold; ``n`` counts the runs. A run
is one replication, or, under parameter uncertainty, one (parameter set, replication) pair;
``covers`` says which (``replications (randomness only)`` or ``parameter sets and
replications``). Under parameter uncertainty the interval counts parameter sets, not runs: the
replications of one set share its draw of the assumptions, so they are not independent draws
of them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from caresim.calendar import fy_label
from caresim.params.schema import Targets

COLUMNS = ("scope", "target", "threshold", "value", "met", "date_first_met", "p_met",
           "p_met_low", "p_met_high", "n", "gap", "covers")
"""Columns of ``scorecard.csv``, in order."""

COVERS_RANDOMNESS = "replications (randomness only)"
COVERS_PARAMETERS = "parameter sets and replications (parameters and randomness)"
"""What ``p_met``'s interval covers: with one parameter set, a Wilson interval over the
replications; with several, a Wilson interval over the parameter sets (each set's share of
replications meeting the target counted as its outcome)."""

_SET_UNIT = 1_000_000
"""Run unit = parameter set x this + replication."""


def wilson(k: np.ndarray, n: np.ndarray, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson score interval for a proportion ``k / n``."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # analytically the interval holds p (its upper end is 1 when k = n); keep that in floats
    return np.clip(np.minimum(centre - half, p), 0, 1), np.clip(np.maximum(centre + half, p), 0, 1)


def _first_met(series: pd.DataFrame, threshold: float) -> pd.Series:
    """First date (over the mean trajectory) each scope's value reaches ``threshold``."""
    mean = series.groupby(["council_code", "date"], observed=True)["value"].mean().reset_index()
    hit = mean[mean["value"] >= threshold - 1e-12]
    return hit.groupby("council_code", observed=True)["date"].min()


def _rows(
    per_rep: pd.DataFrame,
    target: str,
    threshold: float,
    first: pd.Series | None,
    strict: bool = False,
    covers: str = COVERS_RANDOMNESS,
) -> pd.DataFrame:
    per_rep = per_rep.copy()
    per_rep["ok"] = (
        per_rep["value"] > threshold if strict else per_rep["value"] >= threshold - 1e-12
    )
    g = per_rep.groupby("council_code", observed=True)
    out = pd.DataFrame({"value": g["value"].mean(), "n": g["ok"].size(), "k": g["ok"].sum()})
    out["met"] = out["value"] > threshold if strict else out["value"] >= threshold - 1e-12
    out["p_met"] = out["k"] / out["n"]
    if covers == COVERS_PARAMETERS:
        # the replications of one parameter set share its draw of the assumptions: they are
        # not independent draws of parameter uncertainty, so the interval counts sets
        sets = per_rep.assign(set=per_rep["replication"] // _SET_UNIT).groupby(
            ["council_code", "set"], observed=True)["ok"].mean().groupby(
            "council_code", observed=True).agg(["sum", "size"]).reindex(out.index)
        lo, hi = wilson(sets["sum"].to_numpy(), sets["size"].to_numpy())
    else:
        lo, hi = wilson(out["k"].to_numpy(), out["n"].to_numpy())
    out["p_met_low"], out["p_met_high"] = lo, hi
    out["date_first_met"] = (
        first.reindex(out.index).dt.strftime("%Y-%m-%d").fillna("") if first is not None else ""
    )
    out["gap"] = np.maximum(threshold - out["value"], 0.0)
    out = out.reset_index().rename(columns={"council_code": "scope"})
    out["target"] = target
    out["threshold"] = threshold
    out["covers"] = covers
    return out[list(COLUMNS)]


def _run_units(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace ``replication`` by a run unit: (parameter set, replication) when sets vary; and
    make ``council_code`` plain text, so scopes from different tables always align (a
    categorical's integer codes change width past 127 categories)."""
    frame = frame.assign(council_code=frame["council_code"].astype(str))
    if "date" in frame.columns:  # tables read back from files hold dates as text
        frame = frame.assign(date=pd.to_datetime(frame["date"]))
    if "parameter_set" not in frame.columns:
        return frame
    unit = frame["parameter_set"].astype(np.int64) * _SET_UNIT + frame["replication"]
    return frame.assign(replication=unit)


def scorecard(
    monthly: pd.DataFrame, fy: pd.DataFrame, ledger: pd.DataFrame, targets: Targets
) -> pd.DataFrame:
    """The scorecard from the tidy tables of all runs of one scenario."""
    uncertain = "parameter_set" in monthly.columns and monthly["parameter_set"].nunique() > 1
    covers = COVERS_PARAMETERS if uncertain else COVERS_RANDOMNESS
    monthly, fy, ledger = _run_units(monthly), _run_units(fy), _run_units(ledger)
    rows = []
    pb = monthly[monthly["metric"] == "pb_share_adass"][
        ["replication", "council_code", "date", "value"]
    ]
    dates = pd.to_datetime(pb["date"])
    for target, date, threshold in (
        ("pb_share_march_2010", dt.date(2010, 3, 31), targets.pb_share_march_2010.value),
        ("pb_share_april_2011", dt.date(2011, 3, 31), targets.pb_share_april_2011.value),
        ("pb_share_2013_ambition", dt.date(2013, 3, 31), targets.pb_share_2013_ambition.value),
    ):
        at = pb[dates == pd.Timestamp(date)]
        if len(at):
            rows.append(_rows(at, target, threshold, _first_met(pb, threshold), covers=covers))

    offers = monthly[monthly["metric"].isin(["pb_offers", "pb_offer_opportunities"])]
    window = offers[
        (pd.to_datetime(offers["date"]) >= pd.Timestamp(2010, 10, 1))
        & (pd.to_datetime(offers["date"]) <= pd.Timestamp(2011, 3, 31))
    ]
    if len(window):
        sums = (
            window.groupby(["replication", "council_code", "metric"], observed=True)["value"]
            .sum()
            .unstack("metric")
        )
        share = (sums["pb_offers"] / sums["pb_offer_opportunities"]).rename("value").reset_index()
        rows.append(
            _rows(
                share,
                "offer_share_from_october_2010",
                targets.offer_share_from_october_2010.value,
                None,
                covers=covers,
            )
        )

    if len(ledger):
        led = ledger.sort_values("fy")
        led = led.assign(
            cum_savings=led.groupby(["replication", "council_code"])["savings_total_gbp"].cumsum()
        )
        led = led.assign(
            cum_prevention=led.groupby(["replication", "council_code"])[
                "savings_prevention_gbp"
            ].cumsum()
        )
        for day, share in targets.cumulative_savings_share.values.items():
            label = fy_label(day.year)
            at = led[led["fy"] == label]
            if len(at):
                v = (at["cum_savings"] / at["baseline_budget_gbp"]).rename("value")
                frame = pd.concat([at[["replication", "council_code"]], v], axis=1)
                rows.append(_rows(frame, f"savings_{label}", share, None, covers=covers))
        at = led[led["fy"] == "2010-11"]
        if len(at):
            frame = at[["replication", "council_code"]].assign(value=at["cum_prevention"])
            rows.append(
                _rows(frame, "prevention_savings_to_2010_11", 0.0, None, strict=True, covers=covers)
            )
    if not rows:
        return pd.DataFrame(columns=list(COLUMNS))
    out = pd.concat(rows, ignore_index=True)
    out["scope"] = out["scope"].astype(str)
    return out
