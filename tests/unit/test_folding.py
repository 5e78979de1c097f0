"""Summaries folded one run at a time equal pandas' grouped summaries of all runs at once.

:class:`caresim.folding.Moments` repeats pandas' arithmetic (a compensated sum for the mean,
Welford's update for the variance) in the same order, so counts, standard deviations and
quantiles are equal to the last bit; the mean is held to a few units in the last place, since
pandas' grouped sum is not exactly the textbook Kahan sum it is modelled on (on random data 1
mean in a few hundred differs by one or two ulps; on the Rutland+Kent+Leeds runs none does).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from caresim.folding import Moments, group_quantiles
from caresim.results import folded_summary, summarise

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
value = st.one_of(finite, st.just(np.nan), st.integers(-1000, 1000).map(float))


@st.composite
def runs(draw) -> np.ndarray:
    """``values[run, group]``: a few runs of a few groups, NaN here and there."""
    n_runs = draw(st.integers(1, 12))
    n_groups = draw(st.integers(1, 8))
    return draw(arrays(np.float64, (n_runs, n_groups), elements=value))


def _table(values: np.ndarray, sets: int) -> pd.DataFrame:
    """The long table of ``values`` as a run writes it: one row per run and group, runs in
    plan order (parameter set, then replication)."""
    n_runs, n_groups = values.shape
    councils = [f"E0600000{i % 3}" for i in range(n_groups)]
    metrics = [f"m{i}" for i in range(n_groups)]
    return pd.DataFrame({
        "scenario": pd.Categorical(["s"] * (n_runs * n_groups)),
        "parameter_set": np.repeat(np.arange(n_runs) % sets, n_groups).astype(np.int32),
        "replication": np.repeat(np.arange(n_runs) // sets, n_groups).astype(np.int32),
        "council_code": pd.Categorical(np.tile(councils, n_runs)),
        "fy": np.tile([f"20{10 + i % 2}-1{1 + i % 2}" for i in range(n_groups)], n_runs),
        "metric": pd.Categorical(np.tile(metrics, n_runs), categories=metrics),
        "value": values.reshape(-1),
        "unit": pd.Categorical(np.tile(["people"] * n_groups, n_runs)),
    }).sort_values(["parameter_set", "replication"], kind="stable", ignore_index=True)


def _ulps(a: np.ndarray, b: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / (np.spacing(np.maximum(scale, np.finfo(float).tiny)))


@settings(max_examples=200, deadline=None)
@given(runs())
def test_moments_equal_pandas_groupby(values: np.ndarray) -> None:
    n_runs, n_groups = values.shape
    frame = pd.DataFrame({"g": np.tile(np.arange(n_groups), n_runs),
                          "value": values.reshape(-1)})
    want = frame.groupby("g", sort=False)["value"].agg(n="count", mean="mean", sd="std")
    m = Moments(n_groups)
    for row in values:
        m.add(row)
    np.testing.assert_array_equal(m.n, want["n"].to_numpy())
    np.testing.assert_array_equal(m.sd(), want["sd"].to_numpy())
    mean, got = want["mean"].to_numpy(), m.mean()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(mean))
    # the mean's error is bounded relative to the mean absolute value, not the mean itself
    ok = ~np.isnan(mean)
    scale = np.abs(np.where(np.isnan(values), 0.0, values)).max(axis=0)
    assert (_ulps(got[ok], mean[ok], scale[ok]) <= 4).all()


@settings(max_examples=200, deadline=None)
@given(runs(), st.sampled_from([0.025, 0.5, 0.975, 0.1]))
def test_quantiles_equal_pandas_groupby(values: np.ndarray, q: float) -> None:
    n_runs, n_groups = values.shape
    frame = pd.DataFrame({"g": np.tile(np.arange(n_groups), n_runs),
                          "value": values.reshape(-1)})
    want = frame.groupby("g", sort=False)["value"].quantile(q).to_numpy()
    np.testing.assert_array_equal(group_quantiles(values, (q,))[0], want)


def test_moments_refuse_a_run_of_another_layout() -> None:
    m = Moments(3)
    try:
        m.add(np.ones(4))
    except ValueError as exc:
        assert "expected 3 values" in str(exc)
    else:
        raise AssertionError("a run with more values than groups was folded")


@settings(max_examples=60, deadline=None)
@given(runs(), st.integers(1, 3))
def test_folded_summary_equals_summarise(tmp_path_factory, values: np.ndarray,
                                         sets: int) -> None:
    """The whole summary (intervals, ranges over parameter sets, columns, order) from runs
    folded one by one, with the ranges read from per-run Parquet files, equals
    :func:`caresim.results.summarise` over the concatenated table."""
    table = _table(values, sets)
    want = summarise(table, "fy")
    runs_ = [g for _, g in table.groupby(["parameter_set", "replication"], sort=False)]
    m = Moments(values.shape[1])
    for run in runs_:
        m.add(run["value"].to_numpy())
    parts = None
    if table["parameter_set"].nunique() > 1:
        folder = Path(tmp_path_factory.mktemp("parts"))
        parts = []
        for i, run in enumerate(runs_):
            parts.append(folder / f"part-{i:06d}.parquet")
            run.to_parquet(parts[-1], index=False)
    got = folded_summary(runs_[0], "fy", m, parts)
    for col in ("n", "sd", "ci_low", "ci_high") if parts else ("n",):
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=col)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=0)
    assert list(got.columns) == list(want.columns)
