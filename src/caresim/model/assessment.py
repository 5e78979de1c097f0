"""Assessment (process 2): a FIFO queue limited by assessment staff, then eligibility.

Each council's assessors are ``servers = FTE x assessments_per_fte_year x dur_assessment_days /
365.25`` parallel slots; every assessment occupies a slot for ``dur_assessment_days``. Staff
follow demand: each April a council's FTE is its April 2008 FTE x (last year's assessment
requests / those expected in April 2008) x its cumulative staff-cut factor (``finance``); a
person who would wait longer than ``max_wait_days`` gives up and joins unmet need. Requests are
served first come first served by the exact multi-server recurrence
(:mod:`caresim.model.queueing`); the wait is the time from request to start. At completion a
person is eligible if their need band is at or above the council's FACS threshold. Those who are
not are unmet need: they join the unmet-need pool and leave it after an exponential time with
mean ``dur_unmet_return_days``; with probability ``p_unmet_return`` they leave by coming back to
the assessment queue with needs one band higher (so tightening eligibility saves now and costs
later), otherwise they leave uncounted by services."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import libm, rationing
from caresim.model.buffers import EventBuffer
from caresim.model.parts import Metric, StaffTeam
from caresim.model.queueing import ServerPool
from caresim.model.state import ModelState, person_buffer, unmet_buffer
from caresim.params.section import Days, Fraction, GBPPerYear, Probability, Section, ThresholdMix
from caresim.params.values import positive


class Assessment(Section):
    """Assessment queue and eligibility (process 2)."""

    dur_assessment_days: Days  # type: ignore[valid-type]
    max_wait_days: Days  # type: ignore[valid-type]
    assessments_per_fte_year: positive("assessments/FTE/year")  # type: ignore[valid-type]
    utilisation_start: Fraction  # type: ignore[valid-type]
    cost_gbp_per_fte_year: GBPPerYear  # type: ignore[valid-type]
    threshold_mix_2008: ThresholdMix  # type: ignore[valid-type]
    p_unmet_return: Probability  # type: ignore[valid-type]
    dur_unmet_return_days: Days  # type: ignore[valid-type]


STOCKS: tuple[Metric, ...] = (
    Metric(
        "unmet_need",
        "people",
        "stock",
        "people assessed as not eligible, or who gave up waiting, whose needs may yet bring "
        "them back",
    ),
    Metric("assessment_queue", "people", "stock",
        "people who have asked for an assessment and have neither completed it nor given up "
        "(waiting, including those who will give up, or being assessed): last month's plus "
        "assessment_requests less assessments less reneged"),
    Metric("assessment_fte", "FTE", "stock", "assessment staff"),
)
"""Queues, unmet need and assessment staff at the end of the period."""


THRESHOLDS: tuple[Metric, ...] = (
    Metric(
        "threshold_substantial_plus",
        "councils",
        "stock",
        "councils whose FACS threshold is substantial or critical",
    ),
    Metric(
        "share_councils_substantial_plus",
        "fraction",
        "ratio",
        "share of councils whose FACS threshold is substantial or critical",
        "threshold_substantial_plus",
        "councils",
    ),
)
"""FACS thresholds at the end of the period."""


FLOWS: tuple[Metric, ...] = (
    Metric(
        "assessment_requests",
        "people",
        "flow",
        "people joining the assessment queue (new, returning, relapsed)",
    ),
    Metric("returns_unmet", "people", "flow", "people returning because unmet needs deteriorated"),
    Metric("assessments", "assessments", "flow", "assessments completed"),
    Metric(
        "assessment_wait_days",
        "days",
        "flow",
        "total wait before assessment of assessments started",
    ),
    Metric("assessments_started", "assessments", "flow", "assessments started"),
    Metric(
        "reneged",
        "people",
        "flow",
        "people who gave up waiting for an assessment (they join unmet need)",
    ),
    Metric(
        "mean_wait_days",
        "days",
        "ratio",
        "mean wait before an assessment starts",
        "assessment_wait_days",
        "assessments_started",
    ),
    Metric("eligible", "people", "flow", "people assessed as eligible"),
    Metric("ineligible", "people", "flow", "people assessed as not eligible (new unmet need)"),
)
"""Requests, assessments and their outcomes."""


@dataclass
class AssessmentState(StaffTeam):
    """The assessment teams (a :class:`~caresim.model.parts.StaffTeam` whose yardstick
    ``demand0`` is the assessment requests a year expected in April 2008), their queue and the
    people outside services they hold.

    Attributes
    ----------
    threshold : numpy.ndarray
        FACS threshold (need band index; eligible if need >= threshold), raised by finance's
        eligibility lever.
    pending : EventBuffer
        People being assessed, until their assessment completes.
    giving_up : EventBuffer
        People who will give up waiting, until they do.
    unmet_pool : EventBuffer
        People with unmet need, until they leave the pool (returning or not).
    """

    threshold: np.ndarray
    pending: EventBuffer
    giving_up: EventBuffer = field(default_factory=person_buffer)
    unmet_pool: EventBuffer = field(default_factory=unmet_buffer)


def init_state(s: ModelState, edges: np.ndarray, fte: np.ndarray,
               assessments_per_year: np.ndarray) -> AssessmentState:
    """Assessment on day 0: staff ``fte`` for the expected ``assessments_per_year``."""
    n = s.n
    st = AssessmentState(pool=ServerPool(np.zeros(n, np.int64)), fte=fte, fte0=fte.copy(),
                         demand0=assessments_per_year, threshold=s.inp.threshold.copy(),
                         pending=person_buffer(edges), unmet_pool=unmet_buffer(edges))
    st.pool.set_servers(servers_for(s, fte), 0.0)
    return st


def record_stocks(s: ModelState) -> None:
    """Record the month-end stocks of people: unmet need and the assessment queue."""
    n = s.n
    s.rec.set("unmet_need", s.assessment.unmet_pool.count_by_council(n))
    # people who will give up are in the queue until they do
    s.rec.set("assessment_queue", s.assessment.pending.count_by_council(n)
              + s.assessment.giving_up.count_by_council(n))


def servers_for(s: ModelState, fte: np.ndarray) -> np.ndarray:
    """Assessment slots from FTE (rounded to whole slots, at least one where FTE > 0)."""
    a = s.p.assessment
    slots = fte * a.assessments_per_fte_year.value * a.dur_assessment_days.value / DAYS_PER_YEAR
    return np.where(fte > 0, np.maximum(1, np.rint(slots)), 0).astype(np.int64)


def enqueue(s: ModelState, req: dict[str, np.ndarray]) -> None:
    """Serve requests through the queue; completions go to ``assess_pending``.

    A person whose wait would pass ``max_wait_days`` gives up at that point (reneges): they
    use no assessor time and, from the moment they give up (:func:`give_ups`), join the
    unmet-need pool like a person found ineligible.
    """
    if len(req["t"]) == 0:
        return
    a = s.p.assessment
    dur = np.full(len(req["t"]), a.dur_assessment_days.value)
    start = s.assessment.pool.serve(req["council"], req["t"], dur, a.max_wait_days.value)
    s.rec.add_at("assessment_requests", req["council"])
    # index arrays rather than boolean masks throughout: the same rows, much faster
    is_served = ~np.isnan(start)
    served = np.flatnonzero(is_served)
    c = req["council"]
    c_served, t_served, start_served = c[served], req["t"][served], start[served]
    # booked in the month each assessment starts, which may be a later month
    s.rec.add_at_times("assessments_started", c_served, start_served)
    s.rec.add_at_times("assessment_wait_days", c_served, start_served, start_served - t_served)
    s.assessment.pending.push(t=start_served + a.dur_assessment_days.value, council=c_served,
                          age=req["age"][served], need=req["need"][served])
    if len(served) < len(start):
        gave_up = np.flatnonzero(~is_served)
        s.assessment.giving_up.push(t=req["t"][gave_up] + a.max_wait_days.value, council=c[gave_up],
                         age=req["age"][gave_up], need=req["need"][gave_up])


def give_ups(s: ModelState, t1: float) -> None:
    """People giving up waiting before ``t1``: from then on they are unmet need."""
    out = s.assessment.giving_up.pop_due(t1)
    if len(out["t"]):
        s.rec.add_at("reneged", out["council"])
        to_unmet(s, out["t"], out["council"], out["age"], out["need"])


def to_unmet(s: ModelState, t: np.ndarray, council: np.ndarray, age: np.ndarray,
             need: np.ndarray) -> None:
    """People with unmet need from time ``t``: they may come back, needs one band higher."""
    a = s.p.assessment
    u = s.draw("assessment.unmet", council, lambda g, k: g.random((k, 2)))
    wait = -libm.log1p(-u[:, 0]) * a.dur_unmet_return_days.value
    s.assessment.unmet_pool.push(t=t + wait, council=council, age=age, need=need,
                      returns=u[:, 1] < a.p_unmet_return.value)


def complete(s: ModelState, t1: float) -> dict[str, np.ndarray]:
    """Assessments completing before ``t1``: record them, route the ineligible to unmet need.

    Returns the eligible people (columns ``t``, ``council``, ``age``, ``need``).
    """
    done = s.assessment.pending.pop_due(t1)
    council, need = done["council"], done["need"]
    s.rec.add_at("assessments", council)
    is_eligible = need >= s.assessment.threshold[council]
    published = is_eligible.copy()
    # under budget pressure some who meet the published threshold fall below the effective
    # cut-off (:mod:`caresim.model.rationing`); the return records them as not eligible
    covert = rationing.covert_refusals(s, done["t"], council, done["age"], need, is_eligible)
    is_eligible[covert] = False
    eligible = np.flatnonzero(is_eligible)
    inel = np.flatnonzero(~is_eligible)
    s.rec.add_at("eligible", council[eligible])
    ci = council[inel]
    s.rec.add_at("ineligible", ci)
    if len(inel):
        ti, ai, ni = done["t"][inel], done["age"][inel], need[inel]
        to_unmet(s, ti, ci, ai, ni)
        by_rule = np.flatnonzero(~published[inel])  # the covert refusals are rationing's
        _eligibility_savings(s, ti[by_rule], ci[by_rule], ai[by_rule], ni[by_rule])
    return {k: v[eligible] for k, v in done.items()}


def _eligibility_savings(s: ModelState, t: np.ndarray, council: np.ndarray, age: np.ndarray,
                         need: np.ndarray) -> None:
    """Cashable saving of a raised threshold: people the old threshold would have served.

    Each such person avoids a community package at the mean cost for their age and need band
    from their assessment to the end of the financial year.
    """
    from caresim.model.costs import mean_cost
    from caresim.model.population import COMMUNITY

    raised = s.finance.eligibility_raised_from[council]
    hit = np.flatnonzero((raised >= 0) & (need >= raised))
    if len(hit) == 0:
        return
    c = council[hit]
    cost = mean_cost(s, c, age[hit], need[hit], np.full(len(hit), COMMUNITY))
    years = np.maximum(s.finance.fy_end_day - t[hit], 0.0) / DAYS_PER_YEAR
    s.rec.add_at("savings_eligibility_gbp", c, cost * years)


def unmet_returns(s: ModelState, t1: float) -> dict[str, np.ndarray]:
    """People leaving the unmet-need pool before ``t1``; those who return, with needs raised."""
    out = s.assessment.unmet_pool.pop_due(t1)
    back = np.flatnonzero(out["returns"])
    s.rec.add_at("returns_unmet", out["council"][back])
    need = np.minimum(out["need"][back] + 1, 3).astype(np.int8)
    return {"t": out["t"][back], "council": out["council"][back], "age": out["age"][back],
            "need": need}
