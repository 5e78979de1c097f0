"""The target scorecard (docs/design.md): each target's value, pass or fail, date first met and the
probability of meeting it over replications, for each council and the aggregate.

Each target is a measure read at a period against a threshold, all three named in the
scenario's ``targets`` section (:mod:`caresim.measures.targets`); the bundled scenarios have:

* ``pb_share_march_2010``: ``pb_share_adass`` at 31 March 2010 at least 10%;
* ``pb_share_april_2011``: ``pb_share_adass`` at the end of 31 March 2011 (on 1 April 2011) at
  least 30%;
* ``pb_share_2013_ambition``: ``pb_share_adass`` at the end of 31 March 2013 (target 100%; the
  gap is reported);
* ``offer_share_from_october_2010``: ``offer_share`` over October 2010 to March 2011 (target
  100%);
* ``savings_<fy>``: ``cumulative_savings_share`` to the end of ``fy`` at least 3.0%, 6.1%,
  9.3% (CSR07), the same target finance reads as its CSR07 requirement, so a council's verdict
  says met exactly when its ledger's ``csr07_shortfall_gbp`` is 0;
* ``prevention_savings_to_2010_11``: ``cumulative_prevention_savings_gbp`` to 2010-11 more
  than zero.

A verdict gives the value and the target, and for a miss the gap (in GBP for a share of
money, and in percentage points for a share), with digits enough that a miss never reads as
the target; the aggregate's verdict names the councils whose mean misses it.

``p_met`` is the share of runs meeting the target, with a 95% Wilson interval (none from one
run or one parameter set: one draw has no interval); ``value`` is the
mean over runs and ``met`` whether that mean meets the threshold; ``n`` counts the runs. A run
is one replication, or, under parameter uncertainty, one (parameter set, replication) pair;
``covers`` says which (``replications (randomness only)`` or ``parameter sets and
replications``). Under parameter uncertainty the interval counts parameter sets, not runs: the
replications of one set share its draw of the assumptions, so they are not independent draws
of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from caresim.councils import ENGLAND_CODE
from caresim.measures import (
    RunTables,
    get_measure,
    measure_values,
    reading_values,
    scope_label,
)
from caresim.measures.targets import (
    NOT_SCORED,
    TargetReading,
    target_readings,
    unscored_reason,
    verdict,
)
from caresim.params.schema import RunSettings, Targets
from caresim.period import MonthEnd

COLUMNS = ("scope", "target", "threshold", "value", "met", "date_first_met", "p_met",
           "p_met_low", "p_met_high", "n", "gap", "covers", "label", "verdict")
"""Columns of ``scorecard.csv``, in order. ``scope`` is a council's GSS code, or England's
code for the aggregate of the councils run; ``label`` names it in words (the council, England
only when every council was run, else ``"3 councils"``); ``verdict`` explains the outcome
(:func:`caresim.measures.targets.verdict`)."""

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


def _first_met(series: pd.DataFrame, reading: TargetReading) -> pd.Series:
    """First month end (over the mean trajectory) each scope's value meets the target."""
    mean = series.groupby(["council_code", "date"], observed=True)["value"].mean().reset_index()
    return _first_met_on_mean(mean, reading)


def _first_met_on_mean(mean: pd.DataFrame, reading: TargetReading) -> pd.Series:
    """First month end each scope's mean trajectory (``council_code, date, value``) meets the
    target."""
    hit = mean[[reading.meets(v) for v in mean["value"]]]
    return hit.groupby("council_code", observed=True)["date"].min()


def _rows(
    per_rep: pd.DataFrame,
    reading: TargetReading,
    first: pd.Series | None,
    codes: list[str],
    base: pd.Series | None = None,
    covers: str = COVERS_RANDOMNESS,
) -> pd.DataFrame:
    threshold = reading.threshold
    per_rep = per_rep.copy()
    per_rep["ok"] = [reading.meets(v) for v in per_rep["value"]]
    g = per_rep.groupby("council_code", observed=True)
    out = pd.DataFrame({"value": g["value"].mean(), "n": g["ok"].size(), "k": g["ok"].sum()})
    out["met"] = [reading.meets(v) for v in out["value"]]
    out["p_met"] = out["k"] / out["n"]
    if covers == COVERS_PARAMETERS:
        # the replications of one parameter set share its draw of the assumptions: they are
        # not independent draws of parameter uncertainty, so the interval counts sets
        sets = per_rep.assign(set=per_rep["replication"] // _SET_UNIT).groupby(
            ["council_code", "set"], observed=True)["ok"].mean().groupby(
            "council_code", observed=True).agg(["sum", "size"]).reindex(out.index)
        units = sets["size"].to_numpy()
        lo, hi = wilson(sets["sum"].to_numpy(), units)
    else:
        units = out["n"].to_numpy()
        lo, hi = wilson(out["k"].to_numpy(), units)
    # one run (or one parameter set) is one draw: it has no interval, not a pseudo-interval
    out["p_met_low"] = np.where(units >= 2, lo, np.nan)
    out["p_met_high"] = np.where(units >= 2, hi, np.nan)
    out["date_first_met"] = (
        first.reindex(out.index).dt.strftime("%Y-%m-%d").fillna("") if first is not None else ""
    )
    out["gap"] = np.maximum(threshold - out["value"], 0.0)
    out = out.reset_index().rename(columns={"council_code": "scope"})
    out["target"] = reading.name
    out["threshold"] = threshold
    out["covers"] = covers
    out["label"] = [scope_label(str(c), codes) for c in out["scope"]]
    base = base.reindex(out["scope"]).to_numpy() if base is not None else [None] * len(out)
    out["verdict"] = [verdict(reading, v, b) for v, b in zip(out["value"], base, strict=True)]
    _name_councils_short(out, codes)
    return out[list(COLUMNS)]


COUNCILS_NAMED = 10
"""The most councils the aggregate's verdict names as short (a layout choice, not a model
number); the rest are counted."""


def _name_councils_short(out: pd.DataFrame, codes: list[str] | None) -> None:
    """Add to the aggregate's verdict the councils whose mean misses the target: an aggregate
    can meet a target that some of its councils miss (one council's savings beyond its target
    do not cover another's shortfall), or miss it through a few."""
    if not codes or len(codes) < 2:
        return
    england = out["scope"] == ENGLAND_CODE
    short = out.loc[~england & ~out["met"].astype(bool), "label"].tolist()
    if not england.any() or not len(out.loc[~england]):
        return
    named = ", ".join(short[:COUNCILS_NAMED])
    if len(short) > COUNCILS_NAMED:
        named += f" and {len(short) - COUNCILS_NAMED} more (scorecard.csv has each council)"
    words = (f"councils short: {len(short)} of {len(codes)} ({named})" if short
             else f"no council short (of {len(codes)})")
    out.loc[england, "verdict"] = out.loc[england, "verdict"] + "; " + words


ONE_RUN = "one run: no interval"
"""What a scorecard row from a single run (or a single parameter set) says in place of
``p_met``'s interval."""


def p_met_interval(row: pd.Series) -> str:
    """``p_met``'s 95% interval as text: ``[low, high]``; ``one run: no interval`` for a row
    from one run (or one parameter set); ``-`` for a target not scored."""
    if int(row["n"]) == 0:
        return "-"
    low, high = row["p_met_low"], row["p_met_high"]
    if pd.isna(low):
        return ONE_RUN
    return f"[{low:.2f}, {high:.2f}]"


def _run_units(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace ``replication`` by a run unit: (parameter set, replication) when sets vary."""
    unit = frame["parameter_set"].astype(np.int64) * _SET_UNIT + frame["replication"]
    return frame.assign(replication=unit)


def _unscored_rows(reading: TargetReading, why: str, codes: list[str],
                   covers: str) -> pd.DataFrame:
    """A target the run cannot score: no value, no verdict of met or not, and the reason."""
    scopes = [ENGLAND_CODE, *codes] if len(codes) > 1 else [codes[0], ENGLAND_CODE]
    out = pd.DataFrame({"scope": scopes})
    out["target"] = reading.name
    out["threshold"] = reading.threshold
    out["value"] = np.nan
    out["met"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["date_first_met"] = ""
    out["p_met"] = out["p_met_low"] = out["p_met_high"] = out["gap"] = np.nan
    out["n"] = 0
    out["covers"] = covers
    out["label"] = [scope_label(str(c), codes) for c in out["scope"]]
    # in words, as a scored target's verdict (the report's first page shows no internal name)
    out["verdict"] = f"{get_measure(reading.measure).title} {reading.period.words}: " \
                     f"{NOT_SCORED}: {why}"
    return out[list(COLUMNS)]


def target_inputs(tables: RunTables, targets: Targets, run: RunSettings | None = None
                  ) -> dict[str, dict[str, pd.DataFrame | None]]:
    """What the scorecard needs from some runs' tables, target by target: each run's value at
    the target's reading, the measure's path over the month ends (for the date first met) and
    the money base (for the verdict). Small: a few values per run and council, so a run's parent
    gathers them task by task (:func:`scorecard_from_inputs`) instead of holding the tables.
    A target the run cannot score is absent."""
    out: dict[str, dict[str, pd.DataFrame | None]] = {}
    defined_from = RunSettings.model_fields["start_date"].default
    for reading in target_readings(targets):
        if run is not None and unscored_reason(reading, run.start_date, run.end_date,
                                               defined_from) is not None:
            continue
        path = (measure_values(reading.measure, tables, tables.month_ends, "all")
                if isinstance(reading.period, MonthEnd) else None)
        base = (measure_values(reading.money_base, tables, reading.period, "all")
                if reading.money_base is not None else None)
        out[reading.name] = {"per_rep": reading_values(reading, tables, scope="all"),
                             "path": path, "base": base}
    return out


def _gathered(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Parts of :func:`caresim.measures.measure_values` from runs in plan order, in the order
    one call over all the runs gives: by period (first seen first), then run (stable)."""
    frame = pd.concat(parts, ignore_index=True)
    order = {p: i for i, p in enumerate(dict.fromkeys(frame["period"]))}
    return frame.iloc[frame["period"].map(order).to_numpy().argsort(kind="stable")
                      ].reset_index(drop=True)


def scorecard_from_inputs(inputs: list[dict[str, dict[str, pd.DataFrame | None]]],
                          targets: Targets, codes: list[str], uncertain: bool,
                          run: RunSettings | None = None,
                          mean_paths: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The scorecard from :func:`target_inputs` of each task, in plan order.

    Parameters
    ----------
    inputs : list of dict
        One per task (a replication, or a parameter set x replication), in plan order.
    targets : Targets
        The scenario's targets.
    codes : list of str
        The councils run (GSS codes).
    uncertain : bool
        Whether the run drew more than one parameter set.
    run : RunSettings, optional
        The run's settings: a target outside the run is "not scored", with the reason.
    mean_paths : dict, optional
        Target name -> its measure's mean trajectory over the runs (``council_code, date,
        value``), folded task by task (:class:`caresim.partials.RunFold`), for targets whose
        ``path`` the inputs no longer hold.
    """
    covers = COVERS_PARAMETERS if uncertain else COVERS_RANDOMNESS
    rows = []
    defined_from = RunSettings.model_fields["start_date"].default
    for reading in target_readings(targets):
        why = (unscored_reason(reading, run.start_date, run.end_date, defined_from)
               if run is not None else None)
        if why is not None:
            rows.append(_unscored_rows(reading, why, codes, covers))
            continue
        got = [i[reading.name] for i in inputs if reading.name in i]
        if not got:
            continue
        per_rep = _run_units(_gathered([g["per_rep"] for g in got]))
        if not len(per_rep):
            continue
        first = None
        if isinstance(reading.period, MonthEnd) and mean_paths and reading.name in mean_paths:
            first = _first_met_on_mean(mean_paths[reading.name], reading)
        elif isinstance(reading.period, MonthEnd):
            path = _run_units(_gathered([g["path"] for g in got]))
            first = _first_met(path.assign(date=pd.to_datetime(path["period"])), reading)
        base = None
        if reading.money_base is not None:
            b = _gathered([g["base"] for g in got])
            base = b.groupby("council_code")["value"].mean()
        rows.append(_rows(per_rep, reading, first, codes, base, covers=covers))
    if not rows:
        return pd.DataFrame(columns=list(COLUMNS))
    out = pd.concat(rows, ignore_index=True)
    out["scope"] = out["scope"].astype(str)
    return out


def scorecard(
    monthly: pd.DataFrame, fy: pd.DataFrame, ledger: pd.DataFrame, targets: Targets,
    run: RunSettings | None = None,
) -> pd.DataFrame:
    """The scorecard from the tidy tables of all runs of one scenario: each target of the
    scenario's ``targets`` section, read through its measure (:mod:`caresim.measures`).

    With ``run`` (the run's settings), a target whose period is not wholly inside the run is
    "not scored", with the reason (:func:`caresim.measures.targets.unscored_reason`), and no
    value or verdict of met."""
    uncertain = "parameter_set" in monthly.columns and monthly["parameter_set"].nunique() > 1
    tables = RunTables(monthly, fy, ledger)
    return scorecard_from_inputs([target_inputs(tables, targets, run)], targets,
                                 tables.council_codes, uncertain, run)
