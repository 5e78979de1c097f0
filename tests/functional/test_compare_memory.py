"""``caresim compare`` keeps its parent's memory flat (issue 18): each task's tables are
reduced as they come and dropped, and what is kept gives the rows the whole tables give.
Rutland to March 2011: the claims concern what the parent holds, not later years."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from caresim.analysis.compare import paired_differences
from caresim.analysis.headline import headline_values, reading_table
from caresim.app import compare as compare_app
from caresim.app.common import build_tables
from caresim.measures import RunTables
from caresim.measures.readings import COMPARE_EXTRAS
from caresim.runner import ExecutorSpec
from caresim.scenario import load_scenario
from tests.conftest import HeldResults, keep_results, scenario_until

END = "2011-03-31"
REPLICATIONS = 3


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    return [scenario_until(folder, END), scenario_until(folder, END, extends="no_grant")]


def _compare(scenarios: list[Path], out: Path) -> compare_app.Comparison:
    return compare_app.compare([str(p) for p in scenarios], out, seed=7,
                               replications=REPLICATIONS, councils=["Rutland"],
                               spec=ExecutorSpec(workers=1))


def test_each_task_result_is_dropped_once_reduced(scenarios: list[Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    spy = HeldResults(monkeypatch)
    _compare(scenarios, tmp_path)
    assert len(spy.most) == 2 * REPLICATIONS
    # one at a time (the last one's, until the loop moves on), never every task's tables
    assert max(spy.most) <= 2
    assert spy.held() == 0


def test_the_reduction_gives_the_rows_of_the_whole_tables(
        scenarios: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = keep_results(monkeypatch)
    got = _compare(scenarios, tmp_path)
    # the whole tables of each scenario (the tasks run scenario by scenario, in plan order),
    # read as compare read them before it reduced each task's
    per_rep, verdicts = [], []
    for k, path in enumerate(scenarios):
        scenario = load_scenario(str(path))
        tables = build_tables(kept[k * REPLICATIONS:(k + 1) * REPLICATIONS], scenario.params)
        run = RunTables(tables.timeseries, tables.financial_years, tables.ledger)
        scope = got.manifest["scope"]
        per_rep.append(pd.concat([
            headline_values(tables.timeseries, tables.financial_years, tables.ledger, scope),
            reading_table(COMPARE_EXTRAS, run, scope),
            compare_app._target_values(run, scope, scenario.params.targets)],
            ignore_index=True).assign(scenario=scenario.name))
        verdicts.append(compare_app._verdicts(tables.scorecard, scope))
    pd.testing.assert_frame_equal(got.per_replication, pd.concat(per_rep, ignore_index=True),
                                  check_exact=True)
    expected = paired_differences(per_rep[0].drop(columns="scenario"),
                                  per_rep[1].drop(columns="scenario"))
    pd.testing.assert_frame_equal(
        got.differences[expected.columns.tolist()], expected, check_exact=True)
    assert got.differences["verdict_a"].tolist() == \
        got.differences["indicator"].map(verdicts[0]).fillna("").tolist()
    assert got.differences["verdict_b"].tolist() == \
        got.differences["indicator"].map(verdicts[1]).fillna("").tolist()
    assert any(got.differences["verdict_a"])
