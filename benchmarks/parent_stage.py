"""The parent's stage after the tasks, step by step, on a finished one-replication run.

Usage::

    python benchmarks/parent_stage.py RUN_DIR WORK_DIR [N_TASKS]

Copies the finished run ``RUN_DIR`` (one replication, e.g. all England) to ``WORK_DIR``,
rebuilds what its task left in the run store (its measures and CSV rows), folds its partial,
then runs the parent's steps one after another (summary and scorecard, files, figures and
workbook) printing after each the peak and current resident memory of this process
(``VmHWM``, ``VmRSS``; the peak is reset after the fold, which a task does in its own process)
and the seconds the step took. Then it replays the stage again as a run does it, the figures
and workbook made in a second process beside the files for a run of many councils
(:mod:`caresim.app.side`). With ``N_TASKS`` the task's files (hard links) and partial stand
for that many tasks, so the stage of a run of many replications is replayed (the join of
every task's measures, the summary's counts) and this process's peak resident memory is the
parent's at that size. No simulation is run. For each replay it prints the share of the
run spent writing (issue 18's goal: at most 20%): the stage's seconds plus the task's own
writing (``tasks_writing`` in the run's manifest), over the task's simulation (its seconds
less its writing, from the same manifest; measured when the run was made, so compare under
the same load).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import shutil
import sys
import time
from pathlib import Path


def _memory() -> str:
    got = {line.split(":")[0]: int(line.split()[1]) / 2**20
           for line in Path("/proc/self/status").read_text().splitlines()
           if line.startswith(("VmHWM", "VmRSS"))}
    return f"peak {got['VmHWM']:.2f} GiB, now {got['VmRSS']:.2f} GiB"


def _as_tasks(work: Path, n_tasks: int) -> None:
    """Make task 0's files stand for ``n_tasks`` tasks (hard links), as a run of that many
    replications leaves them for the parent's stage."""
    from caresim.partials import dataset_dir, part_name

    for table in ("monthly", "fy", "ledger", "measures"):
        first = dataset_dir(work, table) / part_name(0)
        for i in range(1, n_tasks):
            os.link(first, dataset_dir(work, table) / part_name(i))
    for csv in (work / "tasks").glob("0-*.csv"):
        for i in range(1, n_tasks):
            os.link(csv, csv.with_name(f"{i}-{csv.name[2:]}"))


def _replay_stage(src: Path, work: Path, overlapped: bool, n_tasks: int = 1) -> float:
    """Copy the run, rebuild and fold its task, then time the parent's stage; returns its
    seconds. ``overlapped``: as a run does it (the plots and workbook in a second process for
    a run of many councils, beside the tables); else step by step in this process, printing
    each step's seconds and this process's memory."""
    from caresim.app.run import _documents, folded_outputs
    from caresim.app.side import draw_and_book, side_process
    from caresim.io import write_outputs
    from caresim.measures import RunTables, measures_table
    from caresim.params.schema import Scenario
    from caresim.partials import RunFold, join_measures, read_task, write_task
    from caresim.runner import RunStore, Task

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, work)
    manifest = json.loads((src / "manifest.json").read_text())
    params = Scenario.model_validate(manifest["parameters"])
    codes = manifest["councils"]
    scope = codes[0] if len(codes) == 1 else "E92000001"
    t = read_task(work, 0)
    t["measures"] = measures_table(RunTables(t["monthly"], t["fy"], t["ledger"]))
    write_task(work, 0, t, False)
    del t
    _as_tasks(work, n_tasks)
    fold = RunFold()
    first = RunStore(work).load_partial(0, Task(manifest["scenario"], params, tuple(codes), 0))
    for i in range(n_tasks):
        fold.add(dataclasses.replace(first, task_index=i))
    gc.collect()
    for name in ("summary.parquet", "summary.csv", "measures.parquet", "manifest.json",
                 "financial_years.csv", "ledger.csv", "scorecard.csv", "workbook.xlsx"):
        (work / name).unlink(missing_ok=True)
    shutil.rmtree(work / "plots", ignore_errors=True)
    if overlapped:
        with side_process(len(codes)) as side:
            time.sleep(5)  # as in a run, the second process starts while the tasks run
            Path("/proc/self/clear_refs").write_text("5")
            stage = time.perf_counter()
            joined = side.submit(join_measures, work, n_tasks, work / "measures.parquet")
            tables = folded_outputs(work, fold, params)
            documents = side.submit(draw_and_book, _documents(work, tables, params, codes,
                                                              scope, manifest))
            write_outputs(work, tables.summary, tables.scorecard, manifest, n_tasks, False)
            joined.result()
            documents.result()
            print(f"as a run does it, {n_tasks} task(s): this process's {_memory()}")
            return time.perf_counter() - stage
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak: the fold is a task's work
    print(f"folded: {_memory()}")
    stage = time.perf_counter()
    t0 = time.perf_counter()
    tables = folded_outputs(work, fold, params)
    print(f"summary and scorecard: {_memory()}, {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    join_measures(work, n_tasks, work / "measures.parquet")
    write_outputs(work, tables.summary, tables.scorecard, manifest, n_tasks, False)
    print(f"files: {_memory()}, {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    draw_and_book(_documents(work, tables, params, codes, scope, manifest))
    print(f"figures and workbook: {_memory()}, {time.perf_counter() - t0:.1f} s")
    return time.perf_counter() - stage


def main(src: Path, work: Path, n_tasks: int = 1) -> int:
    manifest = json.loads((src / "manifest.json").read_text())
    timings = manifest.get("timings_seconds") or {}
    task_writing = float(timings.get("tasks_writing") or 0.0)
    simulation = float(timings.get("simulation") or 0.0) - task_writing
    for overlapped in (False, True):
        stage = _replay_stage(src, work, overlapped, n_tasks)
        how = "as a run does it" if overlapped else "step by step"
        print(f"parent's stage ({how}) {stage:.1f} s + the task's writing {task_writing:.1f} s "
              f"= {stage + task_writing:.1f} s of writing"
              + (f", {(stage + task_writing) / simulation:.0%} of the run's {simulation:.1f} s "
                 "of simulation" if simulation > 0 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]),
                  int(sys.argv[3]) if len(sys.argv) > 3 else 1))
