"""Calibration: fit a named subset of ``assumption:`` parameters to the published record.

**What is fitted.** :data:`PARAMETERS`: at most eight assumptions, chosen because each governs
a fitted series and none is pinned by a published figure: the starting PB share and readiness
(the 2009 level of the PB share), transformation speed and its half-effect spend (the pace to
2012), PB take-up (the conversion at offers), the mean community package (gross spend) and the
pass-through of local government cuts (net spend after 2010).

**Against what.** The published figures of role ``fitted`` (weight > 0) of
:mod:`caresim.measures.figures`, each a measure at a period,
up to 2011-12 (verified and derived outturns; forecasts and uncertain definitions have weight 0).

**Objective.** ``sum_i w_i ((model_i - published_i) / s_i)^2 / sum_i w_i`` with ``s_i`` = 3
percentage points for shares and 5% of the published value for counts and money: the fit goals
of the project, so an objective of 1 means "on average at the edge of the goal". Each target is
one component, compared on its own definition and alignment (stock on a date, flow over a year,
each definition's own numerator and denominator).

**Evaluations** run the model with common random numbers (fixed master seed and replications)
on a calibration sample of councils: every ``k``-th council in the data's (region, type) order,
with counts and money scaled up to England by the ratio of England's starting users to the
sample's. Shares are not scaled. The optimiser is scipy's bounded Powell method on the
parameters scaled to [0, 1] within their ranges, from the current values; it is deterministic,
so the same seed reproduces the same fit.

**Identification.** At the optimum, a finite-difference Jacobian of the scaled residuals gives
the local sensitivity of each component to each parameter, an approximate standard error per
parameter from ``(J^T W J)^{-1}`` (scaled by the objective) and the correlation between
parameter estimates; a parameter with a large standard error relative to its range, or a
correlation near +-1 with another, is poorly identified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caresim.measures.figures import Figure, load_figures
from caresim.params.values import Dated
from caresim.period import FinancialYear, parse_period
from caresim.scenario import ResolvedScenario

PARAMETERS: tuple[str, ...] = (
    "population.pb_share_start",
    "transformation.readiness_start_mean",
    "transformation.speed_per_year",
    "transformation.spend_half_effect_gbp_per_user_year",
    "services.p_accept_pb",
    "services.cost_community_gbp_per_year",
    "finance.pass_through",
)
"""The assumptions calibrated, as dotted paths into the scenario."""

SHARE_SCALE = 0.03
COUNT_SCALE = 0.05
LAST_PERIOD = "2011-12"


def target_year(t: Figure) -> str:
    """The financial year a target falls in (the last one for a span)."""
    return str(FinancialYear.containing(parse_period(t.period).last_day))


def fitted_targets() -> list[Figure]:
    """Published figures of role ``fitted`` up to 2011-12 (weight > 0)."""
    return [f for f in load_figures() if f.role == "fitted" and target_year(f) <= LAST_PERIOD]


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


def objective(r: np.ndarray, targets: list[Figure]) -> float:
    """Weighted mean squared scaled residual."""
    w = np.array([t.weight for t in targets])
    return float((w * r * r).sum() / w.sum())


@dataclass
class Fit:
    """The result of a calibration."""

    x: np.ndarray
    objective: float
    evaluations: int
    leaves: list[Leaf]
    targets: list[Figure]
    residuals: np.ndarray
    jacobian: np.ndarray
    identification: pd.DataFrame
    components: pd.DataFrame
    history: list[tuple[np.ndarray, float]]


def calibrate(params: ResolvedScenario, evaluate: Callable[[ResolvedScenario], pd.Series],
              max_evaluations: int,
              progress: Callable[[int, float], None] | None = None) -> Fit:
    """Fit :data:`PARAMETERS` by bounded Powell on [0, 1]-scaled parameters.

    ``evaluate(params)`` returns the model value of each fitted target, indexed by
    ``(series, period)``.
    """
    from scipy.optimize import minimize

    targets = fitted_targets()
    lv = leaves(params)
    lo = np.array([leaf.low for leaf in lv])
    hi = np.array([leaf.high for leaf in lv])
    x0 = np.array([leaf.value for leaf in lv])
    history: list[tuple[np.ndarray, float]] = []
    cache: dict[tuple, tuple[float, np.ndarray]] = {}

    def natural(u: np.ndarray) -> np.ndarray:
        return lo + np.clip(u, 0, 1) * (hi - lo)

    def f(u: np.ndarray) -> float:
        key = tuple(np.round(u, 12))
        if key in cache:
            return cache[key][0]
        x = natural(u)
        r = residuals(evaluate(apply(params, x)), targets)
        value = objective(r, targets)
        cache[key] = (value, r)
        history.append((x, value))
        if progress is not None:
            progress(len(history), value)
        return value

    u0 = (x0 - lo) / (hi - lo)
    minimize(f, u0, method="Powell", bounds=[(0, 1)] * len(lv),
                   options={"maxfev": max_evaluations, "xtol": 1e-3, "ftol": 1e-4})
    best_u = min(cache, key=lambda k: cache[k][0])
    u = np.array(best_u)
    value, r = cache[best_u]
    jac = _jacobian(lambda uu: residuals(evaluate(apply(params, natural(uu))), targets), u, r)
    ident = _identification(jac, targets, value, lv, natural(u), hi - lo)
    comps = pd.DataFrame({"series": [t.series for t in targets],
                          "period": [t.period for t in targets],
                          "published": [t.value for t in targets],
                          "weight": [t.weight for t in targets],
                          "scaled_residual": r})
    return Fit(natural(u), value, len(history), lv, targets, r, jac, ident, comps, history)


def _jacobian(fr: Callable[[np.ndarray], np.ndarray], u: np.ndarray, r0: np.ndarray,
              step: float = 0.05) -> np.ndarray:
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
