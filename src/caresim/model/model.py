"""One replication of the model: the simpy calendar and the order of each month's steps.

simpy owns time. One dispatcher process walks the calendar month by month; everything that
happens at a calendar boundary runs inside it, in this fixed, documented order (so equal-time
events never depend on simpy's tie-breaking):

1. on 1 April: close the financial year just ended (ledger, year counts), then open the new one
   (:func:`open_year`: prices, budget, requirement, levers, the grant's tranche, year counts);
2. grant: this month's instalment, spending from the ring-fenced balance (``grant``);
3. reablement places for the month (``prevention``);
4. contact: new requests, plus people returning from unmet need and reablement relapses,
   join the assessment queues (``demand``, ``assessment``);
5. assessments completing in the month: eligibility; the ineligible to unmet need
   (``assessment``);
6. the eligible go to reablement while places last, or straight to services; reablement
   episodes ending in the month end in no package or a reduced one (``prevention``,
   ``services``);
7. each person's own events in the month, in time order: reviews (queued by review staff) and
   exits, repeated until none is left before the month's end (``reviews``, ``exits``);
8. month-end money: package spend accrued exactly, staff, transformation, income, savings
   (``finance``), and prevention savings (``prevention``);
9. readiness responds to the month's transformation spend (``transformation``);
10. stocks are recorded.

Between boundaries the population lives in numpy arrays advanced in vectorised batches
(docs/design.md); the model never prints or writes files. Step 7 searches the population once for
people with a review or exit before the month's end and then looks only at them; steps 8 and 10
share one pass over the population (:mod:`caresim.model.kernels`: spend accrued and stocks
counted together; nothing changes the population in between). These passes, the queues and the
event buffers have fast paths (numba kernels, bucketed buffers, index arrays rather than
boolean masks) that give the same numbers bit for bit as the plain numpy formulation.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from caresim.calendar import Calendar
from caresim.model import (
    assessment,
    costs,
    demand,
    demography,
    exits,
    finance,
    flows,
    grant,
    initial,
    personal_budgets,
    prevention,
    rationing,
    reserves,
    reviews,
    services,
    transformation,
)
from caresim.model.inputs import CouncilInputs, derive_inputs
from caresim.model.kernels import MonthEnd, candidates, due_events
from caresim.model.levers import LEVER_METRICS
from caresim.model.population import Population
from caresim.model.state import ModelState
from caresim.recording import INDEX, Recorder
from caresim.streams import StreamSet

if TYPE_CHECKING:
    from caresim.params.schema import Scenario


@dataclass(frozen=True)
class ReplicationResult:
    """Raw results of one replication (arrays over councils), turned into tables by results.py.

    Attributes
    ----------
    codes : list of str
        Council codes in index order.
    month_ends : list of datetime.date
        Label (last day) of each monthly period.
    monthly : numpy.ndarray
        ``[month, council, metric]`` values of :data:`caresim.recording.RECORDED`.
    fy_records : list of dict
        Per financial year: ``fy`` and arrays of FY-only counts.
    ledger : list of dict
        Per financial year: ``fy`` and arrays of every ledger line.
    """

    codes: list[str]
    month_ends: list[dt.date]
    monthly: np.ndarray
    fy_records: list[dict]
    ledger: list[dict]


def _concat(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keys = ("t", "council", "age", "need")
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def build_state(
    params: Scenario, codes: list[str], replication: int, inputs: CouncilInputs | None = None
) -> ModelState:
    """The state on 1 April 2008 (before the first month's steps): the shared world, then each
    process's own state (:func:`init_state` of each process module)."""
    cal = Calendar(params.run.start_date, params.run.end_date)
    inp, steady = initial.steady_start(params, inputs or derive_inputs(params, codes),
                                       cal.start)
    n = inp.n
    streams = StreamSet(params.run.seed, replication, inp.codes)
    n_months = len(cal.month_ends())
    expected = int((inp.users_community.sum() + inp.users_residential.sum()) * 1.6) + 1024
    # buffers bucket their rows by month, so each month's pop takes whole buckets
    edges = np.array([cal.day(d) for d in cal.month_starts()])
    s = ModelState(
        p=params,
        cal=cal,
        inp=inp,
        streams=streams,
        rec=Recorder(n_months, n, np.array([cal.day(d) for d in cal.month_starts()])),
        pop=Population(expected),
        n=n,
    )
    s.flows = steady
    s.exits = exits.ExitsState(exits.build_hazards(params, cal))
    s.transformation = transformation.init_state(s)
    s.demand = demand.DemandState()
    s.demography = demography.DemographyState()
    s.grant = grant.init_state(n)
    s.prevention = prevention.init_state(n, edges)
    s.services = services.init_state(n, params)
    s.personal_budgets = personal_budgets.init_state(n)
    a_fte, r_fte, assessments_per_year = initial.initial_staff(s)
    s.finance = finance.init_state(n, assessments_per_year)
    s.reserves = reserves.ReservesState()
    s.rationing = rationing.init_state(n)
    s.assessment = assessment.init_state(s, edges, a_fte, assessments_per_year)
    s.reviews = reviews.init_state(s, r_fte)
    initial.build_population(s)
    flows.seed_pools(s)
    return s


def user_events(s: ModelState, t1: float) -> None:
    """Apply every review and exit falling before ``t1``, each person's in time order.

    Only rows with an exit or a review (due or queued) before ``t1`` at the start can take
    part, so they are found once and only they are scanned, in row order. After a pass only
    the rows it reviewed can have a further event before ``t1`` (nothing else changed), so
    the next pass scans only them.
    """
    pop = s.pop
    cand = candidates(pop.active, pop.t_exit, pop.t_review, t1)
    reviews.enqueue_due(s, t1, cand)
    while len(cand):
        due, leaving = due_events(cand, pop.active, pop.t_exit, pop.t_review, pop.review_queued, t1)
        if len(due) == 0:
            break
        ex = due[np.flatnonzero(leaving)]
        costs.accrue(s, ex, pop.t_exit[ex])
        exits.leave(s, ex)
        cand = due[np.flatnonzero(~leaving)]
        reviews.review(s, cand)
        reviews.enqueue_due(s, t1, cand)


def record_stocks(s: ModelState, tally: MonthEnd) -> None:
    """Record the end-of-month stocks, each process its own (people and package costs from the
    month-end pass)."""
    services.record_stocks(s, tally.users, tally.cost_total, tally.cost_pb, tally.cost_dp)
    flows.record_stocks(s)
    transformation.record_stocks(s)
    assessment.record_stocks(s)
    finance.record_stocks(s)
    grant.record_stocks(s)


def open_year(s: ModelState, date: dt.date) -> None:
    """Open the financial year starting ``date``: finance (prices, budget, requirement,
    levers, the ledger), the grant's tranche, the year's counts of people served."""
    finance.start_year(s, date)
    services.start_year(s)
    personal_budgets.start_year(s)


def close_year(s: ModelState) -> None:
    """Close the financial year just ended: the ledger row and the year's counts."""
    finance.close_year(s)
    services.close_year(s)
    personal_budgets.close_year(s, s.services.fy_records[-1])


def begin_month(s: ModelState, m: int, d0: dt.date,
                start_year: Callable[[ModelState, dt.date], None] = open_year
                ) -> np.ndarray:
    """Steps 1-3 of a month: the financial year turn, the grant, reablement places.

    Shared with the per-person reference model (``benchmarks/reference.py``), which passes
    its own ``start_year`` (calling :func:`open_year`) to resize its teams after the
    engine's. Returns the grant spent this month (GBP per council).
    """
    s.rec.month = m
    if d0.month == 4 and d0.day == 1:
        if s.finance.fy_index >= 0:
            s.rec.month = m - 1
            close_year(s)
            s.rec.month = m
        start_year(s, d0)
    spent = grant.month(s, d0)
    s.prevention.places_left = prevention.monthly_places(s, d0, s.inp.demand_share)
    return spent


def step_month(s: ModelState, m: int, d0: dt.date, d1: dt.date) -> None:
    """Run month ``m`` from ``d0`` to ``d1`` (steps 1-10 of the module docstring)."""
    t0, t1 = s.cal.day(d0), s.cal.day(d1)
    spent = begin_month(s, m, d0)
    new = demand.arrivals(s, t0, t1, demand.growth_index(s, m), demography.index(s, m))
    new = rationing.deflect(s, new)
    back = assessment.unmet_returns(s, t1)
    relapsed = prevention.relapses(s, t1)
    assessment.enqueue(s, _concat(new, back, relapsed))
    assessment.give_ups(s, t1)
    eligible = assessment.complete(s, t1)
    prevention.route(s, eligible)
    prevention.complete(s, t1)
    user_events(s, t1)
    transformation_spend, tally = finance.month_end(s, d0, t1, spent)
    rationing.record(s)
    rationing.plan(s, d0, t0, t1)
    prevention.accrue_shadow(s, t0, t1)
    v = s.rec.values[m]
    s.rec.set("cashable_savings_gbp", sum(v[:, INDEX[k]] for k in LEVER_METRICS.values()))
    community = tally.users[:, 1:].sum(axis=1)  # the population is unchanged since the pass
    transformation.update(s, transformation_spend, community, t1 - t0)
    record_stocks(s, tally)


def _calendar(env: simpy.Environment, s: ModelState, boundaries: list[dt.date]):
    """The dispatcher: one step per month at its stored boundary time (no accumulated now)."""
    for m, (d0, d1) in enumerate(itertools.pairwise(boundaries)):
        step_month(s, m, d0, d1)
        yield env.timeout(s.cal.day(d1) - env.now)
    s.rec.month = len(boundaries) - 2
    close_year(s)


def run_replication(
    params: Scenario, codes: list[str], replication: int, inputs: CouncilInputs | None = None
) -> ReplicationResult:
    """Run one replication for the councils ``codes`` (GSS codes, in data order).

    Parameters
    ----------
    params : Scenario
        The resolved scenario.
    codes : list of str
        Councils to simulate; each council's results do not depend on which others are run.
    replication : int
        Replication number (0-based); with ``params.run.seed`` it keys every random stream.

    Returns
    -------
    ReplicationResult
    """
    s = build_state(params, codes, replication, inputs)
    env = simpy.Environment()
    boundaries = s.cal.month_starts()
    env.process(_calendar(env, s, boundaries))
    env.run()
    return ReplicationResult(
        codes=list(s.inp.codes),
        month_ends=s.cal.month_ends(),
        monthly=s.rec.values,
        fy_records=s.services.fy_records,
        ledger=s.finance.ledger_rows,
    )
