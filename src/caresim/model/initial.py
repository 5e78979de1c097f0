"""The starting state (process 0): the people in service on 1 April 2008.

Built from counts on a date, never from RAP's people served in a year (which run higher): each
council's community users and care-home residents (``inputs.py``) are created at clock day 0
with an age band (65+ with the council's share), a need band from
``population.need_mix_in_service``, a package cost (``costs.py``), and, for community users, a
PB with probability equal to the council's starting PB share (a direct payment with probability
``dp_share_of_pb_start``; a direct payment holder is 65+ with probability
``personal_budgets.dp_share_65plus_start``). To start as if the system had been running: each
person's next review is uniform over the coming review interval (the stationary residual of a
yearly cycle), and their exit time is drawn from the exit hazard from day 0 (memoryless, so the
same as for a person who has already been in service for some time).

Staff: assessment FTE is set so that the expected assessment demand of April 2008 (new requests
and, as a geometric series, people returning from unmet need) uses
``assessment.utilisation_start`` of capacity; review FTE likewise for reviews due a year
(unless a council override gives the FTE).
"""

from __future__ import annotations

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import exits
from caresim.model.costs import draw_cost
from caresim.model.population import ARRANGED, COMMUNITY, DIRECT_PAYMENT, MANAGED_PB, RESIDENTIAL
from caresim.model.state import ModelState
from caresim.params.section import Fraction, NeedMix, Section
from caresim.params.values import positive


class Population(Section):
    """Starting population on 1 April 2008 (DESIGN §2 process 0)."""

    users_community: positive("people")  # type: ignore[valid-type]
    users_residential: positive("people")  # type: ignore[valid-type]
    share_65plus_community_default: Fraction  # type: ignore[valid-type]
    share_65plus_residential_default: Fraction  # type: ignore[valid-type]
    pb_share_start: Fraction  # type: ignore[valid-type]
    dp_share_of_pb_start: Fraction  # type: ignore[valid-type]
    need_mix_in_service: NeedMix  # type: ignore[valid-type]


def build_population(s: ModelState) -> None:
    """Create the people in service on day 0."""
    p = s.p.population
    n_comm = np.rint(s.inp.users_community).astype(np.int64)
    n_res = np.rint(s.inp.users_residential).astype(np.int64)
    council = np.concatenate([np.concatenate((np.full(a, c, np.int32), np.full(b, c, np.int32)))
                              for c, (a, b) in enumerate(zip(n_comm, n_res, strict=True))])
    setting = np.concatenate([np.concatenate((np.full(a, COMMUNITY, np.int8),
                                              np.full(b, RESIDENTIAL, np.int8)))
                              for a, b in zip(n_comm, n_res, strict=True)])
    k = len(council)
    u = s.draw("initial.person", council, lambda g, m: g.random((m, 5)))
    share65 = np.where(setting == COMMUNITY, s.inp.share_65_community[council],
                       s.inp.share_65_residential[council])
    need = np.searchsorted(np.cumsum(p.need_mix_in_service.vector()), u[:, 1],
                           side="right").clip(0, 3).astype(np.int8)
    has_pb = (setting == COMMUNITY) & (u[:, 2] < s.inp.pb_share_start[council])
    mode = np.where(has_pb, np.where(u[:, 3] < p.dp_share_of_pb_start.value, DIRECT_PAYMENT,
                                     MANAGED_PB), ARRANGED).astype(np.int8)
    # direct payment holders have their own age mix (personal_budgets.dp_share_65plus_start)
    share65 = np.where(mode == DIRECT_PAYMENT,
                       s.p.personal_budgets.dp_share_65plus_start.value, share65)
    age = (u[:, 0] < share65).astype(np.int8)
    t0 = np.zeros(k)
    review = u[:, 4] * s.p.reviews.interval_days.value
    cost = draw_cost(s, "initial.cost", council, age, need, setting)
    t_exit = exits.draw_exit_times(s, "initial.exit", council, age, setting, t0)
    s.pop.append(council=council, age=age, need=need, setting=setting, mode=mode, cost=cost,
                 t_start=t0, t_review=review, t_exit=t_exit, t_accrued=t0)


def initial_staff(s: ModelState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Assessment FTE, review FTE and expected assessments a year, per council."""
    d, a, rv = s.p.demand, s.p.assessment, s.p.reviews
    new = (d.contacts_per_year.value * s.inp.demand_share * (1 - d.p_resolved_at_contact.value)
           * d.p_assessment_after_referral.value)
    # people found ineligible come back with probability p_unmet_return: a geometric series
    cum_mix = np.concatenate(([0.0], np.cumsum(d.need_mix_assessed.vector())))
    p_ineligible = cum_mix[s.inp.threshold]
    assessments = new / (1 - p_ineligible * a.p_unmet_return.value)
    a_fte = assessments / (a.assessments_per_fte_year.value * a.utilisation_start.value)
    users = s.inp.users_community + s.inp.users_residential
    reviews = users * DAYS_PER_YEAR / rv.interval_days.value
    r_fte = reviews / (rv.reviews_per_fte_year.value * rv.utilisation_start.value)
    a_fte = np.where(np.isnan(s.inp.assessment_fte), a_fte, s.inp.assessment_fte)
    r_fte = np.where(np.isnan(s.inp.review_fte), r_fte, s.inp.review_fte)
    return a_fte, r_fte, assessments
