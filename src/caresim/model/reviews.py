"""Reviews (process 5): about yearly, limited by review staff.

A review falls due ``reviews.interval_days`` after the start or the last review. Due reviews join
the council's FIFO review queue (a person who leaves before the review would start drops out
and uses no reviewer time) (servers = review FTE x reviews per FTE a year x review duration
/ 365.25 days); the review happens when it completes. At a review, in this order:

1. needs may rise one band (probability ``p_need_rise``); the package is re-costed by the ratio
   of the need multipliers; a community user now critical moves into a care home with
   probability ``p_move_residential_when_critical`` (new residential cost, exit time redrawn);
2. a community user without a PB is offered one (see :mod:`caresim.model.services`);
3. under budget pressure (the package-reduction lever) the package is cut by
   ``levers.package_cut_size`` with the probability the council set for the year; the saving
   (cost before minus after, to the end of the financial year) is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import exits, personal_budgets, rationing
from caresim.model.assessment import to_unmet
from caresim.model.costs import accrue, draw_cost, mean_cost
from caresim.model.kernels import reviews_due
from caresim.model.parts import Metric, StaffTeam
from caresim.model.population import ARRANGED, COMMUNITY, RESIDENTIAL
from caresim.model.queueing import ServerPool
from caresim.model.services import choose_mode
from caresim.model.state import ModelState
from caresim.params.section import Days, Fraction, GBPPerYear, Probability, Section
from caresim.params.values import DateSetting, positive


class Reviews(Section):
    """Reviews of people in service (process 5)."""

    interval_days: Days  # type: ignore[valid-type]
    reviews_per_fte_year: positive("reviews/FTE/year")  # type: ignore[valid-type]
    dur_review_days: Days  # type: ignore[valid-type]
    utilisation_start: Fraction  # type: ignore[valid-type]
    cost_gbp_per_fte_year: GBPPerYear  # type: ignore[valid-type]
    p_need_rise: Probability  # type: ignore[valid-type]
    p_move_residential_when_critical: Probability  # type: ignore[valid-type]
    offer_all_from: DateSetting
    readiness_ready: Fraction  # type: ignore[valid-type]


STOCKS: tuple[Metric, ...] = (
    Metric("review_fte", "FTE", "stock", "review staff"),
)
"""Review staff at the end of the period."""


FLOWS: tuple[Metric, ...] = (
    Metric("reviews", "reviews", "flow", "reviews completed"),
)
"""Reviews completed."""


@dataclass
class ReviewsState(StaffTeam):
    """The review teams (a :class:`~caresim.model.parts.StaffTeam` whose yardstick ``demand0``
    is the people in service in April 2008)."""


def init_state(s: ModelState, fte: np.ndarray) -> ReviewsState:
    """Reviews on day 0: staff ``fte`` for the people in service."""
    st = ReviewsState(pool=ServerPool(np.zeros(s.n, np.int64)), fte=fte, fte0=fte.copy(),
                      demand0=s.inp.users_community + s.inp.users_residential)
    st.pool.set_servers(review_servers(s, fte), 0.0)
    return st


def review_servers(s: ModelState, fte: np.ndarray) -> np.ndarray:
    """Review slots from FTE (whole slots, at least one where FTE > 0)."""
    rv = s.p.reviews
    slots = fte * rv.reviews_per_fte_year.value * rv.dur_review_days.value / DAYS_PER_YEAR
    return np.where(fte > 0, np.maximum(1, np.rint(slots)), 0).astype(np.int64)


def enqueue_due(s: ModelState, t1: float, rows: np.ndarray | None = None) -> None:
    """Put reviews falling due before ``t1`` into the review queues; set their completion.

    ``rows`` (increasing row indices), if given, limits the search to those rows; it must
    include every row with a review falling due before ``t1``.
    """
    pop = s.pop
    if rows is None:
        due = np.flatnonzero(pop.active & ~pop.review_queued & (pop.t_review < t1))
    else:
        due = reviews_due(rows, pop.active, pop.review_queued, pop.t_review, t1)
    # people who leave before their review falls due never join the queue
    due = due[pop.t_exit[due] > pop.t_review[due]]
    if len(due) == 0:
        return
    council = pop.council[due]
    dur = np.full(len(due), s.p.reviews.dur_review_days.value)
    # a person who leaves while waiting drops out of the queue and uses no reviewer time
    start = s.reviews.pool.serve(council, pop.t_review[due], dur,
                                pop.t_exit[due] - pop.t_review[due])
    pop.t_review[due] = np.where(np.isnan(start), np.inf, start + dur)
    pop.review_queued[due] = True


def review(s: ModelState, idx: np.ndarray) -> None:
    """Carry out the reviews of users ``idx`` at their completion times ``t_review``.

    (Columns are read once for ``idx`` into local arrays kept in step with the population, and
    subsets are taken by index arrays rather than boolean masks: the same rows, faster.)
    """
    pop = s.pop
    rv = s.p.reviews
    t = pop.t_review[idx].copy()
    accrue(s, idx, t)
    council = pop.council[idx]
    s.rec.add_at("reviews", council)
    u = s.draw("reviews.outcome", council, lambda g, k: g.random((k, 2)))
    if len(idx) == 0:
        return
    setting = pop.setting[idx]
    # 1. needs rise
    j_rise = np.flatnonzero((u[:, 0] < rv.p_need_rise.value) & (pop.need[idx] < 3))
    if len(j_rise):
        r = idx[j_rise]
        c_r, age_r, set_r = council[j_rise], pop.age[r], setting[j_rise]
        need_r = pop.need[r]
        old = mean_cost(s, c_r, age_r, need_r, set_r)
        need_r = need_r + 1
        pop.need[r] = need_r
        new = mean_cost(s, c_r, age_r, need_r, set_r)
        pop.cost[r] *= new / old
        j_move = np.flatnonzero((need_r == 3) & (set_r == COMMUNITY))
        if len(j_move):
            um = s.draw("reviews.move", c_r[j_move], lambda g, k: g.random(k))
            p_move = rv.p_move_residential_when_critical.value * personal_budgets.move_ratio(
                s, pop.mode[r[j_move]])
            j_move = j_move[np.flatnonzero(um < p_move)]
        if len(j_move):
            move = r[j_move]
            c_m, age_m = c_r[j_move], age_r[j_move]
            set_m = np.full(len(move), RESIDENTIAL, dtype=pop.setting.dtype)
            pop.setting[move] = RESIDENTIAL
            setting[j_rise[j_move]] = RESIDENTIAL
            pop.mode[move] = ARRANGED
            pop.cost[move] = draw_cost(s, "reviews.move_cost", c_m, age_m, need_r[j_move], set_m)
            pop.t_exit[move] = exits.draw_exit_times(s, "reviews.move_exit", c_m, age_m, set_m,
                                                     t[j_rise[j_move]])
            s.rec.add_at("starts_residential", c_m)
            s.services.residents += np.bincount(c_m, minlength=s.n)
    # 2. PB offer
    j_offer = np.flatnonzero((setting == COMMUNITY) & (pop.mode[idx] == ARRANGED))
    if len(j_offer):
        offer = idx[j_offer]
        c_o = council[j_offer]
        _, mode = choose_mode(s, "reviews.mode", c_o, pop.age[offer], t[j_offer])
        pop.mode[offer] = mode
        pop.cost[offer] *= personal_budgets.take_up(s, c_o, mode)
        s.services.ascof_num += np.bincount(c_o[np.flatnonzero(mode != ARRANGED)], minlength=s.n)
    # 3. package cut under budget pressure
    j_cut = np.flatnonzero((u[:, 1] < s.finance.package_cut_p[council]) & (setting == COMMUNITY))
    if len(j_cut):
        c_idx = idx[j_cut]
        c_c = council[j_cut]
        before = pop.cost[c_idx].copy()
        pop.cost[c_idx] = before * (1.0 - s.p.finance.levers.package_cut_size.value)
        remaining_years = np.maximum(s.finance.fy_end_day - t[j_cut], 0.0) / DAYS_PER_YEAR
        saving = (before - pop.cost[c_idx]) * remaining_years
        s.rec.add_at("savings_package_reductions_gbp", c_c, saving)
        s.rec.add_at("package_cuts", c_c)
    # 4. rationing: reassessment against the effective cut-off, allocation scaling
    gone = rationing.at_review(s, idx, t, council, setting)
    if len(gone):
        rows = idx[gone]
        to_unmet(s, t[gone], council[gone], pop.age[rows], pop.need[rows])
    pop.review_queued[idx] = False
    pop.t_review[idx] = t + rv.interval_days.value
