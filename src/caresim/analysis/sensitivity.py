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

**How it runs** (:mod:`caresim.app.sensitivity`). Every model evaluation is planned up front
as runner tasks (replications ``0..R-1`` for every sample, so all samples share common random
numbers) and executed on the executor asked for (serial, local processes, Dask), in batches
whose tables are reduced to the outputs at once (:func:`outputs_of`), so memory does not grow
with the number of samples. This module holds only pure functions (the design, the outputs of a
run's tables, the indices): :func:`evaluate_function` plugs in a plain function, which is how
the Ishigami test checks them.

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
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caresim.analysis.headline import reading_table
from caresim.analysis.sampling import ParamSpec
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
from caresim.measures import Reading, RunTables
from caresim.measures.readings import SENSITIVITY_OUTPUTS


@dataclass(frozen=True)
class Output:
    """One model output the sensitivity analysis explains."""

    name: str
    unit: str
    until: dt.date  # the last day the model must simulate to give it
    reading: Reading | None = None  # the measure at a period it is, if one run gives it
    description: str = ""


_END_2010_11 = dt.date(2011, 3, 31)
_END_2014_15 = dt.date(2015, 3, 31)

_READING = {r.name: r for r in SENSITIVITY_OUTPUTS}

OUTPUTS: tuple[Output, ...] = (
    Output("pb_share_adass 2011-04-01", "fraction", _END_2010_11,
           _READING["pb_share_adass 2011-04-01"], "PB share (ADASS measure) on 1 April 2011"),
    Output("grant effect on pb_share_adass 2011-04-01", "fraction", _END_2010_11, None,
           "PB share on 1 April 2011 with the grant minus without it (paired)"),
    Output("cumulative savings share to 2010-11", "fraction", _END_2010_11,
           _READING["cumulative savings share to 2010-11"],
           "cashable savings 2008-09 to 2010-11 / 2007-08 net budget"),
    Output("unmet_need 2015-04-01", "people", _END_2014_15, _READING["unmet_need 2015-04-01"],
           "unmet need at the end of 2014-15"),
    Output("net_spend_gbp 2014-15", "GBP", _END_2014_15, _READING["net_spend_gbp 2014-15"],
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
WITHOUT_GRANT = "without grant"
"""The variant of each design point run without the grant."""


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


def outputs_of(monthly: pd.DataFrame, fy: pd.DataFrame, ledger: pd.DataFrame, scope: str
               ) -> dict[str, float]:
    """The outputs of one replication's tables for ``scope`` (England or a council code).

    Returns
    -------
    dict
        :data:`OUTPUTS` names -> value, for every output the run reached (its ``until`` on or
        before the run's last month), except the grant effect, which needs two runs.
    """
    last = pd.Timestamp(monthly["date"].max())
    reached = tuple(o.reading for o in OUTPUTS
                    if pd.Timestamp(o.until) <= last and o.reading is not None)
    v = reading_table(reached, RunTables(monthly, fy, ledger), scope)
    return {str(k): float(x) for k, x in zip(v["indicator"], v["value"], strict=True)}


def evaluations(d: Design, values: dict, replications: int) -> pd.DataFrame:
    """One row per design point and replication: ``point, replication``, each parameter's
    value and each output, the grant effect being the paired difference of the runs with and
    without the grant (``values`` keyed by ``(point, variant, replication)``, the variant
    ``""`` or :data:`WITHOUT_GRANT`)."""
    rows = []
    for i, point in enumerate(d.points()):
        for r in range(replications):
            with_grant, without = values[(i, "", r)], values[(i, WITHOUT_GRANT, r)]
            row = {"point": i, "replication": r, **point, **with_grant}
            row[OUTPUTS[1].name] = with_grant[_PB] - without[_PB]
            rows.append(row)
    cols = ["point", "replication", *[s.path for s in d.specs], *[o.name for o in OUTPUTS]]
    return pd.DataFrame(rows)[cols]
