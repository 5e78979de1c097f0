"""The starting state (process 0): the people in service on 1 April 2008.

The counts of people in service are published on one date only, so the starting state is the
flows' own steady state (:mod:`caresim.model.flows`, the rule in ``docs/data.md``): each
council's expected people in service by age band, setting and need band, with every parameter
at its April 2008 value, rounded to whole people, are created at clock day 0 with a package
cost (``costs.py``) and, for community users, a support mode: a PB with probability equal to the
council's starting PB share, a direct payment for a share ``dp_share_of_pb_start`` of those PBs,
and direct payment holders aged 65+ in the share ``personal_budgets.dp_share_65plus_start``
(:func:`starting_modes`: the age bands come from the flows, so the chance of a direct payment
differs by age band instead). The unmet-need pool and the people independent after reablement
start at their steady state too (:func:`caresim.model.flows.seed_pools`). The published counts
on a date (``population.users_community``, ``users_residential`` and the 65+ shares) are what
the exit hazards are derived to reproduce (``scripts/derive_flows.py``), not inputs to the run.
To start as if the system had been running: each person's next review is uniform over the
coming review interval (the stationary residual of a yearly cycle), and their exit time is
drawn from the exit hazard from day 0 (memoryless, so the same as for a person who has already
been in service for some time).

Staff: assessment FTE is set so that the steady state's assessment demand (new requests, people
returning from unmet need and relapsing after reablement) uses
``assessment.utilisation_start`` of capacity; review FTE likewise for reviews due a year
(unless a council override gives the FTE).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import exits, flows
from caresim.model.budget_rule import staff_gbp_per_year
from caresim.model.costs import draw_cost
from caresim.model.population import ARRANGED, COMMUNITY, DIRECT_PAYMENT, MANAGED_PB, RESIDENTIAL
from caresim.model.state import ModelState
from caresim.params.section import Fraction, Section
from caresim.params.values import positive

if TYPE_CHECKING:
    from caresim.model.inputs import CouncilInputs
    from caresim.params.schema import Scenario


class Population(Section):
    """Starting population on 1 April 2008 (DESIGN §2 process 0)."""

    users_community: positive("people")  # type: ignore[valid-type]
    users_residential: positive("people")  # type: ignore[valid-type]
    share_65plus_community_default: Fraction  # type: ignore[valid-type]
    share_65plus_residential_default: Fraction  # type: ignore[valid-type]
    pb_share_start: Fraction  # type: ignore[valid-type]
    dp_share_of_pb_start: Fraction  # type: ignore[valid-type]


def staff_fte(p: Scenario, inp: CouncilInputs, users: np.ndarray, assessments: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Assessment and review FTE per council for ``assessments`` a year and ``users`` people in
    service (unless a council override gives the FTE)."""
    a, rv = p.assessment, p.reviews
    a_fte = assessments / (a.assessments_per_fte_year.value * a.utilisation_start.value)
    reviews = users * DAYS_PER_YEAR / rv.interval_days.value
    r_fte = reviews / (rv.reviews_per_fte_year.value * rv.utilisation_start.value)
    a_fte = np.where(np.isnan(inp.assessment_fte), a_fte, inp.assessment_fte)
    r_fte = np.where(np.isnan(inp.review_fte), r_fte, inp.review_fte)
    return a_fte, r_fte


def initial_staff(s: ModelState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Assessment FTE, review FTE and expected assessments a year (the steady state's: new
    requests, returns from unmet need and relapses after reablement), per council."""
    assessments = s.flows.assessments_per_year
    a_fte, r_fte = staff_fte(s.p, s.inp, s.inp.users_community + s.inp.users_residential,
                             assessments)
    return a_fte, r_fte, assessments


def steady_start(p: Scenario, inp: CouncilInputs, date: dt.date
                 ) -> tuple[CouncilInputs, flows.SteadyState]:
    """The flows' steady state on ``date`` (:mod:`caresim.model.flows`) and the council inputs
    with the starting users it implies (a council override of the starting users scales the
    steady state of that setting to it)."""
    def staff_cost(users: np.ndarray, assessments: np.ndarray) -> np.ndarray:
        return staff_gbp_per_year(p, *staff_fte(p, inp, users, assessments))

    steady = flows.steady_state(p, inp, date, staff_cost)
    stock = steady.in_service.copy()
    for i, code in enumerate(inp.codes):
        o = p.council_overrides.get(code)
        for setting, q in ((COMMUNITY, o and o.users_community),
                           (RESIDENTIAL, o and o.users_residential)):
            if q is not None:
                stock[i, :, setting] *= q.value / stock[i, :, setting].sum()
    steady = dataclasses.replace(steady, in_service=stock)
    by_setting = stock.sum(axis=3)  # [council, age, setting]
    users = by_setting.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share65 = np.where(users > 0, by_setting[:, 1] / users, 0.0)
    return dataclasses.replace(inp, users_community=users[:, COMMUNITY],
                               users_residential=users[:, RESIDENTIAL],
                               share_65_community=share65[:, COMMUNITY],
                               share_65_residential=share65[:, RESIDENTIAL]), steady


def starting_modes(p: Scenario, pb_share: np.ndarray, share_65: np.ndarray, age: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Chance that a community user on 1 April 2008 holds a direct payment, and a managed PB.

    A share ``pb_share`` of the council's community users hold a PB, ``dp_share_of_pb_start`` of
    those as a direct payment; of the direct payment holders a share
    ``personal_budgets.dp_share_65plus_start`` are 65+; managed PBs follow the age mix.

    Parameters
    ----------
    p : Scenario
    pb_share : numpy.ndarray
        Starting PB share of each person's council (fraction).
    share_65 : numpy.ndarray
        Share of each person's council's community users aged 65+ (fraction).
    age : numpy.ndarray
        Age band of each person (0: 18-64, 1: 65+).

    Returns
    -------
    p_dp, p_managed : numpy.ndarray
        Probabilities per person (their sum is at most 1 while ``pb_share`` x the direct
        payment share of an age band stays below that band's share of users).
    """
    d = p.population.dp_share_of_pb_start.value
    q = p.personal_budgets.dp_share_65plus_start.value
    band_share = np.where(age == 1, share_65, 1.0 - share_65)
    dp_of_band = np.where(age == 1, q, 1.0 - q)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_dp = np.where(band_share > 0, pb_share * d * dp_of_band / band_share, 0.0)
    p_dp = np.minimum(p_dp, 1.0)
    p_managed = np.minimum(pb_share * (1.0 - d), 1.0 - p_dp)
    return p_dp, p_managed


def build_population(s: ModelState) -> None:
    """Create the people in service on day 0: whole people per (council, age band, setting,
    need band) from the steady state."""
    c, age, setting, need = flows.cells(flows.whole_counts(s.flows.in_service))
    council = c.astype(np.int32)
    age, setting, need = age.astype(np.int8), setting.astype(np.int8), need.astype(np.int8)
    k = len(council)
    u = s.draw("initial.person", council, lambda g, m: g.random((m, 3)))
    p_dp, p_managed = starting_modes(s.p, s.inp.pb_share_start[council],
                                     s.inp.share_65_community[council], age)
    community = setting == COMMUNITY
    mode = np.where(community & (u[:, 0] < p_dp), DIRECT_PAYMENT,
                    np.where(community & (u[:, 0] < p_dp + p_managed), MANAGED_PB,
                             ARRANGED)).astype(np.int8)
    t0 = np.zeros(k)
    review = u[:, 2] * s.p.reviews.interval_days.value
    cost = draw_cost(s, "initial.cost", council, age, need, setting)
    t_exit = exits.draw_exit_times(s, "initial.exit", council, age, setting, t0)
    s.pop.append(council=council, age=age, need=need, setting=setting, mode=mode, cost=cost,
                 t_start=t0, t_review=review, t_exit=t_exit, t_accrued=t0)
