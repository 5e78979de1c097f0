"""Reviews (process 5): about yearly, limited by review staff.

A review falls due ``reviews.interval_days`` after the start or the last review. Due reviews join
the council's FIFO review queue (servers = review FTE x reviews per FTE a year x review duration
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

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import exits, finance
from caresim.model.costs import draw_cost, mean_cost
from caresim.model.population import ARRANGED, COMMUNITY, RESIDENTIAL
from caresim.model.services import choose_mode
from caresim.model.state import ModelState


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
        due = rows[pop.active[rows] & ~pop.review_queued[rows] & (pop.t_review[rows] < t1)]
    if len(due) == 0:
        return
    council = pop.council[due]
    dur = np.full(len(due), s.p.reviews.dur_review_days.value)
    start = s.review_pool.serve(council, pop.t_review[due], dur)
    pop.t_review[due] = start + dur
    pop.review_queued[due] = True


def review(s: ModelState, idx: np.ndarray) -> None:
    """Carry out the reviews of users ``idx`` at their completion times ``t_review``."""
    pop = s.pop
    rv = s.p.reviews
    t = pop.t_review[idx].copy()
    finance.accrue(s, idx, t)
    council = pop.council[idx]
    s.rec.add_at("reviews", council)
    u = s.draw("reviews.outcome", council, lambda g, k: g.random((k, 2)))
    if len(idx) == 0:
        return
    # 1. needs rise
    rise = (u[:, 0] < rv.p_need_rise.value) & (pop.need[idx] < 3)
    if rise.any():
        r = idx[rise]
        old = mean_cost(s, pop.council[r], pop.age[r], pop.need[r], pop.setting[r])
        pop.need[r] += 1
        new = mean_cost(s, pop.council[r], pop.age[r], pop.need[r], pop.setting[r])
        pop.cost[r] *= new / old
        move = r[(pop.need[r] == 3) & (pop.setting[r] == COMMUNITY)]
        if len(move):
            um = s.draw("reviews.move", pop.council[move], lambda g, k: g.random(k))
            move = move[um < rv.p_move_residential_when_critical.value]
        if len(move):
            pop.setting[move] = RESIDENTIAL
            pop.mode[move] = ARRANGED
            pop.cost[move] = draw_cost(s, "reviews.move_cost", pop.council[move], pop.age[move],
                                       pop.need[move], pop.setting[move])
            pop.t_exit[move] = exits.draw_exit_times(
                s, "reviews.move_exit", pop.council[move], pop.age[move], pop.setting[move],
                pop.t_review[move])
            s.rec.add_at("starts_residential", pop.council[move])
    # 2. PB offer
    offer = idx[(pop.setting[idx] == COMMUNITY) & (pop.mode[idx] == ARRANGED)]
    if len(offer):
        _, mode = choose_mode(s, "reviews.mode", pop.council[offer], pop.age[offer],
                              pop.t_review[offer])
        pop.mode[offer] = mode
        newly = offer[mode != ARRANGED]
        s.fy_ascof_num += np.bincount(pop.council[newly], minlength=s.n)
    # 3. package cut under budget pressure
    cut = (u[:, 1] < s.package_cut_p[council]) & (pop.setting[idx] == COMMUNITY)
    if cut.any():
        c_idx = idx[cut]
        before = pop.cost[c_idx].copy()
        pop.cost[c_idx] = before * (1.0 - s.p.finance.levers.package_cut_size.value)
        remaining_years = np.maximum(s.fy_end_day - pop.t_review[c_idx], 0.0) / 365.25
        saving = (before - pop.cost[c_idx]) * remaining_years
        s.rec.add_at("savings_package_reductions_gbp", pop.council[c_idx], saving)
        s.rec.add_at("package_cuts", pop.council[c_idx])
    pop.review_queued[idx] = False
    pop.t_review[idx] = t + rv.interval_days.value
