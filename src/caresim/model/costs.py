"""Package costs: the annual cost of a new package by setting, age band and need band.

Mean cost = base cost of the setting (community or residential) x the 18-64 multiplier for
younger adults x, in the community only, the need multiplier (moderate or low, 1 for
substantial, critical; care-home fees are set by the home, not by the FACS band) x the
council's price index (inflation less procurement cuts since
April 2008). Individual costs are lognormal with that mean and coefficient of variation
``services.cost_cv``.

Package spend accrues exactly from each person's cost and times onto the four spend lines
(:data:`SPEND_LINES`) whenever a person's package changes or they leave (:func:`accrue`), and
at every month end (:mod:`caresim.model.finance`).
"""

from __future__ import annotations

import math

import numpy as np

from caresim.model import libm
from caresim.model.kernels import accrue_rows
from caresim.model.population import RESIDENTIAL
from caresim.model.state import ModelState

SPEND_LINES = ("spend_residential_gbp", "spend_arranged_gbp", "spend_pb_managed_gbp",
               "spend_dp_gbp")


def mean_cost(s: ModelState, council: np.ndarray, age: np.ndarray, need: np.ndarray,
              setting: np.ndarray) -> np.ndarray:
    """Mean annual package cost (GBP/year) for each person described."""
    sv = s.p.services
    base = np.where(setting == RESIDENTIAL, sv.cost_residential_gbp_per_year.value,
                    sv.cost_community_gbp_per_year.value)
    age_mult = np.where(age == 0, sv.cost_multiplier_18_64.value, 1.0)
    need_mult = np.select([need <= 1, need == 3],
                          [sv.cost_multiplier_moderate.value, sv.cost_multiplier_critical.value],
                          1.0)
    need_mult = np.where(setting == RESIDENTIAL, 1.0, need_mult)
    return base * age_mult * need_mult * s.finance.price_index[council]


def draw_cost(s: ModelState, stream: str, council: np.ndarray, age: np.ndarray,
              need: np.ndarray, setting: np.ndarray) -> np.ndarray:
    """Individual annual package costs (GBP/year), lognormal around :func:`mean_cost`."""
    cv = s.p.services.cost_cv.value
    sigma2 = math.log1p(cv * cv)
    z = s.draw(stream, council, lambda g, k: g.standard_normal(k))
    return mean_cost(s, council, age, need, setting) * libm.exp(math.sqrt(sigma2) * z - sigma2 / 2)


def accrue(s: ModelState, idx: np.ndarray, t: np.ndarray | float) -> None:
    """Accrue package spend of rows ``idx`` up to time ``t`` (days) on their spend lines."""
    if len(idx) == 0:
        return
    pop = s.pop
    sums = accrue_rows(idx, t, pop.council, pop.setting, pop.mode, pop.cost, pop.t_accrued, s.n)
    for j, name in enumerate(SPEND_LINES):
        s.rec.add(name, sums[:, j])
