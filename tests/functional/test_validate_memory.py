"""``caresim validate`` keeps its parent's memory flat (issue 18): each task's tables are
reduced as they come to the values validate reads and dropped, and those values give the rows
the whole tables give. Three small councils (the spread needs three) to March 2012, the end of
the record the reablement check and most figures read: the claims concern what the parent
holds, not later years."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from caresim.analysis.validation import (
    council_spread,
    gather_values,
    query_values,
    reablement_check,
    validation_queries,
    validation_table,
)
from caresim.app import validate as validate_app
from caresim.app.common import build_tables
from caresim.measures import RunTables
from caresim.runner import ExecutorSpec
from caresim.scenario import load_scenario
from tests.conftest import HeldResults, keep_results, scenario_until

END = "2012-03-31"
REPLICATIONS = 3
COUNCILS = ["Rutland", "Hartlepool", "Darlington"]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenario_until(tmp_path_factory.mktemp("scenario"), END)


def _validate(scenario: Path, out: Path) -> validate_app.Validation:
    return validate_app.validate(str(scenario), out, replications=REPLICATIONS, seed=7,
                                 spec=ExecutorSpec(workers=1), councils=COUNCILS)


def test_each_task_result_is_dropped_once_reduced(scenario: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    spy = HeldResults(monkeypatch)
    _validate(scenario, tmp_path)
    assert len(spy.most) == REPLICATIONS
    # one at a time (the last one's, until the loop moves on), never every task's tables
    assert max(spy.most) <= 2
    assert spy.held() == 0


def test_the_reduction_gives_the_rows_of_the_whole_tables(
        scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = keep_results(monkeypatch)
    got = _validate(scenario, tmp_path)
    # the whole tables, read as validate read them before it reduced each task's
    tables = build_tables(kept, load_scenario(str(scenario)).params)
    run = RunTables(tables.timeseries, tables.financial_years, tables.ledger)
    pd.testing.assert_frame_equal(got.table, validation_table(run), check_exact=True)
    spread, summary = council_spread(run)
    pd.testing.assert_frame_equal(got.spread, spread, check_exact=True)
    assert got.spread_summary == summary
    assert summary["councils"] == len(COUNCILS)
    # every value validate reads (the figures, the spread, the reablement check, the plots'
    # paths), gathered run by run, is what the whole tables give
    queries = validation_queries()
    whole = query_values(queries, run)
    gathered = gather_values([query_values(queries, RunTables(r.monthly, r.fy, r.ledger))
                              for r in kept])
    assert list(gathered) == list(whole)
    for query, values in whole.items():
        assert len(values), query
        pd.testing.assert_frame_equal(gathered[query], values, check_exact=True, obj=str(query))
    check = reablement_check(gathered)
    assert len(check) == 4
    pd.testing.assert_frame_equal(check, reablement_check(run), check_exact=True)
