"""A calibration evaluation stops a year after the last fittable year
(:func:`caresim.analysis.calibration.evaluation_end`): every fitted figure must come out exactly
as in a run to the scenario's own end, or the fit would be to a different model."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from caresim.analysis import calibration as cal
from caresim.analysis.validation import figure_values
from caresim.app.common import resolve_councils
from caresim.measures import RunTables
from caresim.runner import ExecutorSpec, execute, make_executor, plan
from caresim.scenario import load_scenario

COUNCILS = ["Rutland", "Hartlepool", "Kent"]


def _fitted_values(end: dt.date | None) -> pd.Series:
    scenario, codes = resolve_councils(
        load_scenario("baseline").with_run(seed=11, replications=1), COUNCILS)
    if end is not None:
        scenario = scenario.with_run(end_date=end)
    executor = make_executor(ExecutorSpec(workers=1))
    try:
        (result,) = execute(plan(scenario.name, scenario.params, codes, 1), executor)
    finally:
        executor.shutdown()
    tables = RunTables(result.monthly, result.fy, result.ledger)
    return pd.Series({(t.series, t.period): float(figure_values(t, tables).mean())
                      for t in cal.fitted_targets()})


def test_the_evaluation_horizon_is_after_the_last_fitted_year() -> None:
    end = cal.evaluation_end(dt.date(2020, 3, 31))
    assert end == dt.date(2013, 3, 31)
    assert cal.evaluation_end(dt.date(2011, 3, 31)) == dt.date(2011, 3, 31)


def test_fitted_figures_are_the_same_as_a_full_run() -> None:
    full = _fitted_values(None)
    short = _fitted_values(cal.evaluation_end(dt.date(2020, 3, 31)))
    assert len(full) == len(cal.fitted_targets()) > 40
    pd.testing.assert_series_equal(short, full, check_exact=True)
