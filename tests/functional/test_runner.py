"""The runner: serial, local processes and Dask give identical tables; resume; failures.

The runs are the baseline to March 2012 (:data:`END`): what is checked is how tasks are run,
stored and put together, which later years would only repeat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from caresim.app.common import build_tables
from caresim.app.run import resume_run, run_scenario
from caresim.errors import RunStoreError
from caresim.runner import ExecutorSpec, RunStore, TaskFailure, execute, plan
from caresim.scenario import load_scenario
from tests.conftest import fail_task, scenario_until

COUNCILS = ["Rutland", "Isles of Scilly"]
END = "2012-03-31"


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(folder / f"{name}.parquet")
            for name in ("timeseries", "financial_years", "summary")} | {
        "ledger": pd.read_csv(folder / "ledger.csv"),
        "scorecard": pd.read_csv(folder / "scorecard.csv")}


def _assert_same(a: dict, b: dict) -> None:
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def short(tmp_path_factory) -> Path:
    """The baseline to :data:`END`, as a scenario file named baseline."""
    return scenario_until(tmp_path_factory.mktemp("scenario"), END)


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory, short: Path) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("serial")
    folder, _ = run_scenario(str(short), out, replications=3, councils=COUNCILS,
                             spec=ExecutorSpec(workers=1))
    return _tables(folder)


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory, short: Path) -> tuple[Path, Path]:
    """The output root and run folder of the serial run's plan on two worker processes."""
    out = tmp_path_factory.mktemp("two_processes")
    folder, _ = run_scenario(str(short), out, replications=3, councils=COUNCILS,
                             spec=ExecutorSpec(workers=2))
    return out, folder


def test_two_processes_equal_serial_to_the_bit(serial_run, two_process_run) -> None:
    _assert_same(serial_run, _tables(two_process_run[1]))


def test_task_states_recorded(two_process_run) -> None:
    import json

    out, folder = two_process_run
    states = json.loads((folder / "tasks.json").read_text())["tasks"]
    assert [s["state"] for s in states] == ["done", "done", "done"]
    assert not (folder / "tasks").exists()
    assert not list(out.rglob("*.partial"))


def test_failed_task_keeps_finished_ones_and_resume_completes(serial_run, short, tmp_path,
                                                              monkeypatch) -> None:
    """A task that fails is recorded with its traceback; the finished ones are kept; resuming
    runs only the missing task and gives the same tables as an uninterrupted run."""
    import caresim.runner as runner

    real = fail_task(monkeypatch)
    with pytest.raises(TaskFailure, match="injected failure"):
        run_scenario(str(short), tmp_path, replications=3, councils=COUNCILS,
                     spec=ExecutorSpec(workers=1))
    partial = next(tmp_path.rglob("*.partial"))
    states = RunStore.open(partial).states()
    assert [s["state"] for s in states] == ["done", "failed", "done"]
    assert "injected failure" in states[1]["error"]
    monkeypatch.setattr(runner, "run_task", real)
    calls = []
    monkeypatch.setattr(runner, "run_task", lambda i, t: calls.append(i) or real(i, t))
    folder, _ = resume_run(partial, ExecutorSpec(workers=1))
    assert calls == [1]
    _assert_same(serial_run, _tables(folder))


def _first_task_done(partial: Path) -> bool:
    """Whether the run store in ``partial`` records its first task as done (its tables are
    stored): the state file is written whole, but may not exist yet."""
    try:
        return RunStore.open(partial).states()[0]["state"] == "done"
    except (OSError, ValueError, KeyError, IndexError, RunStoreError):
        return False


@pytest.mark.slow
def test_killed_run_resumed_equals_uninterrupted(serial_run, short, tmp_path) -> None:
    """Kill a real `caresim run` process part way (after its first task is stored), resume it
    with `caresim run --resume`, and compare with the uninterrupted run."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "caresim", "run", str(short), "--replications", "3",
           "--workers", "1", "--quiet", "--out", str(tmp_path)]
    for c in COUNCILS:
        cmd += ["--council", c]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    deadline = time.time() + 300
    partial = None
    while time.time() < deadline:
        found = list(tmp_path.rglob("*.partial"))
        if found and _first_task_done(found[0]):
            partial = found[0]
            break
        time.sleep(0.05)
    assert partial is not None, "the run never stored its first task"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    states = RunStore.open(partial).states()
    assert states[0]["state"] == "done" and any(s["state"] != "done" for s in states)
    done = subprocess.run([sys.executable, "-m", "caresim", "run", "--resume", str(partial),
                           "--quiet", "--workers", "1"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    folder = partial.with_name(partial.name.removesuffix(".partial"))
    _assert_same(serial_run, _tables(folder))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_dask_cluster_on_loopback_equals_serial(serial_run, short, tmp_path) -> None:
    """A real `dask scheduler` and `dask worker` processes on loopback, not a mock."""
    pytest.importorskip("distributed")
    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        procs.append(subprocess.Popen([str(dask), "worker", address, "--nworkers", "2",
                                       "--nthreads", "1", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        folder, _ = run_scenario(str(short), tmp_path, replications=3, councils=COUNCILS,
                                 spec=ExecutorSpec(scheduler=address))
        _assert_same(serial_run, _tables(folder))
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)


def test_results_follow_the_plan_not_completion_order(short, monkeypatch) -> None:
    """Tasks that finish in reverse order still come back in plan order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import caresim.runner as runner

    params = load_scenario(str(short)).params
    tasks = plan("baseline", params, ["E06000017"], 3)
    real = runner.run_task
    finished: list[int] = []
    done = [threading.Event() for _ in tasks]

    def slow_first(index, task):
        # each task waits for the one after it, so task 0 finishes last however long each runs
        result = real(index, task)
        if index + 1 < len(tasks):
            assert done[index + 1].wait(timeout=600), "the later task never finished"
        finished.append(index)
        done[index].set()
        return result

    monkeypatch.setattr(runner, "run_task", slow_first)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = execute(tasks, pool)
    assert finished == [2, 1, 0]
    assert [r.task_index for r in results] == [0, 1, 2]
    tables = build_tables(results, params)
    assert sorted(tables.timeseries["replication"].unique()) == [0, 1, 2]


def test_common_random_numbers_identical_scenarios_zero_difference(tmp_path) -> None:
    """Every headline indicator (the last at 2014-15, so the runs end there) differs by zero."""
    from caresim.app.compare import compare

    (tmp_path / "scenarios").mkdir()
    base = scenario_until(tmp_path / "scenarios", "2015-03-31")
    copy = tmp_path / "scenarios" / "copy.yaml"
    copy.write_text(f"extends: {base}\nname: baseline_copy\n")
    result = compare([str(base), str(copy)], tmp_path, replications=3, councils=["Rutland"],
                     spec=ExecutorSpec(workers=1))
    d = result.differences
    assert (d["diff"] == 0).all() and (d["diff_ci_low"] == 0).all()
    assert (result.folder / "comparison.csv").exists()
    # each scenario's level and verdict beside the difference (issue 19, point 6)
    for extra in ("savings shortfall 2010-11", "closing position 2014-15",
                  "people served 2014-15"):
        row = d[d["indicator"] == extra]
        assert len(row) == 1 and row["mean_a"].notna().all(), extra
    assert (d["mean_a"] == d["mean_b"]).all()
    assert (d["a_ci_low"] <= d["mean_a"]).all() and (d["mean_a"] <= d["a_ci_high"]).all()
    targets = d[d["indicator"].str.startswith("target ")]
    assert len(targets) and targets["verdict_a"].str.contains("met").all()
    assert (targets["verdict_a"] == targets["verdict_b"]).all()
    assert (d.loc[~d.index.isin(targets.index), "verdict_a"] == "").all()


def test_scorecard_with_more_than_127_council_categories(serial_run) -> None:
    """All England has 153 scopes: categorical council codes then need int16 codes, which must
    not break the alignment of the scorecard's tables (a bug the quick start found)."""
    from caresim.scenario import load_scenario
    from caresim.scorecard import scorecard

    extra = [f"E0{i:07d}" for i in range(200)]

    def widen(frame: pd.DataFrame) -> pd.DataFrame:
        cats = list(frame["council_code"].astype(str).unique()) + extra
        return frame.assign(council_code=pd.Categorical(frame["council_code"].astype(str),
                                                        categories=cats))

    card = scorecard(widen(serial_run["timeseries"]), widen(serial_run["financial_years"]),
                     serial_run["ledger"], load_scenario("baseline").params.targets)
    assert set(card["scope"]) == {"E06000017", "E06000053", "E92000001"}
    assert card["date_first_met"].map(type).eq(str).all()
