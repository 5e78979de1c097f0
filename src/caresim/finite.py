"""The last check before a run folder is completed: every number of a run is finite.

Validation (:mod:`caresim.params.bounds`, :mod:`caresim.survivable`) keeps every scenario to
values a run can survive; :func:`check_finite` makes sure of it on the outputs. A NaN or
infinite value in the ledger, or in any stock or flow of the monthly or financial-year tables,
is a fault of the model, not of the input: it raises :class:`NonFiniteOutput` (exit status 1)
naming the council, the period and the line, and the caller writes nothing. A ratio may be NaN
only where its denominator is zero (a share of nobody), and is never infinite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from caresim.errors import CaresimError


class NonFiniteOutput(CaresimError):
    """A run produced a NaN or infinite value (a model fault: exit status 1).

    Parameters
    ----------
    table : str
        ``ledger``, ``timeseries`` or ``financial_years``.
    council : str
        The council's name and GSS code (or England).
    period : str
        The financial year or month.
    line : str
        The ledger line or metric.
    value : float
        The value found.
    count : int
        How many values are not finite in all.
    """

    def __init__(self, table: str, council: str, period: str, line: str, value: float,
                 count: int) -> None:
        self.table, self.council, self.period, self.line = table, council, period, line
        self.fields = (table, council, period, line, value, count)
        more = f" ({count - 1} more non-finite value(s) after it)" if count > 1 else ""
        super().__init__(
            f"the run produced a non-finite value, so no run folder was written: {table} line "
            f"'{line}' for {council} in {period} is {value}{more}. The scenario passed "
            "validation, so this is a bug in caresim; please report it with the scenario.")


def _council(code: str) -> str:
    from caresim.councils import ENGLAND_CODE, load_councils

    if code == ENGLAND_CODE:
        return f"England ({code})"
    names = dict(zip(load_councils()["code"], load_councils()["name"], strict=True))
    return f"{names.get(code, code)} ({code})"


def _first_bad_ledger(ledger: pd.DataFrame) -> NonFiniteOutput | None:
    lines = [c for c in ledger.columns if c.endswith("_gbp")]
    values = ledger[lines].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    i, j = np.argwhere(bad)[0]
    row = ledger.iloc[i]
    return NonFiniteOutput("ledger", _council(str(row["council_code"])), str(row["fy"]),
                           lines[j], float(values[i, j]), int(bad.sum()))


def _first_bad_table(table: pd.DataFrame, name: str, period: str) -> NonFiniteOutput | None:
    values = table["value"].to_numpy(dtype=float)
    ratio = (table["kind"].astype(str) == "ratio").to_numpy()
    bad = np.isinf(values) | (np.isnan(values) & ~ratio)
    nan_ratio = np.flatnonzero(np.isnan(values) & ratio)
    if len(nan_ratio):  # a share of nobody is NaN; any other NaN ratio is a fault
        bad[nan_ratio[~_denominator_is_zero(table, nan_ratio, period)]] = True
    if not bad.any():
        return None
    row = table.iloc[int(np.flatnonzero(bad)[0])]
    when = row[period]
    when = when.date().isoformat() if isinstance(when, pd.Timestamp) else str(when)
    return NonFiniteOutput(name, _council(str(row["council_code"])), when, str(row["metric"]),
                           float(row["value"]), int(bad.sum()))


def _denominator_is_zero(table: pd.DataFrame, rows: np.ndarray, period: str) -> np.ndarray:
    """For each of ``rows`` (ratio rows), whether its denominator is zero in the same row key
    (a denominator not reported, such as the council count of ``readiness``, never is)."""
    from caresim.recording import BY_NAME

    keys = [c for c in ("scenario", "parameter_set", "replication", "council_code", period)
            if c in table.columns]
    nan = table.iloc[rows][[*keys, "metric"]].copy()
    nan["metric"] = nan["metric"].astype(str)
    nan["denominator"] = nan["metric"].map(lambda m: BY_NAME[m].denominator if m in BY_NAME
                                           else "")
    nan["row"] = np.arange(len(nan))
    dens = table[table["metric"].astype(str).isin(set(nan["denominator"]))][
        [*keys, "metric", "value"]].copy()
    dens["denominator"] = dens["metric"].astype(str)
    for df in (nan, dens):
        for c in keys:
            df[c] = df[c].astype(str)
    merged = nan.merge(dens.drop(columns="metric"), on=[*keys, "denominator"], how="left")
    zero = np.zeros(len(nan), dtype=bool)
    hit = merged["value"].to_numpy(dtype=float) <= 0
    zero[merged["row"].to_numpy()[hit]] = True
    return zero


def check_finite(ledger: pd.DataFrame, timeseries: pd.DataFrame,
                 financial_years: pd.DataFrame) -> None:
    """Raise :class:`NonFiniteOutput` for the first non-finite value, ledger first.

    Parameters
    ----------
    ledger : pandas.DataFrame
        ``ledger.csv`` rows (GBP lines end ``_gbp``).
    timeseries, financial_years : pandas.DataFrame
        The tidy monthly and financial-year tables (``metric``, ``value``, ``kind``).
    """
    for found in (_first_bad_ledger(ledger),
                  _first_bad_table(timeseries, "timeseries", "date"),
                  _first_bad_table(financial_years, "financial_years", "fy")):
        if found is not None:
            raise found
