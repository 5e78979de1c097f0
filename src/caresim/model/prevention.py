"""Reablement (process 3): up to six weeks of free reablement before a long-term package.

Reablement is offered before eligibility is settled: at the front door (new requests) and after
hospital discharge, free of charge for up to ``dur_episode_days`` (six weeks). Each month a
council can fund ``places = (reablement.budget_share x net budget + its share of NHS reablement
money) / 12 / cost_gbp_per_episode`` episodes. A share ``share_episodes_not_eligible`` of the
episodes goes to people who would not have had a long-term package anyway (found ineligible,
or recovering after discharge): they cost an episode each and change nothing else, so every
episode given to a person eligible for community support comes with ``s / (1 - s)`` such
episodes (``s`` that share). Eligible people bound for community support take the remaining
places in order of assessment completion while places last; the others start services directly.
An episode costs ``cost_gbp_per_episode`` (spent at its start). At its end, with probability
``p_no_package_after`` the person needs no package; they may relapse later at a constant hazard
chosen so that a share ``p_no_package_2yr / p_no_package_after`` is still independent two years
on; a relapse brings them back to the assessment queue. The others start a community package
with hours (cost) reduced by ``hours_reduction``.

**Effect against a comparison group.** Without reablement a share ``p_no_package_comparison``
of the same people would have needed no package either (deadweight); reablement's effect on
the chance of needing no package is ``p_no_package_after - p_no_package_comparison``, so the
package avoided by a person leaving with no package counts ``1 - p_no_package_comparison /
p_no_package_after`` of its cost.

Inputs are the published ranges; outputs to check (not inputs) are year-one cost per episode
against the cost it avoids in its first twelve months (Glendinning et al. 2010: social care
costs about 60% lower over 12 months, almost entirely offset in year one by the episode's cost):
``reablement_year_one_avoided_gbp`` books, at each episode's end, the package cost it avoids in
the twelve months from the episode's start as scheduled then (the relapse or counterfactual
exit, or the reduced package's exit time). Setting is decided here, before reablement, by the
rule of :mod:`caresim.model.services`.

Prevention savings (docs/design.md): for each reabled person, the package they were assessed for
minus what they then cost (for those with no package, net of deadweight), accrued while they
would have been in service (a counterfactual exit time from the community exit hazard, ended
early by a relapse), less the reablement spend: ``prevention_avoided_gbp``. That is cost
avoidance; it is *cashable* only when spend actually falls, so the finance year books as
``savings_prevention_gbp`` the part of a year's avoided cost up to the fall in package spend on
the year before (:mod:`caresim.model.finance`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from pydantic import model_validator

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import exits, personal_budgets, services
from caresim.model.buffers import EventBuffer, RecordBuffer
from caresim.model.costs import draw_cost
from caresim.model.kernels import shadow_savings
from caresim.model.parts import Metric
from caresim.model.population import COMMUNITY, RESIDENTIAL
from caresim.model.sorting import group_time_order
from caresim.model.state import ModelState, person_buffer, reablement_buffer
from caresim.params.section import (
    GBP,
    DatedFraction,
    DatedGBPPerYear,
    Days,
    Fraction,
    Probability,
    Section,
)


class Reablement(Section):
    """Reablement for people who would start home care (process 3)."""

    cost_gbp_per_episode: GBP  # type: ignore[valid-type]
    dur_episode_days: Days  # type: ignore[valid-type]
    p_no_package_after: Probability  # type: ignore[valid-type]
    p_no_package_2yr: Probability  # type: ignore[valid-type]
    hours_reduction: Fraction  # type: ignore[valid-type]
    budget_share: DatedFraction  # type: ignore[valid-type]
    nhs_funding_gbp_per_year: DatedGBPPerYear  # type: ignore[valid-type]
    share_episodes_not_eligible: Fraction  # type: ignore[valid-type]
    p_no_package_comparison: Probability  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _two_year(self) -> Reablement:
        if self.p_no_package_2yr.value > self.p_no_package_after.value:
            raise ValueError(
                "expected p_no_package_2yr <= p_no_package_after (nobody can regain "
                f"independence later); found {self.p_no_package_2yr.value:g} > "
                f"{self.p_no_package_after.value:g}"
            )
        if self.p_no_package_comparison.value > self.p_no_package_after.value:
            raise ValueError(
                "expected p_no_package_comparison <= p_no_package_after (reablement cannot "
                f"make more people need a package); found {self.p_no_package_comparison.value:g}"
                f" > {self.p_no_package_after.value:g}"
            )
        if self.share_episodes_not_eligible.value >= 1.0:
            raise ValueError("expected share_episodes_not_eligible below 1 (someone eligible "
                             "must be reabled); found 1")
        return self


EPISODES: tuple[Metric, ...] = (
    Metric("reablement_episodes", "episodes", "flow", "reablement episodes started"),
    Metric(
        "reablement_no_package",
        "people",
        "flow",
        "reablement episodes ending with no package needed",
    ),
    Metric(
        "reablement_episodes_not_eligible",
        "episodes",
        "flow",
        "reablement episodes for people who would not have had a package anyway (in "
        "reablement_episodes)",
    ),
    Metric(
        "reablement_year_one_avoided_gbp",
        "GBP",
        "flow",
        "package cost avoided in the twelve months from each episode's start, booked at its end",
    ),
    Metric(
        "reablement_year_one_ratio",
        "ratio",
        "ratio",
        "year-one package cost avoided per GBP spent on reablement (Glendinning et al. 2010: "
        "about 1, the saving almost entirely offset by the episode's cost)",
        "reablement_year_one_avoided_gbp",
        "spend_prevention_gbp",
    ),
)
"""Reablement episodes."""


AVOIDED: tuple[Metric, ...] = (
    Metric(
        "prevention_avoided_gbp",
        "GBP",
        "flow",
        "prevention cost avoidance: package spend reabled people were assessed for minus what "
        "they cost, less reablement spend (not all cashable)",
    ),
)
"""Prevention cost avoidance."""


def _shadow_buffer() -> RecordBuffer:
    return RecordBuffer({"t": np.float64, "t_from": np.float64, "council": np.int32,
                         "avoided_gbp_per_year": np.float64})


@dataclass
class PreventionState:
    """Reablement places and the people in, or just out of, reablement.

    Attributes
    ----------
    places_left : numpy.ndarray
        Episodes each council can still fund this month.
    pending : EventBuffer
        People in reablement, until the episode ends (with their assessed package cost).
    relapse_pending : EventBuffer
        People independent after reablement, until they relapse.
    shadow : RecordBuffer
        Packages avoided by reablement, while they would have run (prevention savings).
    """

    places_left: np.ndarray
    pending: EventBuffer
    relapse_pending: EventBuffer
    shadow: RecordBuffer = field(default_factory=_shadow_buffer)


def init_state(n: int, edges: np.ndarray) -> PreventionState:
    """No places yet (they are set each month) and nobody in reablement."""
    return PreventionState(places_left=np.zeros(n), pending=reablement_buffer(edges),
                           relapse_pending=person_buffer(edges))


def monthly_places(s: ModelState, date, nhs_share: np.ndarray) -> np.ndarray:
    """Reablement episodes each council can fund this month (with the grant's prevention
    money, :mod:`caresim.model.grant`)."""
    r = s.p.reablement
    money = (r.budget_share.at(date) * s.finance.budget_gbp +
             r.nhs_funding_gbp_per_year.at(date) * nhs_share) / 12.0 + s.grant.prevention_gbp
    return money / r.cost_gbp_per_episode.value


def route(s: ModelState, people: dict[str, np.ndarray]) -> None:
    """Send eligible people to reablement (while places last) or straight to services."""
    t, council, age, need = people["t"], people["council"], people["age"], people["need"]
    if len(t) == 0:
        return
    u = s.draw("services.setting", council, lambda g, k: g.random(k))
    community = u >= services.residential_probability(s, need, age)
    # places taken in completion-time order within each council
    order = group_time_order(council, t)  # np.lexsort((t, council)), faster
    inv_rank = np.empty(len(t), dtype=np.int64)
    c_sorted = council[order]
    comm_sorted = community[order].astype(np.int64)
    counts = np.bincount(c_sorted, minlength=s.n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    cum = np.cumsum(comm_sorted)
    before_block = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0)
    rank_in_council = cum - before_block[c_sorted]  # 1-based among community-bound
    inv_rank[order] = rank_in_council
    r = s.p.reablement
    eligible_share = 1.0 - r.share_episodes_not_eligible.value
    places = np.floor(s.prevention.places_left * eligible_share).astype(np.int64)
    is_reabled = community & (inv_rank <= places[council])
    # index arrays rather than boolean masks: the same rows, much faster
    reable = np.flatnonzero(is_reabled)
    direct = np.flatnonzero(~is_reabled)
    taken = np.bincount(council[reable], minlength=s.n)
    s.prevention.places_left -= taken / eligible_share
    services.start(s, t[direct], council[direct], age[direct], need[direct],
                   np.zeros(len(direct), bool),
                   np.where(community[direct], COMMUNITY, RESIDENTIAL).astype(np.int8))
    if len(reable):
        c = council[reable]
        age_r, need_r = age[reable], need[reable]
        assessed = draw_cost(s, "prevention.assessed_cost", c, age_r, need_r,
                             np.full(len(c), COMMUNITY, dtype=np.int8))
        s.prevention.pending.push(t=t[reable] + r.dur_episode_days.value, council=c,
                                  age=age_r, need=need_r, assessed_cost=assessed)
        spend = np.full(len(c), r.cost_gbp_per_episode.value)
        s.rec.add_at("reablement_episodes", c)
        s.rec.add_at("spend_prevention_gbp", c, spend)
        s.rec.add_at("prevention_avoided_gbp", c, -spend)
        others = taken * (r.share_episodes_not_eligible.value / eligible_share)
        s.rec.add("reablement_episodes", others)
        s.rec.add("reablement_episodes_not_eligible", others)
        s.rec.add("spend_prevention_gbp", others * r.cost_gbp_per_episode.value)
        s.rec.add("prevention_avoided_gbp", -others * r.cost_gbp_per_episode.value)


def complete(s: ModelState, t1: float) -> None:
    """Reablement episodes ending before ``t1``: no package, or a reduced package."""
    done = s.prevention.pending.pop_due(t1)
    if len(done["t"]) == 0:
        return
    r = s.p.reablement
    t, council = done["t"], done["council"]
    u = s.draw("prevention.outcome", council, lambda g, k: g.random(k))
    is_free = u < r.p_no_package_after.value
    free = np.flatnonzero(is_free)  # index arrays: the same rows as masks, faster
    c_free, t_free = council[free], t[free]
    s.rec.add_at("reablement_no_package", c_free)
    # relapse: constant hazard so that P(still free at 2 years) = p2 / p1
    p1 = r.p_no_package_after.value  # 0: nobody is free, so nobody can relapse
    keep = r.p_no_package_2yr.value / p1 if p1 > 0 else 1.0
    hazard_per_day = -math.log(max(keep, 1e-12)) / (2 * DAYS_PER_YEAR)
    e = s.draw("prevention.relapse", c_free, lambda g, k: g.standard_exponential(k))
    t_relapse = t_free + (e / hazard_per_day if hazard_per_day > 0 else np.inf)
    # counterfactual: how long they would have been in community services
    cf_exit = exits.draw_exit_times(s, "prevention.counterfactual_exit", council,
                                    done["age"], np.full(len(t), COMMUNITY, dtype=np.int8), t)
    s.prevention.relapse_pending.push(t=t_relapse, council=c_free, age=done["age"][free],
                           need=done["need"][free])
    effect = 1.0 - r.p_no_package_comparison.value / r.p_no_package_after.value
    avoided_free = done["assessed_cost"][free] * effect
    t_end_free = np.minimum(cf_exit[free], t_relapse)
    s.prevention.shadow.push(t=t_end_free, t_from=t_free, council=c_free,
                             avoided_gbp_per_year=avoided_free)
    _year_one(s, c_free, t_free - r.dur_episode_days.value, t_free, t_end_free, avoided_free)
    # the rest start a package with fewer hours, from the assessed cost
    pk = np.flatnonzero(~is_free)
    if len(pk):
        idx = services.start(s, t[pk], council[pk], done["age"][pk], done["need"][pk],
                             np.ones(len(pk), bool), np.full(len(pk), COMMUNITY, np.int8))
        assessed = done["assessed_cost"][pk]
        s.pop.cost[idx] = (assessed * (1.0 - r.hours_reduction.value)
                           * personal_budgets.cost_ratio(s, s.pop.mode[idx]))
        # avoided spend lasts while they are in service (their own exit time)
        s.prevention.shadow.push(t=s.pop.t_exit[idx], t_from=t[pk], council=council[pk],
                                 avoided_gbp_per_year=assessed * r.hours_reduction.value)
        _year_one(s, council[pk], t[pk] - r.dur_episode_days.value, t[pk], s.pop.t_exit[idx],
                  assessed * r.hours_reduction.value)


def _year_one(s: ModelState, council: np.ndarray, t_start: np.ndarray, t_from: np.ndarray,
              t_end: np.ndarray, avoided_gbp_per_year: np.ndarray) -> None:
    """Book the package cost avoided from ``t_from`` to ``t_end`` within twelve months of the
    episode's start ``t_start`` (days; GBP/year rates)."""
    days = np.clip(np.minimum(t_end, t_start + DAYS_PER_YEAR) - t_from, 0.0, None)
    s.rec.add_at("reablement_year_one_avoided_gbp", council,
                 avoided_gbp_per_year * days / DAYS_PER_YEAR)


def relapses(s: ModelState, t1: float) -> dict[str, np.ndarray]:
    """People whose independence after reablement ends before ``t1``."""
    return s.prevention.relapse_pending.pop_due(t1)


def accrue_shadow(s: ModelState, t0: float, t1: float) -> None:
    """Add this month's avoided package spend to prevention savings; drop ended records."""
    sh = s.prevention.shadow
    if len(sh) == 0:
        return
    cols, live = sh.stored()
    s.rec.add("prevention_avoided_gbp", shadow_savings(
        cols["t"], cols["t_from"], cols["council"], cols["avoided_gbp_per_year"], live, t0, t1,
        s.n))
    sh.pop_due(t1)
