"""Calibration: fit a named subset of ``assumption:`` parameters to the published record.

**What is fitted.** :data:`PARAMETERS`: thirteen assumptions, chosen because each governs a
fitted series and none is pinned by a published figure: the starting PB share, the DP share of
it and readiness (the 2009 levels), transformation speed and its half-effect spend (the pace to
2012), PB take-up, the mean community package and the 18-64 cost multiplier (gross spend and
its split), the DP requests by age band (DP users and DP spend), the pass-through of local
government cuts (net spend after 2010), the share of the cashable savings target released from
the budget (how tight budgets were before 2011) and the reach of covert eligibility within a
FACS band (how far rationing cut clients and assessments).

**Against what.** The published figures of role ``fitted`` (weight > 0) of
:mod:`caresim.measures.figures`, each a measure at a period, up to a last financial year
(2011-12 for the shipped fit; 2010-11 for the time-split check, which then predicts 2011-12).
Verified and derived outturns only; forecasts and uncertain definitions have weight 0. Figures
after 2011-12 are never targets.

**Objective.** ``sum_i w_i ((model_i - published_i) / s_i)^2 / sum_i w_i`` with ``s_i`` = 3
percentage points for shares and 5% of the published value for counts and money: the fit goals
of the project, so an objective of 1 means "on average at the edge of the goal". Each target is
one component, compared on its own definition and alignment.

**Evaluations** run the model with common random numbers (fixed master seed and replications)
on a calibration sample of councils (every ``k``-th council in the data's (region, type)
order; ``k`` = 1 is all 152), counts and money scaled up to England by the ratio of England's
starting users to the sample's. Shares are not scaled.

**Solver.** The objective is a weighted sum of squares, so the fit uses a least-squares solver
rather than a general black-box search: scipy's ``least_squares`` (trust-region reflective,
bounded) on the parameters scaled to [0, 1] within their ranges, from the current values. Its
Jacobian is a forward difference with a step of 5% of each range, large enough to see past the
model's Monte Carlo noise under common random numbers (a default step of 1e-8 would measure
noise). Every model run counts against one budget of evaluations. The solver is deterministic,
so the same seed reproduces the same fit. (Optuna's samplers were considered: they ignore the
least-squares structure and need hundreds of evaluations for thirteen parameters, each an
England-scale model run.)

**Identification.** At the optimum the Jacobian of the weighted residuals gives the local
sensitivity of each component to each parameter, an approximate standard error per parameter
from ``(J^T W J)^{-1}`` (scaled by the objective) and the correlation between parameter
estimates; a parameter with a large standard error relative to its range, or a correlation
near +-1 with another, is poorly identified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caresim.errors import InputError
from caresim.measures.figures import Figure, load_figures
from caresim.params.values import Dated
from caresim.period import FinancialYear, PeriodError, parse_period
from caresim.scenario import ResolvedScenario

PARAMETERS: tuple[str, ...] = (
    "population.pb_share_start",
    "population.dp_share_of_pb_start",
    "transformation.readiness_start_mean",
    "transformation.speed_per_year",
    "transformation.spend_half_effect_gbp_per_user_year",
    "services.p_accept_pb",
    "services.cost_community_gbp_per_year",
    "services.cost_multiplier_18_64",
    "personal_budgets.dp_request_18_64",
    "personal_budgets.dp_request_65plus",
    "finance.pass_through",
    "finance.savings_target_released_share",
    "finance.rationing.covert_max_band_share",
)
"""The assumptions calibrated, as dotted paths into the scenario."""

SHARE_SCALE = 0.03
COUNT_SCALE = 0.05
LAST_PERIOD = "2011-12"
"""The last financial year whose published figures may be fitted."""
FIRST_PERIOD = "2008-09"
JACOBIAN_STEP = 0.05
"""Forward-difference step, as a share of each parameter's range."""


def evaluation_end(scenario_end: dt.date) -> dt.date:
    """Where an evaluation's run stops: a year after the last fittable year, or the scenario's
    own end if sooner.

    Figures after 2011-12 are never targets, so an evaluation need not run to 2020; it runs
    one more year so that nothing at the horizon (assessments begun near the end and not yet
    finished) touches a fitted year. Every fitted figure is then identical to a full run's
    (every financial-year table to 2011-12 was identical on all England, 2 December 2026, in
    16.7 s against 42.9 s; ``tests/functional/test_calibration_horizon.py`` checks a sample).
    A run to March 2012 is not enough: assessments begun in its last weeks changed 2011-12.
    """
    last_fitted = parse_period(LAST_PERIOD)
    assert isinstance(last_fitted, FinancialYear)
    return min(scenario_end, FinancialYear(last_fitted.start_year + 1).last_day)


def target_year(t: Figure) -> str:
    """The financial year a target falls in (the last one for a span)."""
    return str(FinancialYear.containing(parse_period(t.period).last_day))


def check_until(until: str) -> str:
    """``until`` as a financial year label from 2008-09 to 2011-12.

    Raises
    ------
    InputError
        When ``until`` is not a financial year (a ``PeriodError``), or is outside 2008-09 to
        2011-12: later figures are for checking, never for fitting.
    """
    try:
        period = parse_period(until)
    except PeriodError:
        period = None
    if not isinstance(period, FinancialYear) or not (
            FIRST_PERIOD <= str(period) <= LAST_PERIOD):
        raise InputError(
            f"--fit-until: expected a financial year from {FIRST_PERIOD} to {LAST_PERIOD} (later "
            f"published figures are for checking, never for fitting); found '{until}'.")
    return str(period)


def fitted_targets(until: str = LAST_PERIOD) -> list[Figure]:
    """Published figures of role ``fitted`` (weight > 0) in financial years up to ``until``."""
    until = check_until(until)
    return [f for f in load_figures() if f.role == "fitted" and target_year(f) <= until]


def predicted_targets(until: str) -> list[Figure]:
    """The fitted figures after ``until`` and up to 2011-12: what a fit to ``until`` predicts."""
    until = check_until(until)
    return [t for t in fitted_targets() if target_year(t) > until]


def calibration_sample(codes: list[str], every: int) -> list[str]:
    """Every ``every``-th council in data order (region, type, name): a stratified sample."""
    return codes[::every]


@dataclass(frozen=True)
class Leaf:
    """How to read and write one calibrated parameter."""

    path: str
    dated: bool
    low: float
    high: float
    value: float


def leaves(scenario: ResolvedScenario) -> list[Leaf]:
    """The calibrated parameters with their ranges and current values.

    A dated parameter is calibrated through a multiplier on all its values (its range is a
    range of multipliers); its current value is 1.
    """
    out = []
    for path in PARAMETERS:
        leaf = scenario.get(path)
        lo, hi = leaf.range
        if isinstance(leaf, Dated):
            out.append(Leaf(path, True, lo, hi, 1.0))
        else:
            out.append(Leaf(path, False, lo, hi, leaf.value))
    return out


def apply(scenario: ResolvedScenario, x: np.ndarray, note: str | None = None
          ) -> ResolvedScenario:
    """The scenario with the calibrated values ``x`` (natural units; multipliers for dated)."""
    changes: dict[str, object] = {}
    for leaf, value in zip(leaves(scenario), x, strict=True):
        node = scenario.get(leaf.path)
        if leaf.dated:
            changes[f"{leaf.path}.values"] = {d: v * value for d, v in node.values.items()}
            changes[f"{leaf.path}.range"] = [leaf.low / value, leaf.high / value]
        else:
            changes[f"{leaf.path}.value"] = float(value)
        if note:
            changes[f"{leaf.path}.source"] = f"{note}; prior: {node.source}"
    return scenario.replace(changes, source=note or "calibration candidate")


def residuals(values: pd.Series, targets: list[Figure]) -> np.ndarray:
    """Scaled residuals ``(model - published) / s`` in the order of ``targets``."""
    out = []
    for t in targets:
        s = SHARE_SCALE if t.unit == "fraction" else COUNT_SCALE * abs(t.value)
        v = values.get((t.series, t.period), float("nan"))
        if not np.isfinite(v):
            raise ValueError(f"calibration target {t.series} {t.period}: the model gave no "
                             f"value for {t.measure}")
        out.append((v - t.value) / s)
    return np.array(out)


def weighted_mean_square(r: np.ndarray, w: np.ndarray) -> float:
    """``sum(w r^2) / sum(w)`` of scaled residuals ``r`` with weights ``w`` (dimensionless)."""
    return float((w * r * r).sum() / w.sum())


def objective(r: np.ndarray, targets: list[Figure]) -> float:
    """Weighted mean squared scaled residual."""
    return weighted_mean_square(r, np.array([t.weight for t in targets]))


@dataclass
class Fit:
    """The result of a calibration.

    ``history`` holds every evaluation (natural-unit parameters, objective, phase);
    ``predictions`` the fitted figures after ``until`` up to 2011-12 at the fit (empty when
    ``until`` is 2011-12): what the fit predicts but was not fitted to.
    """

    x: np.ndarray
    objective: float
    evaluations: int
    leaves: list[Leaf]
    targets: list[Figure]
    residuals: np.ndarray
    jacobian: np.ndarray
    identification: pd.DataFrame
    components: pd.DataFrame
    history: list[tuple[np.ndarray, float, str]]
    until: str
    predictions: pd.DataFrame


class _BudgetSpent(Exception):
    """The search has used its evaluations."""


Progress = Callable[[int, float, str], None]
"""``progress(evaluations so far, objective of the last, phase)``; phase is ``search`` or
``identification``."""


def calibrate(params: ResolvedScenario, evaluate: Callable[[ResolvedScenario], pd.Series],
              max_evaluations: int, progress: Progress | None = None,
              until: str = LAST_PERIOD) -> Fit:
    """Fit :data:`PARAMETERS` to the fitted figures up to ``until`` by bounded least squares.

    Parameters
    ----------
    params : ResolvedScenario
        The prior: its current values start the search, its ranges bound it.
    evaluate : callable
        ``evaluate(candidate)`` returns the model value of each fitted figure up to 2011-12,
        indexed by ``(series, period)`` (in the figure's unit: a fraction, people or GBP).
    max_evaluations : int
        The search's budget of model evaluations, Jacobian columns included. Identification
        then takes at most one more evaluation per parameter.
    progress : callable, optional
        Called after each evaluation (:data:`Progress`).
    until : str
        The last financial year fitted (2008-09 to 2011-12).
    """
    from scipy.optimize import least_squares

    targets = fitted_targets(until)
    held_out = predicted_targets(until)
    w = np.array([t.weight for t in targets])
    root_w = np.sqrt(w / w.sum())
    lv = leaves(params)
    lo = np.array([leaf.low for leaf in lv])
    hi = np.array([leaf.high for leaf in lv])
    x0 = np.array([leaf.value for leaf in lv])
    history: list[tuple[np.ndarray, float, str]] = []
    cache: dict[tuple, tuple[float, np.ndarray, pd.Series]] = {}
    phase = ["search"]

    def natural(u: np.ndarray) -> np.ndarray:
        return lo + np.clip(u, 0, 1) * (hi - lo)

    def run(u: np.ndarray) -> tuple[float, np.ndarray, pd.Series]:
        key = tuple(np.round(u, 12))
        if key not in cache:
            if phase[0] == "search" and len(history) >= max_evaluations:
                raise _BudgetSpent
            x = natural(u)
            values = evaluate(apply(params, x))
            r = residuals(values, targets)
            cache[key] = (objective(r, targets), r, values)
            history.append((x, cache[key][0], phase[0]))
            if progress is not None:
                progress(len(history), cache[key][0], phase[0])
        return cache[key]

    def weighted(u: np.ndarray) -> np.ndarray:
        return root_w * run(u)[1]

    def jacobian(u: np.ndarray, fr: Callable[[np.ndarray], np.ndarray] = weighted
                 ) -> np.ndarray:
        return _jacobian(fr, u, fr(u))

    u0 = np.clip((x0 - lo) / (hi - lo), 0, 1)
    try:
        least_squares(weighted, u0, jac=jacobian, bounds=(0, 1), method="trf",
                      max_nfev=max_evaluations, xtol=1e-3, ftol=1e-4)
    except _BudgetSpent:
        pass
    if not cache:  # a budget of one ends before the first evaluation is cached
        phase[0] = "identification"
        run(u0)
    best = min(cache, key=lambda k: cache[k][0])
    u = np.array(best)
    value, r, values = cache[best]
    phase[0] = "identification"
    jac = jacobian(u, lambda uu: run(uu)[1])
    ident = _identification(jac, targets, value, lv, natural(u), hi - lo)
    comps = _table(targets, values, r)
    predictions = _table(held_out, values, residuals(values, held_out))
    return Fit(natural(u), value, len(history), lv, targets, r, jac, ident, comps, history,
               check_until(until), predictions)


def _table(targets: list[Figure], values: pd.Series, r: np.ndarray) -> pd.DataFrame:
    """Each figure's published and model value and scaled residual (1 = the fit goal's edge)."""
    return pd.DataFrame({
        "series": [t.series for t in targets],
        "period": [t.period for t in targets],
        "unit": [t.unit for t in targets],
        "published": [t.value for t in targets],
        "model": [float(values.get((t.series, t.period), np.nan)) for t in targets],
        "weight": [t.weight for t in targets],
        "scaled_residual": r,
        "within_goal": np.abs(r) <= 1,
    })


def _jacobian(fr: Callable[[np.ndarray], np.ndarray], u: np.ndarray, r0: np.ndarray,
              step: float = JACOBIAN_STEP) -> np.ndarray:
    """Forward differences on the [0, 1] scale (backward at the upper bound)."""
    jac = np.empty((len(r0), len(u)))
    for j in range(len(u)):
        h = step if u[j] + step <= 1 else -step
        uu = u.copy()
        uu[j] += h
        jac[:, j] = (fr(uu) - r0) / h
    return jac


def _identification(jac: np.ndarray, targets: list[Figure], value: float, lv: list[Leaf],
                    x: np.ndarray, width: np.ndarray) -> pd.DataFrame:
    w = np.array([t.weight for t in targets])
    jw = jac * np.sqrt(w)[:, None]
    fisher = jw.T @ jw
    cov = np.linalg.pinv(fisher) * max(value, 1e-12) * len(targets) / max(
        len(targets) - len(lv), 1)
    se_u = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se_u, se_u)
    worst = [float(np.nanmax(np.abs(np.delete(corr[i], i)))) if len(lv) > 1 else 0.0
             for i in range(len(lv))]
    sensitivity = np.sqrt((jw ** 2).sum(axis=0))
    return pd.DataFrame({
        "parameter": [leaf.path for leaf in lv],
        "value": x, "dated_multiplier": [leaf.dated for leaf in lv],
        "range_low": [leaf.low for leaf in lv], "range_high": [leaf.high for leaf in lv],
        "std_error": se_u * width, "std_error_share_of_range": se_u,
        "sensitivity": sensitivity, "max_abs_correlation": worst,
        "identified": (se_u < 0.25) & (np.array(worst) < 0.95),
    })


def calibrated_note(run_id: str, value: float) -> str:
    """The source text of a calibrated value."""
    return f"calibrated: {run_id}, objective {value:.4g}"
