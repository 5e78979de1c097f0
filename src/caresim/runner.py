"""Run plans: every (scenario, replication, councils) task is fixed before anything starts.

A task's random streams are keyed only by the master seed, the replication, the council and the
stream's name, so results never depend on which worker ran what or in what order; results are
sorted by the plan, not by completion. Executors: serial (one process) or local processes
(``concurrent.futures.ProcessPoolExecutor`` with the spawn start method). Each task returns small
tidy tables, never the live model.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from caresim.params.schema import Scenario


@dataclass(frozen=True)
class Task:
    """One replication of one scenario for a set of councils.

    The parameters travel as plain JSON-compatible data and are validated again in the worker,
    so a task pickles anywhere (local processes, Dask workers).
    """

    scenario_name: str
    params_data: dict
    codes: tuple[str, ...]
    replication: int

    @property
    def params(self) -> Scenario:
        """The validated parameters."""
        return Scenario.model_validate(self.params_data)


@dataclass
class TaskResult:
    """Tidy tables of one task."""

    task_index: int
    monthly: pd.DataFrame
    fy: pd.DataFrame
    ledger: pd.DataFrame


def run_task(index: int, task: Task) -> TaskResult:
    """Run one task (in any process) and return its tables."""
    from caresim.model.model import run_replication
    from caresim.results import fy_table, ledger_table, monthly_table

    res = run_replication(task.params, list(task.codes), task.replication)
    return TaskResult(index, monthly_table(res, task.scenario_name, task.replication),
                      fy_table(res, task.scenario_name, task.replication),
                      ledger_table(res, task.scenario_name, task.replication))


def plan(scenario_name: str, params: Scenario, codes: list[str], replications: int) -> list[Task]:
    """The run plan: one task per replication, in replication order."""
    data = params.model_dump(mode="json")
    return [Task(scenario_name, data, tuple(codes), r) for r in range(replications)]


class SerialExecutor(Executor):
    """Runs each submitted call at once in this process (a ``concurrent.futures.Executor``)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed back through the future
            future.set_exception(exc)
        return future


def make_executor(workers: int) -> Executor:
    """Serial for ``workers <= 1``, else a spawn-safe process pool of ``workers`` processes."""
    if workers <= 1:
        return SerialExecutor()
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               max_tasks_per_child=4)


def default_workers(n_tasks: int) -> int:
    """Worker processes by default: one per core, no more than there are tasks."""
    return max(1, min(n_tasks, os.cpu_count() or 1))


def execute(tasks: list[Task], executor: Executor,
            progress: Callable[[Iterable[Future], int], Iterable[Future]] | None = None
            ) -> list[TaskResult]:
    """Run every task on ``executor``; results in plan order whatever the completion order."""
    from concurrent.futures import as_completed

    futures = [executor.submit(run_task, i, t) for i, t in enumerate(tasks)]
    done = as_completed(futures)
    if progress is not None:
        done = progress(done, len(futures))
    results: list[TaskResult | None] = [None] * len(tasks)
    for fut in done:
        r = fut.result()
        results[r.task_index] = r
    return [r for r in results if r is not None]
