"""Service start (process 4): setting, package cost and support mode for each new user.

People found eligible (and not diverted by reablement) start a long-term service at their
assessment or reablement end time. Setting: a care home with probability
``p_residential_<need>`` (critical, substantial, or moderate for moderate and low needs; times
``flows.residential_ratio_18_64`` for people aged 18-64), else community. Cost:
:mod:`caresim.model.costs`. Support mode, for community users only: a PB is offered with
probability ``min(1, offer_scale x R)`` where R is the council's readiness (or 1 from
``reviews.offer_all_from`` where R >= ``reviews.readiness_ready``); whether it is taken, and as
a direct payment or a council-managed budget, follows the rollout mode of
:mod:`caresim.model.personal_budgets` (``p_accept_pb``, ``p_dp_18_64`` and ``p_dp_65plus`` are
the acceptance mode's), which also applies a PB's cost effect. Each new user gets a review due
``reviews.interval_days`` after the start and an exit time from :mod:`caresim.model.exits`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from caresim.model import exits, personal_budgets, rationing
from caresim.model.costs import draw_cost
from caresim.model.flows import residential_by_need
from caresim.model.parts import Metric
from caresim.model.population import ARRANGED, COMMUNITY, RESIDENTIAL
from caresim.model.state import ModelState
from caresim.params.section import GBPPerYear, Probability, Section
from caresim.params.values import positive

if TYPE_CHECKING:
    from caresim.params.schema import Scenario


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


STOCKS: tuple[Metric, ...] = (
    Metric("users_community", "people", "stock", "people with ongoing community-based support"),
    Metric(
        "users_residential",
        "people",
        "stock",
        "people in council-supported residential or nursing care",
    ),
    Metric(
        "users_arranged", "people", "stock", "community users with council-arranged support (no PB)"
    ),
    Metric(
        "users_pb_managed",
        "people",
        "stock",
        "community users with a council-managed personal budget",
    ),
    Metric(
        "users_dp",
        "people",
        "stock",
        "community users taking their personal budget as a direct payment",
    ),
    Metric(
        "pb_holders",
        "people",
        "stock",
        "community users with a PB or DP (numerator of pb_share_adass)",
    ),
    Metric(
        "pb_share_adass",
        "fraction",
        "ratio",
        "ADASS measure on a date: people with a PB or DP / eligible people with ongoing community "
        "support on that date",
        "pb_holders",
        "users_community",
    ),
    Metric(
        "dp_share_of_pb",
        "fraction",
        "ratio",
        "direct payments / PB holders",
        "users_dp",
        "pb_holders",
    ),
)
"""People in service and their support at the end of the period."""


MONEY_STOCKS: tuple[Metric, ...] = (
    Metric("package_cost_gbp_per_year", "GBP/year", "stock",
           "annual cost of all packages in place"),
    Metric(
        "pb_money_gbp_per_year",
        "GBP/year",
        "stock",
        "annual value of all personal budgets (managed and DP)",
    ),
    Metric("dp_money_gbp_per_year", "GBP/year", "stock", "annual value of all direct payments"),
    Metric(
        "dp_share_of_pb_money",
        "fraction",
        "ratio",
        "DP money / all PB money",
        "dp_money_gbp_per_year",
        "pb_money_gbp_per_year",
    ),
)
"""Annual value of the packages in place at the end of the period."""


STARTS: tuple[Metric, ...] = (
    Metric("service_starts", "people", "flow", "long-term services started"),
    Metric(
        "starts_residential",
        "people",
        "flow",
        "care-home placements started (including moves from community)",
    ),
)
"""Services started."""


OFFERS: tuple[Metric, ...] = (
    Metric(
        "pb_offer_opportunities",
        "people",
        "flow",
        "new and reviewed community users without a PB (denominator of offer_share)",
    ),
    Metric("pb_offers", "people", "flow", "PB offers made to them"),
    Metric(
        "offer_share",
        "fraction",
        "ratio",
        "share of new and reviewed users without a PB offered one",
        "pb_offers",
        "pb_offer_opportunities",
    ),
    Metric("pb_take_ups", "people", "flow", "PBs taken up"),
)
"""Personal budgets offered and taken up (at service start and at review)."""


YEAR: tuple[Metric, ...] = (
    Metric(
        "pb_share_ascof_num",
        "people",
        "flow",
        "people with self-directed support at any time in the year",
        fy_only=True,
    ),
    Metric(
        "pb_share_ascof_den",
        "people",
        "flow",
        "people receiving community-based services at any time in the year",
        fy_only=True,
    ),
    Metric(
        "pb_share_ascof",
        "fraction",
        "ratio",
        "NI 130 / ASCOF 1C over a financial year",
        "pb_share_ascof_num",
        "pb_share_ascof_den",
        fy_only=True,
    ),
    Metric(
        "users_served_in_fy",
        "people",
        "flow",
        "people receiving services at any time in the year (RAP sense)",
        fy_only=True,
    ),
    Metric("users_served_in_fy_18_64", "people", "flow",
           "people aged 18-64 receiving services at any time in the year (RAP sense)",
           fy_only=True),
    Metric("residents_served_in_fy", "people", "flow",
           "people in council-supported residential or nursing care at any time in the year "
           "(RAP sense)", fy_only=True),
)
"""Financial-year counts of the people served at any time in the year."""


@dataclass
class ServicesState:
    """Counts of the people served in the current financial year, and those of past years.

    Attributes
    ----------
    served_in_fy : numpy.ndarray
        People in service at any time in the year (RAP sense).
    served_18_64, residents : numpy.ndarray
        Of them, people aged 18-64, and people in a care home at any time in the year.
    ascof_num, ascof_den : numpy.ndarray
        Community users with a PB or DP at any time in the year, and all community users
        (ASCOF 1C).
    p_residential : numpy.ndarray
        Probability a newly eligible person goes into a care home, ``[age band, need band]``.
    fy_records : list of dict
        Per financial year ended: ``fy`` and the three counts.
    """

    served_in_fy: np.ndarray
    ascof_num: np.ndarray
    ascof_den: np.ndarray
    p_residential: np.ndarray
    served_18_64: np.ndarray
    residents: np.ndarray
    fy_records: list[dict[str, np.ndarray | str]] = field(default_factory=list)


def init_state(n: int, p: Scenario) -> ServicesState:
    """No year open yet; the placement probabilities of the scenario."""
    return ServicesState(np.zeros(n), np.zeros(n), np.zeros(n), residential_by_need(p),
                         np.zeros(n), np.zeros(n))


def start_year(s: ModelState) -> None:
    """Open the year's counts with the people in service on 1 April."""
    pop = s.pop
    act = pop.active
    comm = act & (pop.setting == COMMUNITY)
    st = s.services
    st.served_in_fy = np.bincount(pop.council[act], minlength=s.n).astype(float)
    st.ascof_den = np.bincount(pop.council[comm], minlength=s.n).astype(float)
    st.ascof_num = np.bincount(pop.council[comm & (pop.mode != ARRANGED)],
                               minlength=s.n).astype(float)
    st.served_18_64 = np.bincount(pop.council[act & (pop.age == 0)], minlength=s.n).astype(float)
    st.residents = np.bincount(pop.council[act & (pop.setting == RESIDENTIAL)],
                               minlength=s.n).astype(float)


def close_year(s: ModelState) -> None:
    """Keep the counts of the year just ended (label from finance's year)."""
    st = s.services
    st.fy_records.append({"fy": s.finance.fy_label, "users_served_in_fy": st.served_in_fy.copy(),
                          "pb_share_ascof_num": st.ascof_num.copy(),
                          "pb_share_ascof_den": st.ascof_den.copy(),
                          "users_served_in_fy_18_64": st.served_18_64.copy(),
                          "residents_served_in_fy": st.residents.copy()})


def record_stocks(s: ModelState, users: np.ndarray, cost_total: np.ndarray,
                  cost_pb: np.ndarray, cost_dp: np.ndarray) -> None:
    """Record the month-end stocks of people and packages (``users[council, line]``, lines 0
    residential, 1 arranged, 2 managed PB, 3 direct payment; costs in GBP/year)."""
    rec = s.rec
    rec.set("users_community", (users[:, 1] + users[:, 2] + users[:, 3]).astype(float))
    rec.set("users_residential", users[:, 0].astype(float))
    rec.set("users_arranged", users[:, 1].astype(float))
    rec.set("users_pb_managed", users[:, 2].astype(float))
    rec.set("users_dp", users[:, 3].astype(float))
    rec.set("pb_holders", (users[:, 2] + users[:, 3]).astype(float))
    rec.set("package_cost_gbp_per_year", cost_total)
    rec.set("pb_money_gbp_per_year", cost_pb)
    rec.set("dp_money_gbp_per_year", cost_dp)


def offer_probability(s: ModelState, council: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Probability a community user without a PB is offered one at time ``t`` (days)."""
    r = s.transformation.readiness[council]
    p = np.minimum(1.0, s.p.services.offer_scale.value * r)
    offer_all_from = s.p.reviews.offer_all_from.value  # None: never
    day_all = np.inf if offer_all_from is None else s.cal.day(offer_all_from)
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
    offered = u[:, 0] < offer_probability(s, council, t)
    takes, mode = personal_budgets.decide(s, u, offered, age)
    s.rec.add_at("pb_offer_opportunities", council)
    s.rec.add_at("pb_offers", council[np.flatnonzero(offered)])
    s.rec.add_at("pb_take_ups", council[np.flatnonzero(takes)])
    return offered, mode


def residential_probability(s: ModelState, need: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Probability a newly eligible person goes into a care home, by age band and need band
    (:func:`caresim.model.flows.residential_by_need`)."""
    return s.services.p_residential[age, need]


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
        cost[comm] *= personal_budgets.take_up(s, c_comm, m)
        cost[comm] = rationing.allocate(s, t[comm], c_comm, cost[comm])
    t_exit = exits.draw_exit_times(s, "services.exit", council, age, setting, t)
    idx = s.pop.append(
        council=council, age=age, need=need, setting=setting, mode=mode, cost=cost,
        t_start=t, t_review=t + s.p.reviews.interval_days.value, t_exit=t_exit, t_accrued=t,
        reabled=reabled,
    )
    s.rec.add_at("service_starts", council)
    s.rec.add_at("starts_residential", council[np.flatnonzero(~is_comm)])
    st = s.services
    st.served_in_fy += np.bincount(council, minlength=s.n)
    st.ascof_den += np.bincount(c_comm, minlength=s.n)
    st.ascof_num += np.bincount(c_comm[mode[comm] != ARRANGED], minlength=s.n)
    st.served_18_64 += np.bincount(council[np.flatnonzero(age == 0)], minlength=s.n)
    st.residents += np.bincount(council[np.flatnonzero(~is_comm)], minlength=s.n)
    return idx
