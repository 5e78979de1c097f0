"""Service start (process 4): setting, package cost and support mode for each new user.

People found eligible (and not diverted by reablement) start a long-term service at their
assessment or reablement end time. Setting: a care home with probability
``p_residential_<need>`` (critical, substantial, or moderate for moderate and low needs), else
community. Cost: :mod:`caresim.model.costs`. Support mode, for community users only: a PB is
offered with probability ``min(1, offer_scale x R)`` where R is the council's readiness (or 1
from ``reviews.offer_all_from`` where R >= ``reviews.readiness_ready``), taken with probability
``p_accept_pb``, and taken as a direct payment with probability ``p_dp_18_64`` or
``p_dp_65plus``, else as a council-managed budget. Each new user gets a review due
``reviews.interval_days`` after the start and an exit time from :mod:`caresim.model.exits`.
"""

from __future__ import annotations

import numpy as np

from caresim.model import exits
from caresim.model.costs import draw_cost
from caresim.model.population import ARRANGED, COMMUNITY, DIRECT_PAYMENT, MANAGED_PB
from caresim.model.state import ModelState
from caresim.params.section import GBPPerYear, Probability, Section
from caresim.params.values import positive


class Services(Section):
    """Service start: setting, package cost and support mode (process 4)."""

    p_residential_critical: Probability  # type: ignore[valid-type]
    p_residential_substantial: Probability  # type: ignore[valid-type]
    p_residential_moderate: Probability  # type: ignore[valid-type]
    cost_residential_gbp_per_year: GBPPerYear  # type: ignore[valid-type]
    cost_community_gbp_per_year: GBPPerYear  # type: ignore[valid-type]
    cost_multiplier_18_64: positive("ratio")  # type: ignore[valid-type]
    cost_cv: positive("ratio")  # type: ignore[valid-type]
    cost_multiplier_critical: positive("ratio")  # type: ignore[valid-type]
    cost_multiplier_moderate: positive("ratio")  # type: ignore[valid-type]
    p_accept_pb: Probability  # type: ignore[valid-type]
    p_dp_18_64: Probability  # type: ignore[valid-type]
    p_dp_65plus: Probability  # type: ignore[valid-type]
    offer_scale: positive("ratio")  # type: ignore[valid-type]


def offer_probability(s: ModelState, council: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Probability a community user without a PB is offered one at time ``t`` (days)."""
    r = s.readiness[council]
    p = np.minimum(1.0, s.p.services.offer_scale.value * r)
    day_all = s.cal.day(s.p.reviews.offer_all_from.value)
    ready = (t >= day_all) & (r >= s.p.reviews.readiness_ready.value)
    return np.where(ready, 1.0, p)


def choose_mode(s: ModelState, stream: str, council: np.ndarray, age: np.ndarray,
                t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offer and mode decisions for community users without a PB.

    Returns
    -------
    offered : numpy.ndarray of bool
    mode : numpy.ndarray of int8 (ARRANGED, MANAGED_PB or DIRECT_PAYMENT)
    """
    u = s.draw(stream, council, lambda g, k: g.random((k, 3)))
    sv = s.p.services
    offered = u[:, 0] < offer_probability(s, council, t)
    takes = offered & (u[:, 1] < sv.p_accept_pb.value)
    p_dp = np.where(age == 0, sv.p_dp_18_64.value, sv.p_dp_65plus.value)
    mode = np.where(takes, np.where(u[:, 2] < p_dp, DIRECT_PAYMENT, MANAGED_PB), ARRANGED)
    s.rec.add_at("pb_offer_opportunities", council)
    s.rec.add_at("pb_offers", council[np.flatnonzero(offered)])
    s.rec.add_at("pb_take_ups", council[np.flatnonzero(takes)])
    return offered, mode.astype(np.int8)


def residential_probability(s: ModelState, need: np.ndarray) -> np.ndarray:
    """Probability a newly eligible person goes into a care home, by need band."""
    sv = s.p.services
    return np.select([need == 3, need == 2],
                     [sv.p_residential_critical.value, sv.p_residential_substantial.value],
                     sv.p_residential_moderate.value)


def start(s: ModelState, t: np.ndarray, council: np.ndarray, age: np.ndarray,
          need: np.ndarray, reabled: np.ndarray, setting: np.ndarray) -> np.ndarray:
    """Start long-term services for people at times ``t`` (days). Returns their row indices.

    ``setting`` is decided before reablement (:func:`residential_probability`).
    """
    k = len(t)
    if k == 0:
        return np.empty(0, dtype=np.int64)
    cost = draw_cost(s, "services.cost", council, age, need, setting)
    mode = np.full(k, ARRANGED, dtype=np.int8)
    is_comm = setting == COMMUNITY
    comm = np.flatnonzero(is_comm)  # index arrays: the same rows as masks, faster
    c_comm = council[comm]
    if len(comm):
        _, m = choose_mode(s, "services.mode", c_comm, age[comm], t[comm])
        mode[comm] = m
    t_exit = exits.draw_exit_times(s, "services.exit", council, age, setting, t)
    idx = s.pop.append(
        council=council, age=age, need=need, setting=setting, mode=mode, cost=cost,
        t_start=t, t_review=t + s.p.reviews.interval_days.value, t_exit=t_exit, t_accrued=t,
        reabled=reabled,
    )
    s.rec.add_at("service_starts", council)
    s.rec.add_at("starts_residential", council[np.flatnonzero(~is_comm)])
    s.fy_served += np.bincount(council, minlength=s.n)
    s.fy_ascof_den += np.bincount(c_comm, minlength=s.n)
    s.fy_ascof_num += np.bincount(c_comm[mode[comm] != ARRANGED], minlength=s.n)
    return idx
