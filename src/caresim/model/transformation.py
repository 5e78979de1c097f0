"""Transformation readiness (process 7): R in [0, 1] for each council, monthly.

R stands for a council's ability to run personal budgets (resource allocation system, support
planning, brokerage, finance systems). Each month, with ``x`` the transformation spend (grant
spent plus core personalisation teams) per community user a year, smoothed with time constant
``lag_days`` (exponential lag):

    dR/dt = speed_c (1 - R) x / (x + x_half) - decay max(0, 1 - x / x_maint) R      (per year)

Diminishing returns come from ``x / (x + x_half)``, ``x_half =
spend_half_effect_gbp_per_user_year``; below the maintenance spend ``x_maint`` R decays at up to
``decay_per_year``. Councils move at different speeds: ``speed_c = speed_per_year x exp(sd z_c -
sd^2 / 2)``, ``z_c`` standard normal from the council's own stream ``transformation.speed``.
Every council starts at ``readiness_start_mean``: no council-level evidence from before April
2008 was found, and later outcomes are never used as inputs (``inputs.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import libm
from caresim.model.parts import Metric
from caresim.model.state import ModelState
from caresim.params.section import DatedFraction, Days, Fraction, GBPPerYear, PerYear, Section
from caresim.params.values import positive


class Transformation(Section):
    """Transformation readiness R in [0, 1] (process 7)."""

    readiness_start_mean: Fraction  # type: ignore[valid-type]
    speed_per_year: PerYear  # type: ignore[valid-type]
    speed_heterogeneity_sd: positive("log-ratio")  # type: ignore[valid-type]
    spend_half_effect_gbp_per_user_year: GBPPerYear  # type: ignore[valid-type]
    lag_days: Days  # type: ignore[valid-type]
    decay_per_year: PerYear  # type: ignore[valid-type]
    core_share_of_budget: DatedFraction  # type: ignore[valid-type]
    maintenance_gbp_per_user_year: GBPPerYear  # type: ignore[valid-type]


METRICS: tuple[Metric, ...] = (
    Metric(
        "readiness_sum",
        "index",
        "stock",
        "sum over councils of transformation readiness R (numerator of readiness)",
    ),
    Metric("councils", "councils", "stock", "number of councils (denominator of readiness)"),
    Metric(
        "readiness",
        "index",
        "ratio",
        "mean transformation readiness R over councils, 0-1",
        "readiness_sum",
        "councils",
    ),
)
"""Readiness at the end of the period."""


@dataclass
class TransformationState:
    """Each council's readiness R (0-1), its speed and its smoothed spend signal.

    Attributes
    ----------
    readiness : numpy.ndarray
        R, 0-1.
    speed_per_year : numpy.ndarray
        The council's transformation speed (1/year).
    spend_signal_gbp_per_user_year : numpy.ndarray
        Transformation spend per community user a year, lagged (GBP/user/year).
    """

    readiness: np.ndarray
    speed_per_year: np.ndarray
    spend_signal_gbp_per_user_year: np.ndarray


def init_state(s: ModelState) -> TransformationState:
    """Readiness from the council inputs; speeds drawn from each council's stream."""
    return TransformationState(readiness=s.inp.readiness_start.copy(),
                               speed_per_year=council_speeds(s.p, s.streams, s.n),
                               spend_signal_gbp_per_user_year=np.zeros(s.n))


def record_stocks(s: ModelState) -> None:
    """Record readiness (its sum over councils and the number of councils) at the month end."""
    s.rec.set("readiness_sum", s.transformation.readiness.copy())
    s.rec.set("councils", np.ones(s.n))


def council_speeds(p, streams, n: int) -> np.ndarray:
    """Each council's transformation speed per year (lognormal around the mean)."""
    t = p.transformation
    sd = t.speed_heterogeneity_sd.value
    z = np.array([streams.get(c, "transformation.speed").standard_normal() for c in range(n)])
    return t.speed_per_year.value * libm.exp(sd * z - sd * sd / 2)


def update(s: ModelState, spend_gbp: np.ndarray, community_users: np.ndarray, days: float) -> None:
    """Advance readiness by ``days`` given this period's transformation spend (GBP); the
    grant's information-and-advice and workforce uses (``grant.other_gbp``) do not build it."""
    t, st = s.p.transformation, s.transformation
    spend_gbp = spend_gbp - s.grant.other_gbp
    per_user_year = spend_gbp * (DAYS_PER_YEAR / days) / np.maximum(community_users, 1.0)
    a = 1.0 - math.exp(-days / t.lag_days.value)
    st.spend_signal_gbp_per_user_year += a * (per_user_year - st.spend_signal_gbp_per_user_year)
    x = st.spend_signal_gbp_per_user_year
    dt_years = days / DAYS_PER_YEAR
    gain = (
        st.speed_per_year
        * (1.0 - st.readiness)
        * x
        / (x + t.spend_half_effect_gbp_per_user_year.value)
    )
    loss = (
        t.decay_per_year.value
        * np.maximum(0.0, 1.0 - x / t.maintenance_gbp_per_user_year.value)
        * st.readiness
    )
    st.readiness = np.clip(st.readiness + (gain - loss) * dt_years, 0.0, 1.0)
