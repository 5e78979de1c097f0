"""Tables: raw replication arrays in, tidy DataFrames out. The one place summaries are computed.

Every table is long and tidy with ``scenario, replication, council_code`` and either ``date``
(monthly, the last day of the month) or ``fy`` (financial year), then ``metric, value, unit,
kind``. National rows (``council_code = E92000001``) are sums over the councils run; a ratio is
recomputed from its numerator and denominator at every level, never summed or averaged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from caresim.calendar import fy_of
from caresim.councils import ENGLAND_CODE
from caresim.folding import Moments, group_quantiles
from caresim.measures.formatting import COVERS_PARAMETERS, COVERS_RANDOMNESS
from caresim.model.model import ReplicationResult
from caresim.recording import BY_NAME, INDEX, METRICS

HIDDEN = {"readiness_sum", "councils"}
"""Recorded only as the parts of a ratio; not reported."""
MONTHLY_METRICS = [m for m in METRICS if not m.fy_only and m.name not in HIDDEN]
FY_METRICS = [m for m in METRICS if m.name not in HIDDEN]


def _with_national(values: np.ndarray) -> np.ndarray:
    """Append the national sum as the last council column (axis 1)."""
    return np.concatenate((values, values.sum(axis=1, keepdims=True)), axis=1)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _metric_block(values: np.ndarray, metrics) -> np.ndarray:
    """``values[period, council, recorded]`` -> ``[period, council, reported metric]``."""
    out = np.empty((values.shape[0], values.shape[1], len(metrics)))
    for j, m in enumerate(metrics):
        if m.kind == "ratio":
            out[:, :, j] = _ratio(
                values[:, :, INDEX[m.numerator]], values[:, :, INDEX[m.denominator]]
            )
        else:
            out[:, :, j] = values[:, :, INDEX[m.name]]
    return out


def _tidy(
    block: np.ndarray,
    periods: list,
    period_col: str,
    codes: list[str],
    metrics,
    scenario: str,
    replication: int,
    parameter_set: int,
) -> pd.DataFrame:
    n_p, n_c, n_m = block.shape
    frame = pd.DataFrame(
        {
            "scenario": pd.Categorical([scenario] * (n_p * n_c * n_m)),
            "parameter_set": np.full(n_p * n_c * n_m, parameter_set, dtype=np.int32),
            "replication": np.full(n_p * n_c * n_m, replication, dtype=np.int32),
            "council_code": pd.Categorical(np.tile(np.repeat(codes, n_m), n_p), categories=codes),
            period_col: np.repeat(np.asarray(periods, dtype=object), n_c * n_m),
            "metric": pd.Categorical(
                np.tile([m.name for m in metrics], n_p * n_c), categories=[m.name for m in metrics]
            ),
            "value": block.reshape(-1),
            "unit": pd.Categorical(np.tile([m.unit for m in metrics], n_p * n_c)),
            "kind": pd.Categorical(
                np.tile(
                    [
                        "stock" if m.kind == "stock" else ("flow" if m.kind == "flow" else "ratio")
                        for m in metrics
                    ],
                    n_p * n_c,
                )
            ),
        }
    )
    return frame


def monthly_table(
    res: ReplicationResult, scenario: str, replication: int, parameter_set: int = 0
) -> pd.DataFrame:
    """Monthly tidy rows for every council and England (``date`` = last day of the month)."""
    values = _with_national(res.monthly)
    block = _metric_block(values, MONTHLY_METRICS)
    table = _tidy(
        block,
        res.month_ends,
        "date",
        [*res.codes, ENGLAND_CODE],
        MONTHLY_METRICS,
        scenario,
        replication,
        parameter_set,
    )
    table["date"] = pd.to_datetime(table["date"])
    return table


def financial_year_values(res: ReplicationResult) -> tuple[list[str], np.ndarray]:
    """``[fy, council(+national), recorded]``: flows summed, stocks at the year's last month."""
    fys = [fy_of(d) for d in res.month_ends]
    labels = list(dict.fromkeys(fys))
    values = _with_national(res.monthly)
    out = np.empty((len(labels), values.shape[1], values.shape[2]))
    kinds = np.array([BY_NAME[name].kind for name in INDEX])
    flow = kinds == "flow"
    fy_arr = np.array(fys)
    for i, label in enumerate(labels):
        months = np.flatnonzero(fy_arr == label)
        out[i][:, flow] = values[months][:, :, flow].sum(axis=0)
        out[i][:, ~flow] = values[months[-1]][:, ~flow]
    for i, rec in enumerate(res.fy_records):
        if rec["fy"] != labels[i]:
            raise ValueError(f"financial-year records out of step with the calendar: record "
                             f"{i} is {rec['fy']}, expected {labels[i]}")
        for name in (k for k in rec if k != "fy"):
            arr = np.asarray(rec[name])
            out[i, :, INDEX[name]] = np.append(arr, arr.sum())
    return labels, out


def fy_table(
    res: ReplicationResult, scenario: str, replication: int, parameter_set: int = 0
) -> pd.DataFrame:
    """Financial-year tidy rows for every council and England (``fy`` like ``2010-11``)."""
    labels, values = financial_year_values(res)
    block = _metric_block(values, FY_METRICS)
    return _tidy(
        block,
        labels,
        "fy",
        [*res.codes, ENGLAND_CODE],
        FY_METRICS,
        scenario,
        replication,
        parameter_set,
    )


def ledger_table(
    res: ReplicationResult, scenario: str, replication: int, parameter_set: int = 0
) -> pd.DataFrame:
    """The budget ledger: one row per council (and England) and financial year, GBP cash."""
    frames = []
    codes = [*res.codes, ENGLAND_CODE]
    for row in res.ledger:
        data = {k: np.append(v, v.sum()) for k, v in row.items() if k != "fy"}
        frame = pd.DataFrame(data)
        frame.insert(0, "council_code", codes)
        frame.insert(0, "fy", row["fy"])
        frame.insert(0, "replication", replication)
        frame.insert(0, "parameter_set", parameter_set)
        frame.insert(0, "scenario", scenario)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)




SUMMARY_KEYS = ["scenario", "council_code", "period", "metric", "unit"]
"""The groups of a summary (``period`` is the table's ``date`` or ``fy``)."""
QUANTILE_SLICE_BYTES = 256 * 2**20
"""Memory for one slice of runs x groups when quantiles are read from a run's dataset (bytes):
a working size, not a model parameter."""


def _keys(period_col: str) -> list[str]:
    return [period_col if k == "period" else k for k in SUMMARY_KEYS]


def summarise(table: pd.DataFrame, period_col: str, confidence: float = 0.95) -> pd.DataFrame:
    """Summary over runs: ``n, mean, sd, ci_low, ci_high, covers``.

    With one parameter set the interval is the t interval of the mean over replications
    (randomness only); with one replication ``sd`` and the interval are NaN, since one
    replication has no interval. With several parameter sets (``--parameter-uncertainty``) the
    interval is the central 95% range of the outcome over parameter sets and replications.
    ``covers`` says which.
    """
    keys = _keys(period_col)
    g = table.groupby(keys, observed=True, sort=False)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    uncertain = "parameter_set" in table.columns and table["parameter_set"].nunique() > 1
    q = None
    if uncertain:
        tail = (1 - confidence) / 2
        q = g.quantile([tail, 1 - tail]).unstack()
        q.columns = ["ci_low", "ci_high"]
        q = q.reset_index()
    return _finish(out, period_col, q, confidence)


def _finish(out: pd.DataFrame, period_col: str, q: pd.DataFrame | None,
            confidence: float) -> pd.DataFrame:
    """Intervals, ``covers`` and the summary's columns, from ``keys, n, mean, sd`` (and, with
    several parameter sets, the quantiles ``q``)."""
    if q is not None:
        out = out.merge(q, on=_keys(period_col), how="left")
        out["covers"] = COVERS_PARAMETERS
    else:
        half = (
            stats.t.ppf(0.5 + confidence / 2, np.maximum(out["n"] - 1, 1))
            * out["sd"]
            / np.sqrt(out["n"])
        )
        half = half.where(out["n"] > 1)
        out["ci_low"] = out["mean"] - half
        out["ci_high"] = out["mean"] + half
        out["covers"] = COVERS_RANDOMNESS
    out = out.rename(columns={period_col: "period"})
    out["period"] = out["period"].astype(str)
    return out[
        [
            "scenario",
            "council_code",
            "period",
            "metric",
            "unit",
            "n",
            "mean",
            "sd",
            "ci_low",
            "ci_high",
            "covers",
        ]
    ]


def folded_summary(first: pd.DataFrame, period_col: str, moments: Moments,
                   parts: list[Path] | None, confidence: float = 0.95) -> pd.DataFrame:
    """The summary :func:`summarise` gives over every run, from runs folded one at a time.

    Parameters
    ----------
    first : pandas.DataFrame
        The first task's table: one row per group, the groups in order (every task has the
        same rows; see :func:`caresim.partials.partial_of`).
    period_col : str
        ``date`` or ``fy``.
    moments : caresim.folding.Moments
        Every task's values folded in plan order.
    parts : list of pathlib.Path, optional
        With several parameter sets, every task's Parquet file of this table: the quantiles
        need every value, read one slice of groups at a time.
    confidence : float
        The intervals' confidence.
    """
    keys = _keys(period_col)
    if len(first) != moments.size:
        raise ValueError(f"expected {moments.size} summary groups; found {len(first)} rows")
    # one row per group in every task (checked where each task's partial is made), so the
    # first task's rows are the groups in the order a groupby over all runs finds them
    out = first[keys].reset_index(drop=True)
    out["n"] = moments.n
    out["mean"] = moments.mean()
    out["sd"] = moments.sd()
    q = None
    if parts is not None:
        tail = (1 - confidence) / 2
        bounds = _dataset_quantiles(parts, moments.size, (tail, 1 - tail))
        q = out[keys].assign(ci_low=bounds[0], ci_high=bounds[1])
    return _finish(out, period_col, q, confidence)


def _dataset_quantiles(parts: list[Path], size: int, qs: tuple[float, ...]) -> np.ndarray:
    """Per-group quantiles over every task's ``value`` column, a slice of groups at a time."""
    import pyarrow.parquet as pq

    step = max(1, QUANTILE_SLICE_BYTES // (8 * max(1, len(parts))))
    out = np.empty((len(qs), size))
    for lo in range(0, size, step):
        hi = min(size, lo + step)
        block = np.empty((len(parts), hi - lo))
        for r, path in enumerate(parts):
            column = pq.read_table(path, columns=["value"]).column(0).to_numpy()
            block[r] = column[lo:hi]
            del column
        out[:, lo:hi] = group_quantiles(block, qs)
    return out
