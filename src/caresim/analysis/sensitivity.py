"""Sensitivity of the headline results to the assumptions: one-at-a-time, Morris and Sobol'.

**What varies.** The assumptions with a range (:func:`caresim.analysis.sampling.
assumption_parameters`), or the ones named; each over its range with its distribution (dated
values through a multiplier). Designs are built on the unit hypercube and mapped through each
parameter's inverse CDF, so Morris and Sobol' indices are with respect to the parameters'
distributions, and a Morris elementary effect is the change in the output per unit of the
parameter's quantile scale: roughly the change when the parameter crosses its whole range.

**What is measured** (:data:`OUTPUTS`; England, or the council when one is run), each sample's
value being the mean over its replications:

* ``pb_share_adass`` on 1 April 2011 (the monthly stock at 31 March 2011), fraction;
* the effect of the grant on it: the same sample run again with every grant tranche set to 0,
  under the same replication numbers, and the paired difference (with grant minus without),
  fraction;
* cumulative cashable savings 2008-09 to 2010-11 as a share of the 2007-08 net budget (ledger
  ``savings_total_gbp`` summed over the years, divided by ``baseline_budget_gbp``), fraction;
* ``unmet_need`` in 2014-15 (financial-year stock at 31 March 2015), people;
* ``net_spend_gbp`` in 2014-15, GBP (nominal).

**How it runs.** Every model evaluation is planned up front as runner tasks
(:func:`caresim.runner.plan` per sample, replications ``0..R-1`` for every sample, so all
samples share common random numbers), and executed through :func:`caresim.runner.execute` on
the executor the :class:`~caresim.runner.ExecutorSpec` names (serial, local processes, Dask), in
batches whose tables are reduced to the outputs at once, so memory does not grow with the
number of samples. The analysis (:func:`design`, :func:`analyse`) is independent of the model:
:func:`evaluate_function` plugs in a plain function, which is how the Ishigami test checks it.

**Methods.** ``oat``: every parameter at its low and its high with the others at their current
values; the tornado data are the output there minus the output at the base point. ``morris``:
SALib's trajectories (4 levels; up to 10 trajectories, the ``n`` most spread out of ``10 n``
candidates) and ``mu``, ``mu*``, ``sigma`` with a bootstrap interval on
``mu*``. ``sobol``: SALib's Saltelli scheme (scrambled Sobol' sequence, ``N (k + 2)``
evaluations, no second-order terms) and first-order and total indices ``S1`` and ``ST`` with
bootstrap intervals. The same seed gives the same design, the same model results and the same
bootstrap, hence identical indices.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from caresim.analysis.headline import headline_values
from caresim.analysis.sampling import ParamSpec, apply_values, assumption_parameters, select
from caresim.analysis.sensitivity_settings import (
    BOOTSTRAP_RESAMPLES,
    CONF_LEVEL,
    DEFAULT_SAMPLES,
    METHODS,
    MORRIS_CANDIDATES,
    MORRIS_LEVELS,
    MORRIS_SPREAD_UP_TO,
)
from caresim.errors import InputError
from caresim.runner import ExecutorSpec, TaskResult
from caresim.scenario import ResolvedScenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOP = 15
"""Parameters shown in each plot (the most influential)."""


@dataclass(frozen=True)
class Output:
    """One model output the sensitivity analysis explains."""

    name: str
    unit: str
    until: dt.date  # the last day the model must simulate to give it
    headline: str | None = None  # the headline indicator it is read from, if any
    description: str = ""


_END_2010_11 = dt.date(2011, 3, 31)
_END_2014_15 = dt.date(2015, 3, 31)

OUTPUTS: tuple[Output, ...] = (
    Output("pb_share_adass 2011-04-01", "fraction", _END_2010_11, "pb_share_adass 2011-04-01",
           "PB share (ADASS measure) on 1 April 2011"),
    Output("grant effect on pb_share_adass 2011-04-01", "fraction", _END_2010_11, None,
           "PB share on 1 April 2011 with the grant minus without it (paired)"),
    Output("cumulative savings share to 2010-11", "fraction", _END_2010_11, None,
           "cashable savings 2008-09 to 2010-11 / 2007-08 net budget"),
    Output("unmet_need 2015-04-01", "people", _END_2014_15, "unmet_need 2015-04-01",
           "unmet need at the end of 2014-15"),
    Output("net_spend_gbp 2014-15", "GBP", _END_2014_15, "net_spend_gbp 2014-15",
           "net spend in 2014-15 (nominal)"),
)
"""The outputs, in column order of every evaluation matrix."""

RUN_UNTIL = max(o.until for o in OUTPUTS)
"""Where each run with the grant stops: the model is causal (nothing before a date depends on
what comes after it; ``tests/functional/test_sensitivity.py`` checks it), so the years after
the last output are not simulated."""

RUN_UNTIL_WITHOUT_GRANT = OUTPUTS[1].until
"""Where each paired run without the grant stops: it only gives the grant effect."""

_PB = OUTPUTS[0].name
_WITHOUT_GRANT = "without grant"


# ------------------------------------------------------------------------------ design


@dataclass
class Design:
    """The points at which the model (or any function) is evaluated.

    Attributes
    ----------
    method : str
        ``oat``, ``morris`` or ``sobol``.
    specs : list of ParamSpec
        The parameters, one per column.
    unit : numpy.ndarray
        ``(n_points, k)`` points on the unit hypercube (quantiles); for ``oat``, the quantile of
        the base, low and high values.
    values : numpy.ndarray
        ``(n_points, k)`` the same points on each parameter's scale (own unit, or a multiplier
        for a dated parameter).
    n : int
        Morris trajectories or Sobol' base sample; 0 for ``oat``.
    seed : int
        Seed of the design and of the bootstrap.
    """

    method: str
    specs: list[ParamSpec]
    unit: np.ndarray
    values: np.ndarray
    n: int
    seed: int

    @property
    def problem(self) -> dict:
        """The SALib problem: the parameters on the unit interval."""
        return {"num_vars": len(self.specs), "names": [s.path for s in self.specs],
                "bounds": [[0.0, 1.0]] * len(self.specs)}

    def points(self) -> list[dict[str, float]]:
        """Each point as ``{path: value}`` for :func:`~caresim.analysis.sampling.apply_values`."""
        names = [s.path for s in self.specs]
        return [dict(zip(names, map(float, row), strict=True)) for row in self.values]


def _quantile(spec: ParamSpec, x: float) -> float:
    """The probability of ``x`` on ``spec``'s distribution (for labelling OAT points)."""
    grid = np.linspace(0.0, 1.0, 2001)
    return float(np.interp(x, spec.ppf(grid), grid))


def design(specs: list[ParamSpec], method: str, n: int | None = None, seed: int = 0) -> Design:
    """The evaluation points of a sensitivity method.

    Parameters
    ----------
    specs : list of ParamSpec
        The parameters (at least one).
    method : str
        ``oat`` (``2k + 1`` points: base, then each parameter's low and high), ``morris``
        (``n (k + 1)`` points) or ``sobol`` (``n (k + 2)`` points; ``n`` a power of 2).
    n : int or None
        Morris trajectories or Sobol' base sample (:data:`DEFAULT_SAMPLES` when None); must be
        None for ``oat``.
    seed : int
        Seed of the design.

    Raises
    ------
    caresim.errors.InputError
        For an unknown method, no parameters, or a bad ``n``.
    """
    if method not in METHODS:
        raise InputError(f"--method: expected one of {', '.join(METHODS)}; found '{method}'.")
    if not specs:
        raise InputError("sensitivity: expected at least one parameter with a range; found "
                         "none.")
    k = len(specs)
    if method == "oat":
        if n is not None:
            raise InputError("--samples: expected none with --method oat (each parameter is "
                             f"run at its low and its high); found {n}.")
        base = np.array([s.value for s in specs])
        values = np.tile(base, (2 * k + 1, 1))
        for j, s in enumerate(specs):
            values[1 + 2 * j, j], values[2 + 2 * j, j] = s.low, s.high
        unit = np.column_stack([[_quantile(s, x) for x in values[:, j]]
                                for j, s in enumerate(specs)])
        return Design(method, list(specs), unit, values, 0, seed)
    n = DEFAULT_SAMPLES[method] if n is None else n
    if n < (2 if method == "morris" else 1):
        raise InputError(f"--samples: expected a whole number >= 2 for {method}; found {n}.")
    if method == "sobol" and n & (n - 1):
        raise InputError(f"--samples: expected a power of 2 for sobol (Sobol' sequences are "
                         f"balanced at powers of 2), e.g. {2 ** math.ceil(math.log2(n))}; "
                         f"found {n}.")
    problem = {"num_vars": k, "names": [s.path for s in specs], "bounds": [[0.0, 1.0]] * k}
    if method == "morris":
        from SALib.sample import morris as morris_sample

        spread = n <= MORRIS_SPREAD_UP_TO
        unit = morris_sample.sample(problem, MORRIS_CANDIDATES * n if spread else n,
                                    num_levels=MORRIS_LEVELS,
                                    optimal_trajectories=n if spread else None, seed=seed)
    else:
        from SALib.sample import sobol as sobol_sample

        unit = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True,
                                   seed=seed)
    from caresim.analysis.sampling import to_values

    return Design(method, list(specs), unit, to_values(specs, unit), n, seed)


def evaluate_function(d: Design, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Evaluate a plain function at every point of a design.

    Parameters
    ----------
    d : Design
        The design.
    fn : callable
        Takes the ``(n_points, k)`` values and returns ``(n_points,)`` or
        ``(n_points, n_outputs)``.

    Returns
    -------
    numpy.ndarray
        ``(n_points, n_outputs)``.
    """
    y = np.asarray(fn(d.values), dtype=float)
    return y.reshape(len(d.values), -1)


# ------------------------------------------------------------------------------ analysis


def analyse(d: Design, y: np.ndarray, outputs: list[str] | None = None) -> pd.DataFrame:
    """The sensitivity indices of each output to each parameter.

    Parameters
    ----------
    d : Design
        The design the outputs were evaluated on.
    y : numpy.ndarray
        ``(n_points, n_outputs)``, in the order of ``d``'s points.
    outputs : list of str or None
        Output names (``y0, y1, ...`` when None).

    Returns
    -------
    pandas.DataFrame
        One row per output and parameter with ``output, parameter, rank`` and, for ``oat``:
        ``low, high, base_output, output_low, output_high, effect_low, effect_high, swing``
        (output units); ``morris``: ``mu, mu_star, mu_star_conf, sigma`` (output units per
        unit of the parameter's quantile scale); ``sobol``: ``S1, S1_conf, ST, ST_conf`` and
        the interval bounds ``S1_low .. ST_high`` (shares of variance; ``conf`` is the
        half-width of the 95% bootstrap interval). ``rank`` 1 is the most influential (largest
        ``swing``, ``mu_star`` or ``ST``). ``note`` says when an output did not vary.
    """
    y = np.asarray(y, dtype=float).reshape(len(d.values), -1)
    outputs = outputs or [f"y{i}" for i in range(y.shape[1])]
    frames = []
    for i, name in enumerate(outputs):
        col = y[:, i]
        varied = bool(np.ptp(col) > 1e-12 * np.abs(col).max())
        if not varied:  # differences are rounding: no effect at all
            col = np.full_like(col, col[0])
        if d.method == "oat":
            f = _oat(d, col)
            key = "swing"
        elif d.method == "morris":
            f = _morris(d, col)
            key = "mu_star"
        else:
            f = _sobol(d, col)
            key = "ST"
        if d.method != "sobol":  # effects at the level of rounding are no effects
            effects = [c for c in ("effect_low", "effect_high", "swing", "mu", "mu_star",
                                   "mu_star_conf", "sigma") if c in f]
            tiny = f[effects].abs() < 1e-9 * np.abs(col).max()
            f[effects] = f[effects].mask(tiny, 0.0)
        f.insert(0, "output", name)
        f["note"] = "" if varied else "output did not vary"
        f["rank"] = f[key].rank(ascending=False, method="min").astype(int)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _oat(d: Design, y: np.ndarray) -> pd.DataFrame:
    k = len(d.specs)
    base = y[0]
    lo, hi = y[1:2 * k + 1:2], y[2:2 * k + 2:2]
    return pd.DataFrame({
        "parameter": [s.path for s in d.specs], "low": [s.low for s in d.specs],
        "high": [s.high for s in d.specs], "base_output": base, "output_low": lo,
        "output_high": hi, "effect_low": lo - base, "effect_high": hi - base,
        "swing": np.abs(hi - lo)})


def _morris(d: Design, y: np.ndarray) -> pd.DataFrame:
    from SALib.analyze import morris as morris_analyze

    r = morris_analyze.analyze(d.problem, d.unit, y, num_resamples=BOOTSTRAP_RESAMPLES,
                               conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=d.seed)
    return pd.DataFrame({"parameter": [s.path for s in d.specs], "mu": np.asarray(r["mu"]),
                         "mu_star": np.asarray(r["mu_star"]),
                         "mu_star_conf": np.asarray(r["mu_star_conf"]),
                         "sigma": np.asarray(r["sigma"])})


def _sobol(d: Design, y: np.ndarray) -> pd.DataFrame:
    k = len(d.specs)
    names = [s.path for s in d.specs]
    if not np.ptp(y) > 0:  # no variance to share out: every index is 0
        zeros = np.zeros(k)
        s1 = s1c = st = stc = zeros
    else:
        from SALib.analyze import sobol as sobol_analyze

        r = sobol_analyze.analyze(d.problem, y, calc_second_order=False,
                                  num_resamples=BOOTSTRAP_RESAMPLES, conf_level=CONF_LEVEL,
                                  seed=d.seed)
        s1, s1c, st, stc = (np.asarray(r[x]) for x in ("S1", "S1_conf", "ST", "ST_conf"))
    return pd.DataFrame({"parameter": names, "S1": s1, "S1_conf": s1c, "ST": st,
                         "ST_conf": stc, "S1_low": s1 - s1c, "S1_high": s1 + s1c,
                         "ST_low": st - stc, "ST_high": st + stc})


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


def task_outputs(result: TaskResult, scope: str) -> dict[str, float]:
    """The outputs of one task (one replication) for ``scope`` (England or a council code).

    Returns
    -------
    dict
        :data:`OUTPUTS` names -> value, for every output the run reached (its ``until`` on or
        before the run's last month), except the grant effect, which needs two runs.
    """
    last = result.monthly["date"].max()
    reached = [o for o in OUTPUTS if pd.Timestamp(o.until) <= last and o is not OUTPUTS[1]]
    names = tuple(o.headline for o in reached if o.headline)
    v = headline_values(result.monthly, result.fy, result.ledger, scope, names)
    out = {o.name: float(v.loc[v["indicator"] == o.headline, "value"].iloc[0])
           for o in reached if o.headline}
    if OUTPUTS[2] in reached:
        led = result.ledger[(result.ledger["council_code"] == scope)
                            & (result.ledger["fy"] <= "2010-11")]
        budget = float(led.loc[led["fy"] == "2010-11", "baseline_budget_gbp"].iloc[0])
        out[OUTPUTS[2].name] = float(led["savings_total_gbp"].sum()) / budget
    return out


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
    from caresim.api import resolve_councils, scope_of
    from caresim.outputs import check_output_root
    from caresim.runner import execute, make_executor, plan
    from caresim.scenario import load_scenario

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
                           (_WITHOUT_GRANT, ending(without_grant(sampled),
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
    evaluations = _evaluations(d, values, replications)
    names = [o.name for o in OUTPUTS]
    y = evaluations.groupby("point")[names].mean().to_numpy()
    indices = analyse(d, y, names)
    units = {o.name: o.unit for o in OUTPUTS}
    indices.insert(1, "unit", indices["output"].map(units))
    table = pd.DataFrame({"parameter": [s.path for s in specs], "low": [s.low for s in specs],
                          "high": [s.high for s in specs], "value": [s.value for s in specs],
                          "distribution": [s.distribution for s in specs],
                          "dated": [s.dated for s in specs], "scale": [s.scale for s in specs]})
    result = SensitivityResult(method, scenario.name, scope, table, indices, evaluations,
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


def _evaluations(d: Design, values: dict, replications: int) -> pd.DataFrame:
    rows = []
    for i, point in enumerate(d.points()):
        for r in range(replications):
            with_grant, without = values[(i, "", r)], values[(i, _WITHOUT_GRANT, r)]
            row = {"point": i, "replication": r, **point, **with_grant}
            row[OUTPUTS[1].name] = with_grant[_PB] - without[_PB]
            rows.append(row)
    cols = ["point", "replication", *[s.path for s in d.specs], *[o.name for o in OUTPUTS]]
    return pd.DataFrame(rows)[cols]


# ------------------------------------------------------------------------------ writing


def write_sensitivity(result: SensitivityResult, out: Path, manifest: dict) -> Path:
    """Write ``out/sensitivity/<id>/`` atomically and return it.

    Files: ``indices.csv``, ``parameters.csv``, ``evaluations.csv``, ``manifest.json`` and
    ``plots/<method>_<output>.png`` (one per output).
    """
    import matplotlib.pyplot as plt

    from caresim.outputs import atomic_folder, environment
    from caresim.scenario import json_default

    started = dt.datetime.now(dt.UTC)
    folder = out / "sensitivity" / (f"{started.strftime('%Y%m%dT%H%M%S')}Z-{result.method}-"
                                    f"{manifest['scenario_hash'][:8]}")
    manifest = {**manifest, "environment": environment(), "finished_utc": started.isoformat(),
                "timings_seconds": {"model_runs": round(result.seconds, 3),
                                    "per_run_mean": round(float(np.mean(result.task_seconds)), 3)
                                    if result.task_seconds else None}}
    with atomic_folder(folder) as tmp:
        (tmp / "plots").mkdir()
        result.indices.to_csv(tmp / "indices.csv", index=False)
        result.parameters.to_csv(tmp / "parameters.csv", index=False)
        result.evaluations.to_csv(tmp / "evaluations.csv", index=False)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=json_default))
        where = _place(result.scope)
        for o in OUTPUTS:
            rows = result.indices[result.indices["output"] == o.name]
            fig = FIGURES[result.method](rows, o, where, manifest)
            fig.savefig(tmp / "plots" / f"{result.method}_{_slug(o.name)}.png", dpi=110,
                        bbox_inches="tight")
            plt.close(fig)
    return folder


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _place(scope: str) -> str:
    from caresim.councils import load_councils

    councils = load_councils()
    return dict(zip(councils["code"], councils["name"], strict=True)).get(scope, "England")


def _scaled(o: Output) -> tuple[float, str]:
    """Display scale and unit label of an output."""
    return {"fraction": (100.0, "percentage points"), "GBP": (1e-6, "GBP m"),
            "people": (1.0, "people")}.get(o.unit, (1.0, o.unit))


def _subtitle(manifest: dict, where: str) -> str:
    reps = manifest["replications"]
    return (f"{where}, scenario {manifest['scenario']}; {manifest['design_points']} design "
            f"points x {reps} replication(s), seed {manifest['master_seed']}")


def tornado_figure(rows: pd.DataFrame, o: Output, where: str, manifest: dict) -> Figure:
    """One-at-a-time tornado: output at each parameter's low and high minus the base."""
    import matplotlib.pyplot as plt

    scale, label = _scaled(o)
    top = rows.sort_values("swing", ascending=False).head(TOP).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(top) + 1.8))
    ypos = np.arange(len(top))
    h = 0.4  # side by side, so a low and a high effect on the same side both show
    ax.barh(ypos + h / 2, top["effect_low"] * scale, h, color="#4878d0",
            label="parameter at its low")
    ax.barh(ypos - h / 2, top["effect_high"] * scale, h, color="#ee854a",
            label="parameter at its high")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ypos, top["parameter"], fontsize=8)
    base = rows["base_output"].iloc[0]
    shown = f"{100 * base:.1f}%" if o.unit == "fraction" else f"{base * scale:,.4g} {label}"
    ax.set_xlabel(f"change from the output with every parameter at its value ({shown}), "
                  f"{label}")
    ax.set_title(f"One-at-a-time sensitivity: {o.description}\n{_subtitle(manifest, where)}",
                 fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(axis="x", alpha=0.3)
    return fig


def morris_figure(rows: pd.DataFrame, o: Output, where: str, manifest: dict) -> Figure:
    """Morris screening: ``mu*`` against ``sigma``, with the bootstrap interval on ``mu*``."""
    import matplotlib.pyplot as plt

    scale, label = _scaled(o)
    fig, ax = plt.subplots(figsize=(8.5, 6))
    x, s, c = rows["mu_star"] * scale, rows["sigma"] * scale, rows["mu_star_conf"] * scale
    ax.errorbar(x, s, xerr=c, fmt="o", ms=4, color="#4878d0", ecolor="#9ab3e0", elinewidth=1,
                capsize=2)
    xmax = max(float((x + c).max()), 1e-12) * 1.08
    ymax = max(float(s.max()), 1e-12) * 1.12
    reach = max(xmax, ymax)
    for ratio, style in ((1.0, "--"), (0.5, ":")):
        ax.plot([0, reach], [0, ratio * reach], style, color="grey", lw=0.8,
                label=f"σ = {ratio:g} μ*")
    for _, r in rows.sort_values("mu_star", ascending=False).head(8).iterrows():
        px, py = r["mu_star"] * scale, r["sigma"] * scale
        right = px > 0.6 * xmax
        ax.annotate(r["parameter"], (px, py), fontsize=7, xytext=(-4 if right else 4, 4),
                    textcoords="offset points", ha="right" if right else "left")
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, ymax)
    ax.set_xlabel(f"μ*: mean |elementary effect| over the parameter's range, {label}")
    ax.set_ylabel(f"σ: standard deviation of the elementary effects, {label}")
    ax.set_title(f"Morris screening: {o.description}\n{_subtitle(manifest, where)}; "
                 f"{manifest['samples']} trajectories", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def sobol_figure(rows: pd.DataFrame, o: Output, where: str, manifest: dict) -> Figure:
    """Sobol' first-order and total indices with their 95% bootstrap intervals."""
    import matplotlib.pyplot as plt

    top = rows.sort_values("ST", ascending=False).head(TOP).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(top) + 1.8))
    ypos = np.arange(len(top))
    h = 0.38
    ax.barh(ypos + h / 2, top["ST"], h, xerr=top["ST_conf"], color="#ee854a",
            label="total index ST", capsize=2, error_kw={"elinewidth": 1})
    ax.barh(ypos - h / 2, top["S1"], h, xerr=top["S1_conf"], color="#4878d0",
            label="first-order index S1", capsize=2, error_kw={"elinewidth": 1})
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ypos, top["parameter"], fontsize=8)
    ax.set_xlabel("share of the output's variance (95% bootstrap intervals)")
    ax.set_title(f"Sobol' indices: {o.description}\n{_subtitle(manifest, where)}; "
                 f"N = {manifest['samples']}", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(axis="x", alpha=0.3)
    return fig


FIGURES = {"oat": tornado_figure, "morris": morris_figure, "sobol": sobol_figure}
