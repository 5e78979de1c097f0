"""Run plans, executors and the run store: one runner from laptop to Dask cluster.

A run plan is fixed before anything starts: one task per (scenario, replication, councils),
with the master seed in the scenario. A task's random streams are keyed only by the master seed,
the replication, the council and the stream's name, so results never depend on which worker ran
what or in what order; results are sorted by the plan, not by completion.

Executors all implement ``concurrent.futures.Executor``: serial (this process), local processes
(spawn start method; each task returns tables, never the model, so workers stay small), or a Dask
distributed cluster (``--scheduler tcp://HOST:PORT`` or ``--dask-local N``; the optional extra
``caresim[dask]``). Each task returns small tidy tables, never the live model.

The run store (:class:`RunStore`) lives in the run's partial folder: the plan, each task's
state (pending, done, failed with its traceback) and each finished task's tables, so a run
killed part way is resumed with ``caresim run --resume RUN_DIR`` and a failed task loses none of
the finished ones.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from caresim.errors import InputError, RunStoreError
from caresim.io import PARTIAL_SUFFIX, write_json
from caresim.params.schema import Scenario
from caresim.params.values import FolderName
from caresim.worker_guard import exit_with_parent

Progress = Callable[[Iterable[Future], int], Iterable[Future]]
TABLES = ("monthly", "fy", "ledger")
"""The tables each finished task stores as ``tasks/<index>-<table>.parquet``."""
STATES = ("pending", "done", "failed")
"""What a task can be in ``tasks.json``."""


@dataclass(frozen=True)
class Task:
    """One replication of one scenario for a set of councils.

    The task carries the resolved, validated parameters themselves (frozen pydantic models
    pickle anywhere: local processes, Dask workers); nothing is validated again on the way.
    """

    scenario_name: str
    params: Scenario
    codes: tuple[str, ...]
    replication: int
    parameter_set: int = 0


@dataclass
class TaskResult:
    """Tidy tables of one task."""

    task_index: int
    monthly: pd.DataFrame
    fy: pd.DataFrame
    ledger: pd.DataFrame
    seconds: float = 0.0


def run_task(index: int, task: Task) -> TaskResult:
    """Run one task (in any process) and return its tables."""
    from caresim.model.model import run_replication
    from caresim.results import fy_table, ledger_table, monthly_table

    t0 = time.perf_counter()
    res = run_replication(task.params, list(task.codes), task.replication)
    key = (task.scenario_name, task.replication, task.parameter_set)
    return TaskResult(
        index,
        monthly_table(res, *key),
        fy_table(res, *key),
        ledger_table(res, *key),
        time.perf_counter() - t0,
    )


def run_task_stored(index: int, task: Task, folder: str, csv_all: bool = False):
    """Run one task (in any process with the run folder in reach), write its tables into the
    run's datasets and return its small partial (:mod:`caresim.partials`)."""
    from caresim.councils import scope_of
    from caresim.measures import RunTables, measures_table
    from caresim.partials import partial_of, stored, write_task

    r = run_task(index, task)
    t0 = time.perf_counter()
    tables = {"monthly": stored(r.monthly), "fy": r.fy, "ledger": r.ledger}
    tables["measures"] = measures_table(RunTables(tables["monthly"], tables["fy"],
                                                  tables["ledger"]))
    t1 = time.perf_counter()
    write_task(Path(folder), index, tables, csv_all)
    written = time.perf_counter() - t1
    p = partial_of(index, tables["monthly"], tables["fy"], tables["ledger"], task.params,
                   scope_of(list(task.codes)))
    p.seconds = r.seconds + (time.perf_counter() - t0)
    p.write_seconds = written
    return p


def plan(
    scenario_name: str,
    params: Scenario,
    codes: list[str],
    replications: int,
    first_replication: int = 0,
    parameter_set: int = 0,
) -> list[Task]:
    """The run plan: one task per replication, in replication order.

    Every parameter set uses the same replication numbers, so parameter sets share common
    random numbers.
    """
    return [
        Task(scenario_name, params, tuple(codes), r, parameter_set)
        for r in range(first_replication, first_replication + replications)
    ]


# --------------------------------------------------------------------------------- executors


class SerialExecutor(Executor):
    """Runs each submitted call at once in this process (a ``concurrent.futures.Executor``)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@dataclass(frozen=True)
class ExecutorSpec:
    """Which executor to use: ``workers`` local processes, or a Dask cluster."""

    workers: int = 1
    scheduler: str | None = None
    dask_local: int | None = None

    def describe(self) -> str:
        """One line for the manifest and the terminal."""
        if self.scheduler:
            return f"dask cluster at {self.scheduler}"
        if self.dask_local:
            return f"dask LocalCluster with {self.dask_local} worker(s)"
        return "serial" if self.workers <= 1 else f"{self.workers} local processes"


class _DaskExecutor(Executor):
    """A Dask distributed client's executor that also closes the client (and local cluster)."""

    def __init__(self, spec: ExecutorSpec) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(
                "Dask is not installed: install the optional extra with "
                "pip install 'caresim[dask]'."
            ) from None
        self._cluster = None
        if spec.scheduler:
            try:
                self._client = Client(spec.scheduler, timeout="20s")
            except (OSError, ValueError, TypeError) as exc:
                raise InputError(
                    f"--scheduler {spec.scheduler}: expected a reachable Dask "
                    f"scheduler; found none ({exc})."
                ) from None
        else:
            self._cluster = LocalCluster(
                n_workers=spec.dask_local,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self._client = Client(self._cluster)
        self._executor = self._client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(spec: ExecutorSpec) -> Executor:
    """The executor ``spec`` names."""
    if spec.scheduler or spec.dask_local:
        return _DaskExecutor(spec)
    if spec.workers <= 1:
        return SerialExecutor()
    # no max_tasks_per_child: on CPython 3.11 it deadlocks the pool once more than
    # 4 x workers tasks are queued (gh-115634); workers return only small tidy tables
    return ProcessPoolExecutor(max_workers=spec.workers, mp_context=mp.get_context("spawn"),
                               initializer=exit_with_parent)


def default_workers(n_tasks: int) -> int:
    """Worker processes by default: one per core, no more than there are tasks."""
    return max(1, min(n_tasks, os.cpu_count() or 1))


# --------------------------------------------------------------------------------- run store


class RunStore:
    """Task states and finished tables in a run's partial folder.

    Layout: ``plan.json`` (what is run), ``tasks.json`` (each task's state, seconds and any
    traceback), ``tasks/<index>-{monthly,fy,ledger}.parquet`` (finished tables).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.tasks_dir = self.folder / "tasks"

    @classmethod
    def create(cls, folder: Path, plan_info: dict, n_tasks: int) -> RunStore:
        """A new store for ``n_tasks`` pending tasks."""
        store = cls(folder)
        store.tasks_dir.mkdir(parents=True, exist_ok=False)
        store._write("plan.json", plan_info)
        store._write(
            "tasks.json", {"tasks": [{"index": i, "state": "pending"} for i in range(n_tasks)]}
        )
        return store

    @classmethod
    def open(cls, folder: Path) -> RunStore:
        """An existing store; a clear error when ``folder`` is not one."""
        store = cls(folder)
        if (
            not (store.folder / "plan.json").is_file()
            or not (store.folder / "tasks.json").is_file()
        ):
            raise RunStoreError(
                f"--resume {folder}: expected an unfinished run folder "
                f"(containing plan.json and tasks.json); found none."
            )
        return store

    def _write(self, name: str, data: dict) -> None:
        write_json(self.folder / name, data, indent=1)

    def plan_info(self) -> dict:
        """The plan as written at the start."""
        return json.loads((self.folder / "plan.json").read_text())

    def states(self) -> list[dict]:
        """Each task's record."""
        return json.loads((self.folder / "tasks.json").read_text())["tasks"]

    def _set(self, index: int, **fields) -> None:
        states = self.states()
        states[index] = {"index": index, **fields}
        self._write("tasks.json", {"tasks": states})

    def extend(self, k: int) -> None:
        """Add ``k`` pending tasks at the end of the plan (``--replications auto``)."""
        states = self.states()
        states += [{"index": len(states) + i, "state": "pending"} for i in range(k)]
        self._write("tasks.json", {"tasks": states})
        info = self.plan_info()
        info["replications"] = len(states)
        self._write("plan.json", info)

    def mark_done(self, result: Any) -> None:
        """Mark a finished task done, storing its tables first when it returned them (a task
        that wrote its own tables into the run's datasets returns a partial)."""
        i = result.task_index
        if isinstance(result, TaskResult):
            for name in TABLES:
                getattr(result, name).to_parquet(self.tasks_dir / f"{i}-{name}.parquet",
                                                 index=False)
        self._set(i, state="done", seconds=round(result.seconds, 3))

    def load_partial(self, index: int, task: Task) -> Any:
        """A finished task's partial, recomputed from the files it wrote."""
        from caresim.councils import scope_of
        from caresim.partials import partial_of, read_task

        t = read_task(self.folder, index)
        return partial_of(index, t["monthly"], t["fy"], t["ledger"], task.params,
                          scope_of(list(task.codes)))

    def mark_failed(self, index: int, error: str) -> None:
        """Record a failed task with its traceback."""
        self._set(index, state="failed", error=error)

    def missing(self) -> list[int]:
        """Indices of tasks not done (pending or failed)."""
        return [s["index"] for s in self.states() if s["state"] != "done"]

    def load(self, index: int) -> TaskResult:
        """A finished task's tables."""
        frames = {
            name: pd.read_parquet(self.tasks_dir / f"{index}-{name}.parquet")
            for name in TABLES
        }
        return TaskResult(index, frames["monthly"], frames["fy"], frames["ledger"])


def execute(
    tasks: list[Task],
    executor: Executor,
    store: RunStore | None = None,
    progress: Progress | None = None,
    fold: Any = None,
) -> list[TaskResult]:
    """Run the tasks not yet done; results in plan order whatever the completion order.

    With ``fold`` (a :class:`caresim.partials.RunFold`) and a ``store``, each task writes its
    own tables into the store's folder and returns a small partial, which is folded in plan
    order (a partial that arrives early waits for the ones before it; a task finished before a
    resume is read back from its files when its turn comes); nothing is returned. With
    ``fold`` and no store, each task's :class:`TaskResult` is given to ``fold.add`` in plan
    order (its ``next_index`` says which task is due) and dropped, so a caller that reduces
    each task's tables as it comes never holds them all; nothing is returned.

    A failed task is recorded (with its traceback) and the others go on; the error is raised
    after every task has finished, so nothing finished is lost.
    """
    todo = store.missing() if store is not None else list(range(len(tasks)))
    futures: dict[Future, int] = {}
    stored = fold is not None and store is not None
    csv_all = bool(store.plan_info().get("all_csv")) if stored else False

    def submit(i: int) -> Future:
        if stored:
            return executor.submit(run_task_stored, i, tasks[i], str(store.folder.resolve()),
                                   csv_all)
        return executor.submit(run_task, i, tasks[i])

    def completed() -> Iterable[Future]:
        if isinstance(executor, SerialExecutor):
            # one task at a time, so each is stored before the next starts
            for i in todo:
                fut = submit(i)
                futures[fut] = i
                yield fut
        else:
            futures.update({submit(i): i for i in todo})
            yield from as_completed(futures)

    done: Iterable[Future] = completed()
    if progress is not None:
        done = progress(done, len(todo))
    results: dict[int, Any] = {}
    failures: list[tuple[int, str]] = []
    first_os_error: OSError | None = None
    pending = set(todo)

    def fold_ready() -> None:
        while fold.next_index < len(tasks):
            i = fold.next_index
            if i in results:
                fold.add(results.pop(i))
            elif i not in pending:  # finished before a resume: read back from its files
                fold.add(store.load_partial(i, tasks[i]))
            else:
                return

    for fut in done:
        i = futures.pop(fut)
        pending.discard(i)
        try:
            r = fut.result()
        except Exception as exc:
            tb = "".join(traceback.format_exception(exc))
            failures.append((i, tb))
            if stored and isinstance(exc, OSError) and first_os_error is None:
                first_os_error = exc
            if store is not None:
                store.mark_failed(i, tb)
            continue
        if store is not None:
            store.mark_done(r)
        results[i] = r
        if fold is not None and not failures:
            fold_ready()
    if failures:
        if first_os_error is not None:
            # a task that could not write its tables (a full disk, a read-only folder) is
            # told as the parent's own failed write would be: the file, what was expected
            raise first_os_error
        raise TaskFailure(failures, store.folder if store is not None else None)
    if fold is not None:
        fold_ready()
        return []
    if store is not None:
        return [results[i] if i in results else store.load(i) for i in range(len(tasks))]
    return [results[i] for i in range(len(tasks))]


class TaskFailure(RuntimeError):
    """One or more tasks failed; the others are kept in the run store."""

    def __init__(self, failures: list[tuple[int, str]], folder: Path | None) -> None:
        self.failures = failures
        self.folder = folder
        first = failures[0][1].strip().splitlines()[-1]
        where = (
            f" Finished tasks are kept; rerun the rest with: caresim run --resume {folder}"
            if folder
            else ""
        )
        super().__init__(
            f"{len(failures)} task(s) failed (first: task {failures[0][0]}: {first}).{where}"
        )


# ------------------------------------------------------------- checks before a resume

class _Plan(BaseModel):
    """The fields of ``plan.json`` a resume relies on (others are kept as they are)."""

    model_config = ConfigDict(extra="allow")

    scenario: FolderName
    scenario_files: list[str]
    scenario_hash: str
    codes: list[str] = Field(min_length=1)
    replications: int = Field(ge=0, le=10_000)
    auto_precision: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    command: list[str] = []
    parameter_sets: list[dict[str, float]] = []
    started_utc: str
    parameters: dict[str, Any]


class _TaskState(BaseModel):
    model_config = ConfigDict(extra="allow")

    index: int = Field(ge=0)
    state: str


class _Tasks(BaseModel):
    model_config = ConfigDict(extra="allow")

    tasks: list[_TaskState]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunStoreError(f"--resume {path.parent}: expected an unfinished run folder "
                            f"(containing plan.json and tasks.json); found no {path.name}."
                            ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunStoreError(f"{path}: expected the JSON caresim wrote; found a file that "
                            f"cannot be read ({type(exc).__name__}: {str(exc)[:100]}).") from None


def _first_error(exc: ValidationError, prefix: str = "") -> str:
    """The first validation error as ``key 'K': expected E; found F`` (as scenario errors)."""
    from caresim.scenario import _to_scenario_error

    e = _to_scenario_error(exc, ("",), {})
    key = f"{prefix}{e.key}".rstrip(".")
    where = f"key '{key}': " if key else ""
    return f"{where}expected {e.expected}; found {e.found}"


def check_resumable(folder: Path) -> dict[str, Any]:
    """Check a partial run folder before resuming it; returns its plan.

    Raises
    ------
    caresim.errors.RunStoreError
        When the folder is missing, finished, or its plan, task states, parameters or
        finished tables are missing, unreadable or inconsistent.
    """
    import pyarrow.parquet as pq

    from caresim.analysis.sampling import apply_values
    from caresim.councils import load_councils
    from caresim.scenario import ResolvedScenario
    from caresim.survivable import Unsurvivable, check_survivable

    folder = Path(folder)
    expected = "an unfinished run folder (<run-id>.partial, containing plan.json and tasks.json)"
    if not folder.is_dir():
        raise RunStoreError(f"--resume {folder}: expected {expected}; found "
                            f"{'a file' if folder.exists() else 'no such folder'}.")
    if (folder / "manifest.json").exists() or not folder.name.endswith(PARTIAL_SUFFIX):
        raise RunStoreError(f"--resume {folder}: expected {expected}; found a finished run "
                            "folder (it has manifest.json or no .partial suffix): there is "
                            "nothing to resume.")
    plan_path, tasks_path = folder / "plan.json", folder / "tasks.json"
    raw_plan, raw_tasks = _read_json(plan_path), _read_json(tasks_path)
    try:
        plan = _Plan.model_validate(raw_plan)
    except ValidationError as exc:
        raise RunStoreError(f"{plan_path}: {_first_error(exc)}.") from None
    try:
        tasks = _Tasks.model_validate(raw_tasks).tasks
    except ValidationError as exc:
        raise RunStoreError(f"{tasks_path}: {_first_error(exc)}.") from None
    if any(math.isinf(v) or math.isnan(v) for s in plan.parameter_sets for v in s.values()):
        raise RunStoreError(f"{plan_path}: key 'parameter_sets': expected finite numbers; "
                            "found a value that is not.")
    try:
        params = Scenario.model_validate(plan.parameters)
        check_survivable(params)
    except ValidationError as exc:
        raise RunStoreError(f"{plan_path}: {_first_error(exc, 'parameters.')}.") from None
    except Unsurvivable as exc:
        raise RunStoreError(f"{plan_path}: key 'parameters.{exc.key}': expected {exc.expected}; "
                            f"found {exc.found}.") from None
    n = len(tasks)
    bad = [i for i, t in enumerate(tasks) if t.index != i or t.state not in STATES]
    if bad:
        t = tasks[bad[0]]
        raise RunStoreError(f"{tasks_path}: task {bad[0]}: expected index {bad[0]} and a state "
                            f"in {', '.join(STATES)}; found index {t.index} and state "
                            f"{t.state!r}.")
    planned = plan.replications * max(1, len(plan.parameter_sets))
    if plan.auto_precision is None and n != planned:
        raise RunStoreError(f"{tasks_path}: expected {planned} tasks (the plan's replications "
                            f"x parameter sets); found {n}.")
    from caresim.partials import DATASETS, dataset_dir, part_name

    for t in (t for t in tasks if t.state == "done"):
        for name in DATASETS:
            table = dataset_dir(folder, name) / part_name(t.index)
            try:
                pq.read_metadata(table)
            except (OSError, ValueError) as exc:
                raise RunStoreError(f"{tasks_path}: task {t.index}: expected the tables of a "
                                    f"finished task; found {table.parent.name}/{table.name} "
                                    "missing or unreadable "
                                    f"({type(exc).__name__}).") from None
    known = set(load_councils()["code"])
    unknown = [c for c in plan.codes if c not in known]
    if unknown or len(set(plan.codes)) != len(plan.codes):
        raise RunStoreError(f"{plan_path}: key 'codes': expected GSS codes of English councils, "
                            f"each once; found {(unknown or plan.codes)[0]!r}.")
    for k, values in enumerate(plan.parameter_sets):
        try:
            apply_values(ResolvedScenario.of(params, tuple(plan.scenario_files)), values)
        except (KeyError, InputError) as exc:
            raise RunStoreError(f"{plan_path}: key 'parameter_sets.{k}': expected draws of this "
                                f"scenario's parameters; found {exc}.") from None
    return raw_plan
