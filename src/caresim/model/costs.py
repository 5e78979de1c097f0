"""Package costs: the annual cost of a new package by setting, age band and need band.

Mean cost = base cost of the setting (community or residential) x the 18-64 multiplier for
younger adults x, in the community only, the need multiplier (moderate or low, 1 for
substantial, critical; care-home fees are set by the home, not by the FACS band) x the
council's price index (inflation less procurement cuts since
April 2008). Individual costs are lognormal with that mean and coefficient of variation
``services.cost_cv``.
"""

from __future__ import annotations

import numpy as np

from caresim.model.population import RESIDENTIAL
from caresim.model.state import ModelState


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
    return base * age_mult * need_mult * s.price_index[council]


def draw_cost(s: ModelState, stream: str, council: np.ndarray, age: np.ndarray,
              need: np.ndarray, setting: np.ndarray) -> np.ndarray:
    """Individual annual package costs (GBP/year), lognormal around :func:`mean_cost`."""
    cv = s.p.services.cost_cv.value
    sigma2 = np.log1p(cv * cv)
    z = s.draw(stream, council, lambda g, k: g.standard_normal(k))
    return mean_cost(s, council, age, need, setting) * np.exp(np.sqrt(sigma2) * z - sigma2 / 2)
