"""Population flows (process 0, with 1-6): the steady state of the flows by age band and setting.

People flow through the model by age band (18-64, 65+), setting (community, care home) and
need band: new assessments (``demand``: contacts x share assessed x the age split), people
coming back from unmet need with needs one band higher and from independence after
reablement (``assessment``, ``prevention``), eligibility at the council's FACS threshold,
placement in a care home with probability ``p_residential_<need>`` (``services``), needs rising
at yearly reviews and moves into care homes of community users found critical (``reviews``),
and exits at the hazard of the age band and setting (``exits``). Each flow has its own sourced
parameter in the section of the process that owns it.

The counts of people in service are published on one date only, so the starting state is drawn
from the flows' own steady state (the rule in ``docs/data.md``): with every parameter held at
its April 2008 value, the expected number of people of each council in each (age band,
setting, need band), in the unmet-need pool and independent after reablement, is the number
the flows would keep there for ever. Then a run with demand, funding, thresholds and policy
held constant (the bundled ``steady`` scenario) starts stationary and stays so.

The steady state per council, age band ``a`` and need band ``n`` (rates per year):

* assessments ``F[n] = A_a m[n] + R[n] + p_ret F[n-1] [n-1 < threshold]`` with ``A_a`` the new
  assessments, ``m`` the need mix assessed and ``R`` the relapses after reablement (same need);
* the ineligible (``n < threshold``) stay ``dur_unmet_return_days`` on average in unmet need;
* the eligible go to a care home with probability ``p_res[n]``; the others are community-bound
  ``B[n]``, of whom a share ``rho = min(1, (1 - s) places / sum B)`` take a reablement place
  (``s`` is ``reablement.share_episodes_not_eligible``, the places taken by people who would
  not have had a package anyway), and of those ``p_no_package_after`` leave for independence,
  from which they relapse at the hazard ``lambda`` (so ``R[n] = rho p_no B[n]`` and
  ``rho p_no B[n] / lambda`` are independent);
* in service, a person is reviewed every ``interval_days + dur_review_days``; at a review needs
  rise one band with probability ``p_need_rise`` and a community user newly critical moves
  into a care home with probability ``p_move_residential_when_critical``, times
  ``1 + b (personal_budgets.hazard_ratio_residential - 1)`` for the share ``b`` of community
  users holding a PB on the date (``population.pb_share_start``); they leave at the hazard of
  their age band and setting. The expected time spent in each (setting, need band)
  from each entry state is the fundamental matrix of that chain over review epochs.

**Client groups.** Flows are by age band only. The published record gives the people aged 18-64
with learning disabilities in care homes (PSS-EX1 resident-weeks: about 34,000 of 55,000
younger residents, 2008-09) but, for 2008-12, neither their new clients, their exits, nor the
people with learning disabilities in community support (one second-hand count for 2011), so
the flows of a learning-disability group could be neither derived nor checked; the long stays
and high costs of that group are carried by the 18-64 band's residential hazard and cost
multiplier.

Reablement places follow the net budget, which follows the packages in place (the opening
budget rule of :mod:`caresim.model.finance`: packages net of charges plus staff, over one less
the reablement and core transformation shares), so places and stocks are solved together by
fixed-point iteration. The Social Care Reform Grant (whose prevention share buys reablement
places, :mod:`caresim.model.grant`) is new on the start date and is not part of the flows that
kept the stocks before it, so ``baseline`` and ``no_grant`` start from the same state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import libm
from caresim.model.budget_rule import opening_budget_gbp
from caresim.model.costs import draw_cost
from caresim.model.parts import Metric
from caresim.model.population import COMMUNITY, RESIDENTIAL
from caresim.params.section import Section
from caresim.params.values import positive

if TYPE_CHECKING:
    from caresim.model.inputs import CouncilInputs
    from caresim.model.state import ModelState
    from caresim.params.schema import Scenario

class Flows(Section):
    """Flows by age band that no process's own parameters split (process 0, with 1-6)."""

    residential_ratio_18_64: positive("ratio")  # type: ignore[valid-type]


AGE_BANDS = ("18_64", "65_plus")
"""Age bands as they appear in metric names (index 0: 18-64, 1: 65+)."""
SETTINGS = {COMMUNITY: "community", RESIDENTIAL: "residential"}
"""Settings as they appear in metric names."""
N_NEED = 4
FIXED_POINT_STEPS = 12
"""Iterations of places <-> stocks; the map contracts fast (places are a small share)."""

_WHERE = {COMMUNITY: "with ongoing community-based support",
          RESIDENTIAL: "in council-supported residential or nursing care"}
_AGED = {"18_64": "aged 18-64", "65_plus": "aged 65+"}
STOCKS: tuple[Metric, ...] = tuple(
    Metric(f"users_{SETTINGS[st]}_{band}", "people", "stock", f"people {_WHERE[st]} {_AGED[band]}")
    for st in (COMMUNITY, RESIDENTIAL) for band in AGE_BANDS
)
"""People in service by setting and age band at the end of the period."""

def metric_name(setting: int, age: int) -> str:
    """The stock metric of people of ``setting`` and age band ``age``."""
    return f"users_{SETTINGS[setting]}_{AGE_BANDS[age]}"


@dataclass(frozen=True)
class SteadyState:
    """Expected people in each state and the flows that keep them there, per council.

    Attributes
    ----------
    in_service : numpy.ndarray
        ``[council, age, setting, need]`` people in service.
    unmet : numpy.ndarray
        ``[council, age, need]`` people in the unmet-need pool.
    independent : numpy.ndarray
        ``[council, age, need]`` people independent after reablement.
    assessing : numpy.ndarray
        ``[council, age, need]`` people being assessed (no waiting is allowed for).
    reabling : numpy.ndarray
        ``[council, age, need]`` people in reablement.
    starts : numpy.ndarray
        ``[council, age, setting, need]`` service starts a year (moves into care homes at
        review not included).
    assessments_per_year : numpy.ndarray
        ``[council]`` assessments a year (new, back from unmet need, relapsed).
    reablement_per_year : numpy.ndarray
        ``[council]`` reablement episodes a year (with those of people who would not have had
        a package).
    """

    in_service: np.ndarray
    unmet: np.ndarray
    independent: np.ndarray
    assessing: np.ndarray
    reabling: np.ndarray
    starts: np.ndarray
    assessments_per_year: np.ndarray
    reablement_per_year: np.ndarray


def relapse_hazard_per_year(p: Scenario) -> float:
    """Hazard (1/year) of relapse after reablement: P(still free at 2 years) = p2 / p1."""
    r = p.reablement
    keep = r.p_no_package_2yr.value / r.p_no_package_after.value
    return -math.log(max(keep, 1e-12)) / 2.0


def residential_by_need(p: Scenario) -> np.ndarray:
    """Probability a newly eligible person goes into a care home, ``[age band, need band]``:
    ``p_residential_<need>`` for people 65+, times ``flows.residential_ratio_18_64`` (at most
    1) for people 18-64."""
    sv = p.services
    by_need = np.array([sv.p_residential_moderate.value, sv.p_residential_moderate.value,
                        sv.p_residential_substantial.value, sv.p_residential_critical.value])
    return np.vstack((np.minimum(1.0, by_need * p.flows.residential_ratio_18_64.value),
                      by_need))


def move_probability(p: Scenario) -> float:
    """Chance that a community user newly critical at review moves into a care home, over the
    community users on the start date: ``p_move_residential_when_critical`` times ``1 + b
    (hazard_ratio_residential - 1)``, ``b`` the starting PB share (at most 1)."""
    b = p.population.pb_share_start.value
    ratio = p.personal_budgets.hazard_ratio_residential.value
    return min(1.0, p.reviews.p_move_residential_when_critical.value * (1.0 + b * (ratio - 1.0)))


def occupancy(p: Scenario, date, age: int) -> np.ndarray:
    """Expected years spent in each (setting, need) state from each entry state.

    Returns ``[entry, state]`` over the 8 states ``setting * 4 + need``.
    """
    rv, e = p.reviews, p.exits
    period = (rv.interval_days.value + rv.dur_review_days.value) / DAYS_PER_YEAR
    hz = {(0, COMMUNITY): e.hazard_community_18_64, (1, COMMUNITY): e.hazard_community_65plus,
          (0, RESIDENTIAL): e.hazard_residential_18_64,
          (1, RESIDENTIAL): e.hazard_residential_65plus}
    k = 2 * N_NEED
    h = np.array([hz[(age, st)].at(date) for st in (COMMUNITY, RESIDENTIAL)
                  for _ in range(N_NEED)])
    survive = libm.exp(-h * period)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(h > 0, (1 - survive) / h, period)
    move = np.zeros((k, k))
    rise, to_home = rv.p_need_rise.value, move_probability(p)
    for st in (COMMUNITY, RESIDENTIAL):
        for n in range(N_NEED):
            i = st * N_NEED + n
            if n == N_NEED - 1:
                move[i, i] = 1.0
                continue
            move[i, i] = 1 - rise
            up = st * N_NEED + n + 1
            if st == COMMUNITY and n + 1 == N_NEED - 1:
                move[i, RESIDENTIAL * N_NEED + n + 1] = rise * to_home
                move[i, up] = rise * (1 - to_home)
            else:
                move[i, up] = rise
    fundamental = np.linalg.inv(np.eye(k) - survive[:, None] * move)
    return fundamental * tau[None, :]


def _assessment_flows(p: Scenario, inp: CouncilInputs) -> tuple[np.ndarray, np.ndarray]:
    """New assessments, and the flow into each need band from unmet need per unit of the
    flow one band lower, ``[council, age, need]`` a year."""
    d = p.demand
    new = (d.contacts_per_year.value * inp.demand_share * (1 - d.p_resolved_at_contact.value)
           * d.p_assessment_after_referral.value)
    age_split = np.array([1 - d.share_65plus.value, d.share_65plus.value])
    mix = d.need_mix_assessed.vector()
    return new[:, None, None] * age_split[None, :, None] * mix[None, None, :], \
        np.arange(N_NEED)[None, :] >= inp.threshold.astype(int)[:, None]


def _with_unmet_returns(p: Scenario, arrivals: np.ndarray, eligible_band: np.ndarray
                        ) -> np.ndarray:
    """Assessments a year by need band: ``arrivals`` plus people back from unmet need (the
    ineligible of the band below, with probability ``p_unmet_return``)."""
    flow = arrivals.copy()
    p_ret = p.assessment.p_unmet_return.value
    for n in range(1, N_NEED):
        below = ~eligible_band[:, n - 1][:, None]
        flow[:, :, n] += np.where(below, p_ret * flow[:, :, n - 1], 0.0)
    return flow


def _mean_cost(p: Scenario) -> np.ndarray:
    """Mean package cost (GBP/year) at April 2008 prices, ``[age, setting, need]``."""
    sv = p.services
    need_mult = np.array([sv.cost_multiplier_moderate.value, sv.cost_multiplier_moderate.value,
                          1.0, sv.cost_multiplier_critical.value])
    out = np.empty((2, 2, N_NEED))
    for age in (0, 1):
        age_mult = sv.cost_multiplier_18_64.value if age == 0 else 1.0
        out[age, COMMUNITY] = sv.cost_community_gbp_per_year.value * age_mult * need_mult
        out[age, RESIDENTIAL] = sv.cost_residential_gbp_per_year.value * age_mult
    return out


def _places_per_year(p: Scenario, inp: CouncilInputs, date, in_service: np.ndarray,
                     staff_gbp: np.ndarray) -> np.ndarray:
    """Reablement places a year for people eligible for a package, from the opening budget the
    stocks imply (finance's rule), less the share of episodes taken by people who would not
    have had a package, in whole places a month as the model takes them."""
    r = p.reablement
    packages = (in_service * _mean_cost(p)[None]).sum(axis=(1, 2, 3))
    budget = opening_budget_gbp(p, inp, date, packages, staff_gbp)
    money = (r.budget_share.at(date) * budget
             + r.nhs_funding_gbp_per_year.at(date) * inp.demand_share) / 12.0
    return 12.0 * np.floor(money / r.cost_gbp_per_episode.value
                           * (1.0 - r.share_episodes_not_eligible.value))


def steady_state(p: Scenario, inp: CouncilInputs, date,
                 staff_gbp_per_year=None) -> SteadyState:
    """The steady state of the flows with every parameter at its value on ``date``.

    Parameters
    ----------
    p : Scenario
    inp : CouncilInputs
    date : datetime.date
        The date whose parameter values are held (the run's start).
    staff_gbp_per_year : callable, optional
        ``f(people in service, assessments a year) -> staff cost (GBP/year)``, per council, for
        the budget that funds reablement; none if not given.
    """
    new, eligible_band = _assessment_flows(p, inp)
    p_res = residential_by_need(p)
    p_no = p.reablement.p_no_package_after.value
    lam = relapse_hazard_per_year(p)
    occ = [occupancy(p, date, age) for age in (0, 1)]
    assessed = _with_unmet_returns(p, new, eligible_band)  # before relapses
    eligible = assessed * eligible_band[:, None, :]
    bound = eligible * (1 - p_res)[None]  # community-bound before relapses
    rho = np.zeros(inp.n)
    done = np.zeros(inp.n, dtype=bool)  # each council stops at its own fixed point, so a
    for _ in range(FIXED_POINT_STEPS):  # council's state does not depend on the others run
        comm_bound = bound / (1 - rho[:, None, None] * p_no * (1 - p_res)[None])
        relapse = rho[:, None, None] * p_no * comm_bound
        starts = np.zeros((inp.n, 2, 2, N_NEED))
        starts[:, :, RESIDENTIAL] = (eligible + relapse) * p_res[None]
        starts[:, :, COMMUNITY] = comm_bound * (1 - rho[:, None, None] * p_no)
        in_service = np.empty_like(starts)
        for age in (0, 1):
            # an explicit sum, not a matrix product: BLAS may block the rows differently for
            # different numbers of councils, and a council's state must not depend on the
            # others run, to the last bit
            rows = starts[:, age].reshape(inp.n, 2 * N_NEED)
            flat = (rows[:, :, None] * occ[age][None, :, :]).sum(axis=1)
            in_service[:, age] = flat.reshape(inp.n, 2, N_NEED)
        assessments = (assessed + relapse).sum(axis=(1, 2))
        staff = (np.zeros(inp.n) if staff_gbp_per_year is None
                 else staff_gbp_per_year(in_service.sum(axis=(1, 2, 3)), assessments))
        places = _places_per_year(p, inp, date, in_service, staff)
        total_bound = comm_bound.sum(axis=(1, 2))
        rho_new = np.where(total_bound > 0, np.minimum(1.0, places / np.maximum(total_bound,
                                                                              1e-12)), 0.0)
        done |= np.isclose(rho_new, rho, rtol=0, atol=1e-12)
        if done.all():
            break
        rho = np.where(done, rho, rho_new)
    ineligible = assessed * ~eligible_band[:, None, :]
    years = 1.0 / DAYS_PER_YEAR
    return SteadyState(
        in_service=in_service,
        unmet=ineligible * p.assessment.dur_unmet_return_days.value * years,
        independent=relapse / lam if lam > 0 else np.zeros_like(relapse),
        assessing=(assessed + relapse) * p.assessment.dur_assessment_days.value * years,
        reabling=rho[:, None, None] * comm_bound * p.reablement.dur_episode_days.value * years,
        starts=starts, assessments_per_year=assessments,
        reablement_per_year=rho * total_bound
        / (1.0 - p.reablement.share_episodes_not_eligible.value))


def whole_counts(expected: np.ndarray) -> np.ndarray:
    """Whole people per cell, rounding the running total per council (so each council's total
    is its expected total rounded). ``expected`` is ``[council, ...]``."""
    flat = expected.reshape(expected.shape[0], -1)
    cum = np.rint(np.cumsum(flat, axis=1))
    counts = np.diff(np.concatenate((np.zeros((flat.shape[0], 1)), cum), axis=1))
    return counts.astype(np.int64).reshape(expected.shape)


def cells(counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Council, then each further index, repeated by ``counts`` (council-major order)."""
    idx = np.indices(counts.shape).reshape(counts.ndim, -1)
    reps = counts.reshape(-1)
    return tuple(np.repeat(i, reps) for i in idx)


def seed_pools(s: ModelState) -> None:
    """People outside services on day 0 in the flows' steady state.

    Unmet need (leaving the pool after an exponential time, returning with probability
    ``p_unmet_return``); independence after reablement (relapsing at the relapse hazard); in
    the middle of an assessment or a reablement episode (ending uniformly over the coming
    ``dur_assessment_days`` or ``dur_episode_days``, the stationary residual of a fixed
    duration; their assessors' time is not booked).
    """
    a, r, steady = s.p.assessment, s.p.reablement, s.flows
    council, age, need = _people(steady.unmet)
    u = s.draw("flows.unmet", council, lambda g, k: g.random((k, 2)))
    s.assessment.unmet_pool.push(t=-libm.log1p(-u[:, 0]) * a.dur_unmet_return_days.value,
                                 council=council, age=age, need=need,
                                 returns=u[:, 1] < a.p_unmet_return.value)
    lam = relapse_hazard_per_year(s.p)
    council, age, need = _people(steady.independent)
    e = s.draw("flows.independent", council, lambda g, k: g.standard_exponential(k))
    t = e / lam * DAYS_PER_YEAR if lam > 0 else np.full(len(e), np.inf)
    s.prevention.relapse_pending.push(t=t, council=council, age=age, need=need)
    council, age, need = _people(steady.assessing)
    u = s.draw("flows.assessing", council, lambda g, k: g.random(k))
    s.assessment.pending.push(t=u * a.dur_assessment_days.value, council=council, age=age,
                              need=need)
    council, age, need = _people(steady.reabling)
    u = s.draw("flows.reabling", council, lambda g, k: g.random(k))
    assessed = draw_cost(s, "flows.reabling_cost", council, age, need,
                         np.full(len(council), COMMUNITY, dtype=np.int8))
    s.prevention.pending.push(t=u * r.dur_episode_days.value, council=council, age=age,
                              need=need, assessed_cost=assessed)


def _people(expected: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Council, age band and need band of whole people from ``[council, age, need]``."""
    council, age, need = cells(whole_counts(expected))
    return council.astype(np.int32), age.astype(np.int8), need.astype(np.int8)


def record_stocks(s: ModelState) -> None:
    """Record the month-end people in service by setting and age band."""
    pop = s.pop
    act = np.flatnonzero(pop.active)
    key = (pop.council[act].astype(np.int64) * 4 + pop.setting[act].astype(np.int64) * 2
           + pop.age[act])
    counts = np.bincount(key, minlength=4 * s.n).reshape(s.n, 2, 2).astype(float)
    for st in (COMMUNITY, RESIDENTIAL):
        for age in (0, 1):
            s.rec.set(metric_name(st, age), counts[:, st, age])
