"""Savings levers (part of process 8): how a council plans to cover its savings requirement.

**Levers**, in the scenario's ``finance.levers.order``, each planned up to its own cap until the
requirement is covered: procurement (package prices cut by up to ``procurement_max_share``);
prevention (last year's cashable prevention savings; no action); package reductions at review (a
share of reviews, up to ``package_cut_share_of_reviews``, cut packages by ``package_cut_size``);
eligibility (threshold raised one band, not above ``eligibility_max_threshold``); staff cuts (up
to ``staff_cut_max_share`` of assessment, review and personalisation posts). The *cashable
savings* in the ledger are what each lever then changed, measured as it happens (price x volume;
cost before minus after; packages not started; posts x cost; avoided spend minus reablement
cost, cashable only as far as package spend fell on the year before), never set equal to the
requirement.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pydantic import field_validator

from caresim.model.assessment import servers_for
from caresim.model.costs import mean_cost
from caresim.model.parts import Metric
from caresim.model.population import COMMUNITY
from caresim.model.reviews import review_servers
from caresim.model.state import ModelState
from caresim.params.section import Fraction, Section
from caresim.params.values import Setting, one_of
from caresim.params.vocabulary import LEVERS, NEED_BANDS


class Levers(Section):
    """How far each savings lever can go in one financial year."""

    order: Setting
    procurement_max_share: Fraction  # type: ignore[valid-type]
    package_cut_share_of_reviews: Fraction  # type: ignore[valid-type]
    package_cut_size: Fraction  # type: ignore[valid-type]
    eligibility_max_threshold: Setting
    staff_cut_max_share: Fraction  # type: ignore[valid-type]

    @field_validator("order")
    @classmethod
    def _order(cls, v: Setting) -> Setting:
        order = v.value
        if (not isinstance(order, list | tuple) or sorted(order) != sorted(LEVERS)
                or len(set(order)) != len(order)):
            raise ValueError(
                f"expected a list of each lever once ({', '.join(LEVERS)}); "
                f"found {list(order) if isinstance(order, tuple) else order!r}"
            )
        return v

    @field_validator("eligibility_max_threshold")
    @classmethod
    def _threshold(cls, v: Setting) -> Setting:
        return one_of(v, NEED_BANDS)


MEAN_YEAR_REMAINING = 0.5
"""Share of the financial year left, on average, after a review or an assessment: events spread
evenly over the year leave half of it to run (derived, not a parameter). Used only to plan how
much the package-reduction and eligibility levers can save in the year; what they save is
measured as it happens."""
LEVER_METRICS = {lever: f"savings_{lever}_gbp" for lever in LEVERS}


SAVINGS: tuple[Metric, ...] = (
    Metric(
        "savings_prevention_gbp",
        "GBP",
        "flow",
        "prevention, cashable: cost avoidance only as far as package spend fell on the year "
        "before; booked in the last month of the financial year",
    ),
    Metric(
        "savings_package_reductions_gbp",
        "GBP",
        "flow",
        "package reductions at review: cost before minus after, to the end of the financial year",
    ),
    Metric(
        "savings_eligibility_gbp",
        "GBP",
        "flow",
        "eligibility tightening: packages not started by people the old threshold would have "
        "served, to year end",
    ),
    Metric("savings_staff_cuts_gbp", "GBP", "flow", "staff cuts: posts cut x cost"),
)
"""Cashable savings of the other levers."""


def plan(s: ModelState, requirement: np.ndarray, proj_packages: np.ndarray,
         proj_community: np.ndarray, staff_total: np.ndarray, date: dt.date,
         own: dict[str, np.ndarray] | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Plan the year's levers in ``finance.levers.order`` until ``requirement`` (GBP) is
    covered, each up to its cap; set the year's lever settings and the teams' servers.

    ``proj_packages`` and ``proj_community`` are the year's projected package spend (all, and
    community), ``staff_total`` the projected staff and core transformation spend (GBP).
    ``own`` holds a finance director's own plan for the year by lever (GBP; NaN for a council
    without one, :func:`caresim.model.own_plan.planned_savings`): where given, each lever is
    planned at the council's figure up to its cap instead of by the requirement.

    Returns
    -------
    planned : dict of numpy.ndarray
        Each lever's planned savings (GBP): the council's own figure where it has a plan, else
        what the model planned to take from the lever.
    beyond_caps : numpy.ndarray
        The part of a council's own plan beyond what the levers can deliver (GBP; 0 without
        a plan).
    """
    lv, st = s.p.finance.levers, s.finance
    remaining = requirement.copy()
    has_own = np.zeros(s.n, bool) if own is None else ~np.isnan(own[LEVERS[0]])
    planned: dict[str, np.ndarray] = {}
    beyond = np.zeros(s.n)
    st.procurement_cut = np.zeros(s.n)
    st.package_cut_p = np.zeros(s.n)
    st.eligibility_raised_from = np.full(s.n, -1, dtype=np.int8)
    st.staff_cut_monthly_gbp = np.zeros(s.n)
    for lever in lv.order.value:
        want = remaining if own is None else np.where(has_own, own[lever], remaining)
        if lever == "procurement":
            cap = lv.procurement_max_share.value * proj_packages
            use = np.minimum(cap, want)
            st.procurement_cut = np.where(proj_packages > 0, use / np.maximum(proj_packages, 1), 0)
        elif lever == "prevention":
            cap = np.maximum(st.last_prevention_savings_gbp, 0.0)
            use = np.minimum(cap, want)
        elif lever == "package_reductions":
            cap = (lv.package_cut_share_of_reviews.value * lv.package_cut_size.value
                   * proj_community * MEAN_YEAR_REMAINING)
            use = np.minimum(cap, want)
            st.package_cut_p = np.where(cap > 0, lv.package_cut_share_of_reviews.value
                                        * use / np.maximum(cap, 1e-9), 0.0)
        elif lever == "eligibility":
            threshold = s.assessment.threshold
            max_band = NEED_BANDS.index(lv.eligibility_max_threshold.value)
            can = (threshold < max_band) & (want > 0)
            band = np.minimum(threshold, 3)
            mix = s.p.demand.need_mix_assessed.vector()
            cost = mean_cost(s, np.arange(s.n), np.ones(s.n, np.int8), band.astype(np.int8),
                             np.full(s.n, COMMUNITY, np.int8))
            cap = st.assessments_last_fy * mix[band] * cost * MEAN_YEAR_REMAINING
            use = np.where(can, np.minimum(cap, want), 0.0)
            st.eligibility_raised_from = np.where(can, threshold, -1).astype(np.int8)
            s.assessment.threshold = np.where(can, threshold + 1, threshold).astype(np.int8)
        elif lever == "staff_cuts":
            cap = lv.staff_cut_max_share.value * staff_total
            use = np.minimum(cap, want)
            share = np.where(staff_total > 0, use / np.maximum(staff_total, 1e-9), 0.0)
            st.staff_cut_monthly_gbp = share * staff_total / 12.0
            st.staff_factor = st.staff_factor * (1 - share)
            s.assessment.fte = s.assessment.fte * (1 - share)
            s.reviews.fte = s.reviews.fte * (1 - share)
            st.transformation_cut = 1 - (1 - st.transformation_cut) * (1 - share)
        else:
            raise ValueError(f"finance.levers.order: unknown lever {lever!r}")
        remaining = remaining - use
        planned[lever] = np.where(has_own, want, use)
        possible = np.where(can, cap, 0.0) if lever == "eligibility" else cap
        beyond += np.where(has_own, np.maximum(want - possible, 0.0), 0.0)
    t = s.cal.day(date)
    s.assessment.pool.set_servers(servers_for(s, s.assessment.fte), t)
    s.reviews.pool.set_servers(review_servers(s, s.reviews.fte), t)
    if np.any(st.procurement_cut > 0):
        act = s.pop.active
        s.pop.cost[act] *= 1 - st.procurement_cut[s.pop.council[act]]
        st.price_index *= 1 - st.procurement_cut
    return planned, beyond
