"""Per-task tables and folded summaries (issue 18, point 1): a run's parent folds small
partials in plan order, whatever order the tasks finish in, and gets the tables one groupby
over every run would give."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import caresim.runner as runner
from caresim.app.run import folded_outputs
from caresim.measures import RunTables, measures_table
from caresim.partials import RunFold, dataset_dir, join_csv, join_measures, part_name
from caresim.results import summarise
from caresim.runner import RunStore, execute, plan
from caresim.scenario import load_scenario
from caresim.scorecard import scorecard
from tests.conftest import scenario_until

END = "2011-03-31"


@pytest.fixture(scope="module")
def short(tmp_path_factory) -> Path:
    return scenario_until(tmp_path_factory.mktemp("scenario"), END)


def test_tasks_finishing_in_reverse_fold_in_plan_order(short: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    params = load_scenario(str(short)).params
    tasks = plan("baseline", params, ["E06000017", "E06000053"], 3)
    real = runner.run_task
    finished: list[int] = []
    done = [threading.Event() for _ in tasks]

    def slow_first(index, task):
        result = real(index, task)
        if index + 1 < len(tasks):  # task 0 finishes last
            assert done[index + 1].wait(timeout=600), "the later task never finished"
        finished.append(index)
        done[index].set()
        return result

    monkeypatch.setattr(runner, "run_task", slow_first)
    store = RunStore.create(tmp_path / "run.partial", {"all_csv": False}, len(tasks))
    fold = RunFold()
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert execute(tasks, pool, store, fold=fold) == []  # nothing held but the fold
    assert finished == [2, 1, 0]
    assert fold.count == 3 and store.missing() == []
    # every table is on disk, one file per task; read whole they are the plan-order tables
    monthly = pd.read_parquet(dataset_dir(store.folder, "monthly"))
    fy = pd.read_parquet(dataset_dir(store.folder, "fy"))
    ledger = pd.read_parquet(dataset_dir(store.folder, "ledger"))
    assert list(monthly["replication"].drop_duplicates()) == [0, 1, 2]
    one = pd.read_parquet(dataset_dir(store.folder, "monthly") / part_name(0))
    assert fold.monthly is not None and fold.monthly.size == len(one)  # one task's rows
    out = folded_outputs(store.folder, fold, params)
    want = pd.concat([summarise(monthly, "date"), summarise(fy, "fy")], ignore_index=True)
    pd.testing.assert_frame_equal(out.summary, want, check_exact=True)
    pd.testing.assert_frame_equal(
        out.scorecard, scorecard(monthly, fy, ledger, params.targets, params.run),
        check_exact=True)
    # the files joined from the tasks' parts are those of one table over every run
    join_measures(store.folder, 3, tmp_path / "measures.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "measures.parquet"),
                                  measures_table(RunTables(monthly, fy, ledger)),
                                  check_exact=True)
    join_csv(store.folder, [0, 1, 2], "ledger", tmp_path / "ledger.csv")
    assert (tmp_path / "ledger.csv").read_text() == ledger.to_csv(index=False)
    # a one-task run's measures.parquet is its task's file, copied: the same table
    join_measures(store.folder, 1, tmp_path / "one.parquet")
    first = [pd.read_parquet(dataset_dir(store.folder, t) / part_name(0))
             for t in ("monthly", "fy", "ledger")]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one.parquet"),
                                  measures_table(RunTables(*first)), check_exact=True)


def test_a_task_with_another_layout_is_refused() -> None:
    """A task whose rows are not in the first task's layout cannot be folded into its groups."""
    import numpy as np

    from caresim.partials import TaskPartial

    def partial(i: int, keys: int) -> TaskPartial:
        return TaskPartial(i, np.zeros(3), np.zeros(2), keys, 7, {}, pd.DataFrame(), [])

    fold = RunFold()
    fold.add(partial(0, 1))
    with pytest.raises(ValueError, match="not in the layout"):
        fold.add(partial(1, 2))
    with pytest.raises(ValueError, match="plan order"):
        fold.add(partial(2, 1))
