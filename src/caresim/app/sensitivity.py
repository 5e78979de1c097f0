"""``caresim sensitivity``: run a sensitivity analysis and write its folder.

The design, the outputs and the indices are pure functions of :mod:`caresim.analysis.
sensitivity`; this module plans the model runs (each design point with and without the grant,
replications ``0..R-1`` at every point), executes them in batches, and writes
``out/sensitivity/<id>/`` through :mod:`caresim.io`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from caresim.analysis.sampling import apply_values, assumption_parameters, select
from caresim.analysis.sensitivity import (
    OUTPUTS,
    RUN_UNTIL,
    RUN_UNTIL_WITHOUT_GRANT,
    WITHOUT_GRANT,
    analyse,
    design,
    evaluations,
    outputs_of,
)
from caresim.analysis.sensitivity_settings import (
    BOOTSTRAP_RESAMPLES,
    CONF_LEVEL,
    METHODS,
    MORRIS_LEVELS,
)
from caresim.app.common import resolve_councils, scope_of
from caresim.errors import InputError
from caresim.io import check_output_root, environment, run_id, write_folder
from caresim.runner import ExecutorSpec, TaskResult, execute, make_executor, plan
from caresim.scenario import ResolvedScenario, load_scenario

# ------------------------------------------------------------------------------ model runs


def without_grant(scenario: ResolvedScenario) -> ResolvedScenario:
    """``scenario`` with every Social Care Reform Grant tranche set to 0 (GBP/year)."""
    leaf = scenario.get("grant.tranches_gbp")
    return scenario.replace({
        "grant.tranches_gbp.values": {d: 0.0 for d in leaf.values},
        "grant.tranches_gbp.range": None,
        "grant.tranches_gbp.source": f"sensitivity: the grant withdrawn (paired run); prior: "
                                     f"{leaf.source}"}, source="sensitivity: without the grant")


def ending(scenario: ResolvedScenario, last: dt.date) -> ResolvedScenario:
    """``scenario`` with the run ending at ``last``, or at its own end if that is earlier."""
    end = min(last, scenario.params.run.end_date)
    return scenario.replace({"run.end_date": end}, source="sensitivity: the run's end")


@dataclass
class SensitivityResult:
    """A sensitivity analysis: indices, every evaluation, and where they were written.

    Attributes
    ----------
    method : str
        ``oat``, ``morris`` or ``sobol``.
    scenario : str
        The scenario's name.
    scope : str
        GSS code of what the outputs describe (``E92000001`` for England).
    parameters : pandas.DataFrame
        The parameters varied: ``parameter, low, high, value, distribution, dated, scale``.
    indices : pandas.DataFrame
        :func:`analyse`'s table, with each output's ``unit``.
    evaluations : pandas.DataFrame
        One row per design point and replication: ``point, replication``, each parameter's
        value and each output (the grant effect included).
    n_points : int
        Design points.
    n_tasks : int
        Model runs (points x replications x 2, with and without the grant).
    seconds : float
        Wall time of the model runs (s).
    task_seconds : list of float
        Each model run's own time (s).
    folder : pathlib.Path or None
        ``out/sensitivity/<id>/`` when written.
    """

    method: str
    scenario: str
    scope: str
    parameters: pd.DataFrame
    indices: pd.DataFrame
    evaluations: pd.DataFrame
    n_points: int
    n_tasks: int
    seconds: float
    task_seconds: list[float] = field(default_factory=list)
    folder: Path | None = None


def _batches(n: int, size: int) -> Iterable[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def _counting(progress: Callable[[int, int], None] | None, done: list[int], total: int
              ) -> Callable[[Iterable[Future], int], Iterable[Future]] | None:
    """A runner progress wrapper that reports (tasks done, total) across batches."""
    if progress is None:
        return None

    def wrap(futures: Iterable[Future], _n: int) -> Iterable[Future]:
        for fut in futures:
            yield fut
            done[0] += 1
            progress(done[0], total)

    return wrap


def run_sensitivity(scenario_path: str, method: str, parameters: list[str] | None = None,
                    n: int | None = None, replications: int = 1,
                    councils: list[str] | None = None, spec: ExecutorSpec | None = None,
                    seed: int | None = None, out: Path | None = None,
                    command: list[str] | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    batch_size: int | None = None) -> SensitivityResult:
    """Run a sensitivity analysis of a scenario's outputs to its assumptions.

    Parameters
    ----------
    scenario_path : str
        Scenario file or bundled name.
    method : str
        ``oat``, ``morris`` or ``sobol``.
    parameters : list of str or None
        Assumptions to vary (dotted paths, or unique last parts); all with a range when None.
    n : int or None
        Morris trajectories or Sobol' base sample (a power of 2); None for ``oat`` and the
        defaults (:data:`DEFAULT_SAMPLES`).
    replications : int
        Replications per design point (numbers ``0..replications-1`` at every point).
    councils : list of str or None
        Councils to run (names or GSS codes); the scenario's, else all England, when None.
    spec : ExecutorSpec or None
        Where the model runs (serial by default).
    seed : int or None
        Master seed of the model and seed of the design and bootstrap (the scenario's
        ``run.seed`` when None).
    out : pathlib.Path or None
        Write ``out/sensitivity/<id>/`` (tables, plots, manifest) when given.
    command : list of str or None
        The command line, for the manifest.
    progress : callable or None
        Called as ``progress(tasks_done, tasks_total)`` after every model run.
    batch_size : int or None
        Model runs whose tables are held in memory at once (default: 4 per worker, at least
        8, at most about 1 GB of tables).

    Raises
    ------
    caresim.errors.InputError
        For a bad method, parameter name, sample size or replications, before anything runs.
    """
    if method not in METHODS:
        raise InputError(f"--method: expected one of {', '.join(METHODS)}; found '{method}'.")
    if replications < 1:
        raise InputError(f"--replications: expected a whole number >= 1; found {replications}.")
    scenario, codes = resolve_councils(
        load_scenario(scenario_path).with_run(seed=seed, replications=replications),
        councils or [])
    params = scenario.params
    seed = params.run.seed
    specs = select(assumption_parameters(params, include_calibrated=True), parameters)
    d = design(specs, method, n, seed)
    if out is not None:
        check_output_root(out)
    scope = scope_of(codes)
    spec = spec or ExecutorSpec()
    points = d.points()
    # every model run, planned up front: point i, with grant then without, replications 0..R-1
    tasks, keys = [], []
    for i, point in enumerate(points):
        sampled = apply_values(scenario, point)
        for variant, p in (("", ending(sampled, RUN_UNTIL)),
                           (WITHOUT_GRANT, ending(without_grant(sampled),
                                                   RUN_UNTIL_WITHOUT_GRANT))):
            for task in plan(scenario.name, p.params, codes, replications):
                tasks.append(task)
                keys.append((i, variant, task.replication))
    parallel = spec.workers if not (spec.scheduler or spec.dask_local) else (
        spec.dask_local or 32)
    # about 25 bytes a row, 64 metrics x 144 months a council: ~40 MB per all-England run
    size = batch_size or max(8, min(4 * parallel, 4000 // (len(codes) + 1)))
    values: dict[tuple[int, str, int], dict[str, float]] = {}
    seconds: list[float] = []
    done = [0]
    wrap = _counting(progress, done, len(tasks))
    t0 = time.perf_counter()
    executor = make_executor(spec)
    try:
        for chunk in _batches(len(tasks), size):
            results = execute([tasks[j] for j in chunk], executor, progress=wrap)
            for j, res in zip(chunk, results, strict=True):
                values[keys[j]] = task_outputs(res, scope)
                seconds.append(res.seconds)
    finally:
        executor.shutdown()
    elapsed = time.perf_counter() - t0
    table_of_runs = evaluations(d, values, replications)
    names = [o.name for o in OUTPUTS]
    y = table_of_runs.groupby("point")[names].mean().to_numpy()
    indices = analyse(d, y, names)
    units = {o.name: o.unit for o in OUTPUTS}
    indices.insert(1, "unit", indices["output"].map(units))
    table = pd.DataFrame({"parameter": [s.path for s in specs], "low": [s.low for s in specs],
                          "high": [s.high for s in specs], "value": [s.value for s in specs],
                          "distribution": [s.distribution for s in specs],
                          "dated": [s.dated for s in specs], "scale": [s.scale for s in specs]})
    result = SensitivityResult(method, scenario.name, scope, table, indices, table_of_runs,
                               len(points), len(tasks), elapsed, seconds)
    if out is not None:
        manifest = {"scenario": scenario.name, "scenario_files": list(scenario.files),
                    "scenario_hash": scenario.hash, "method": method, "samples": d.n,
                    "morris_levels": MORRIS_LEVELS if method == "morris" else None,
                    "bootstrap_resamples": BOOTSTRAP_RESAMPLES, "conf_level": CONF_LEVEL,
                    "master_seed": seed, "replications": replications, "councils": codes,
                    "scope": scope, "varied": [s.path for s in specs],
                    "outputs": {o.name: {"unit": o.unit, "description": o.description}
                                for o in OUTPUTS},
                    "design_points": len(points), "model_runs": len(tasks),
                    "common_random_numbers": True, "executor": spec.describe(),
                    "command": command or [],
                    "parameters": params.model_dump(mode="json")}
        result.folder = write_sensitivity(result, out, manifest)
    return result


def write_sensitivity(result: SensitivityResult, out: Path, manifest: dict) -> Path:
    """Write ``out/sensitivity/<id>/`` atomically and return it.

    Files: ``indices.csv``, ``parameters.csv``, ``evaluations.csv``, ``manifest.json`` and
    ``plots/<method>_<output>.png`` (one per output).
    """
    from caresim.measures import scope_label
    from caresim.plotting.sensitivity import FIGURES

    started = dt.datetime.now(dt.UTC)
    where = scope_label(result.scope, [str(c) for c in manifest.get("councils") or []]
                        or [result.scope])
    manifest = {**manifest, "environment": environment(), "finished_utc": started.isoformat(),
                "timings_seconds": {"model_runs": round(result.seconds, 3),
                                    "per_run_mean": round(float(np.mean(result.task_seconds)), 3)
                                    if result.task_seconds else None}}
    figures = {f"plots/{result.method}_{_slug(o.name)}.png": FIGURES[result.method](
        result.indices[result.indices["output"] == o.name], o, where, manifest) for o in OUTPUTS}
    return write_folder(
        out / "sensitivity" / run_id(started, result.method, manifest["scenario_hash"][:8]),
        csv={"indices.csv": result.indices, "parameters.csv": result.parameters,
             "evaluations.csv": result.evaluations},
        manifest=manifest, figures=figures, dpi=110)


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())



def task_outputs(result: TaskResult, scope: str) -> dict[str, float]:
    """The outputs of one task (one replication) for ``scope``
    (:func:`caresim.analysis.sensitivity.outputs_of` of its tables)."""
    return outputs_of(result.monthly, result.fy, result.ledger, scope)
