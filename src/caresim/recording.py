"""What is observed: the metric registry and the per-council monthly recorder.

Every metric has a unit and a kind: ``stock`` (its value at the end of the period) or ``flow``
(a total over the period). Ratios (``kind = ratio``) are never summed: they are recomputed from
their numerator and denominator at every level (council, national, month, financial year), so
national values are ratios of national sums (DESIGN §3). ``docs/outputs.md`` is generated from
this registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Metric:
    """A recorded quantity."""

    name: str
    unit: str
    kind: str  # "stock", "flow" or "ratio"
    description: str
    numerator: str = ""
    denominator: str = ""
    fy_only: bool = False


_M = Metric
METRICS: tuple[Metric, ...] = (
    # stocks: value at the end of the period
    _M("users_community", "people", "stock", "people with ongoing community-based support"),
    _M(
        "users_residential",
        "people",
        "stock",
        "people in council-supported residential or nursing care",
    ),
    _M(
        "users_arranged", "people", "stock", "community users with council-arranged support (no PB)"
    ),
    _M(
        "users_pb_managed",
        "people",
        "stock",
        "community users with a council-managed personal budget",
    ),
    _M(
        "users_dp",
        "people",
        "stock",
        "community users taking their personal budget as a direct payment",
    ),
    _M(
        "pb_holders",
        "people",
        "stock",
        "community users with a PB or DP (numerator of pb_share_adass)",
    ),
    _M(
        "pb_share_adass",
        "fraction",
        "ratio",
        "ADASS measure on a date: people with a PB or DP / eligible people with ongoing community "
        "support on that date",
        "pb_holders",
        "users_community",
    ),
    _M(
        "dp_share_of_pb",
        "fraction",
        "ratio",
        "direct payments / PB holders",
        "users_dp",
        "pb_holders",
    ),
    _M(
        "readiness_sum",
        "index",
        "stock",
        "sum over councils of transformation readiness R (numerator of readiness)",
    ),
    _M("councils", "councils", "stock", "number of councils (denominator of readiness)"),
    _M(
        "readiness",
        "index",
        "ratio",
        "mean transformation readiness R over councils, 0-1",
        "readiness_sum",
        "councils",
    ),
    _M(
        "unmet_need",
        "people",
        "stock",
        "people assessed as not eligible, or who gave up waiting, whose needs may yet bring "
        "them back",
    ),
    _M("assessment_queue", "people", "stock",
       "people who have asked for an assessment and not yet completed it (waiting or being "
       "assessed)"),
    _M("assessment_fte", "FTE", "stock", "assessment staff"),
    _M("review_fte", "FTE", "stock", "review staff"),
    _M(
        "threshold_substantial_plus",
        "councils",
        "stock",
        "councils whose FACS threshold is substantial or critical",
    ),
    _M(
        "share_councils_substantial_plus",
        "fraction",
        "ratio",
        "share of councils whose FACS threshold is substantial or critical",
        "threshold_substantial_plus",
        "councils",
    ),
    _M("ring_fenced_balance_gbp", "GBP", "stock", "unspent ring-fenced grant"),
    _M("package_cost_gbp_per_year", "GBP/year", "stock", "annual cost of all packages in place"),
    _M(
        "pb_money_gbp_per_year",
        "GBP/year",
        "stock",
        "annual value of all personal budgets (managed and DP)",
    ),
    _M("dp_money_gbp_per_year", "GBP/year", "stock", "annual value of all direct payments"),
    _M(
        "dp_share_of_pb_money",
        "fraction",
        "ratio",
        "DP money / all PB money",
        "dp_money_gbp_per_year",
        "pb_money_gbp_per_year",
    ),
    # flows: totals over the period
    _M("new_requests", "contacts", "flow", "contacts from new clients"),
    _M("resolved_at_contact", "contacts", "flow", "contacts resolved at first contact"),
    _M(
        "met_without_assessment",
        "contacts",
        "flow",
        "referred on but met without a full assessment (equipment, short-term help)",
    ),
    _M(
        "assessment_requests",
        "people",
        "flow",
        "people joining the assessment queue (new, returning, relapsed)",
    ),
    _M("returns_unmet", "people", "flow", "people returning because unmet needs deteriorated"),
    _M("assessments", "assessments", "flow", "assessments completed"),
    _M(
        "assessment_wait_days",
        "days",
        "flow",
        "total wait before assessment of assessments started",
    ),
    _M("assessments_started", "assessments", "flow", "assessments started"),
    _M(
        "reneged",
        "people",
        "flow",
        "people who gave up waiting for an assessment (they join unmet need)",
    ),
    _M(
        "mean_wait_days",
        "days",
        "ratio",
        "mean wait before an assessment starts",
        "assessment_wait_days",
        "assessments_started",
    ),
    _M("eligible", "people", "flow", "people assessed as eligible"),
    _M("ineligible", "people", "flow", "people assessed as not eligible (new unmet need)"),
    _M("reablement_episodes", "episodes", "flow", "reablement episodes started"),
    _M(
        "reablement_no_package",
        "people",
        "flow",
        "reablement episodes ending with no package needed",
    ),
    _M("service_starts", "people", "flow", "long-term services started"),
    _M(
        "starts_residential",
        "people",
        "flow",
        "care-home placements started (including moves from community)",
    ),
    _M("exits", "people", "flow", "people leaving services"),
    _M("exits_death", "people", "flow", "people leaving services: died"),
    _M("exits_nhs_or_self_funded", "people", "flow",
       "people leaving services: to NHS-funded care or paying for themselves"),
    _M("exits_recovery", "people", "flow", "people leaving services: no longer needing support"),
    _M("reviews", "reviews", "flow", "reviews completed"),
    _M(
        "pb_offer_opportunities",
        "people",
        "flow",
        "new and reviewed community users without a PB (denominator of offer_share)",
    ),
    _M("pb_offers", "people", "flow", "PB offers made to them"),
    _M(
        "offer_share",
        "fraction",
        "ratio",
        "share of new and reviewed users without a PB offered one",
        "pb_offers",
        "pb_offer_opportunities",
    ),
    _M("pb_take_ups", "people", "flow", "PBs taken up"),
    _M("package_cuts", "people", "flow", "packages cut at review"),
    _M("spend_residential_gbp", "GBP", "flow", "gross spend on residential and nursing care"),
    _M("spend_arranged_gbp", "GBP", "flow", "gross spend on council-arranged community support"),
    _M("spend_pb_managed_gbp", "GBP", "flow", "gross spend on council-managed personal budgets"),
    _M("spend_dp_gbp", "GBP", "flow", "gross spend on direct payments"),
    _M("spend_assessment_staff_gbp", "GBP", "flow", "assessment staff"),
    _M("spend_review_staff_gbp", "GBP", "flow", "review staff"),
    _M("spend_transformation_gbp", "GBP", "flow", "transformation (grant-funded and core)"),
    _M("spend_prevention_gbp", "GBP", "flow", "reablement episodes"),
    _M("spend_gbp", "GBP", "flow", "gross spend, all lines"),
    _M("income_charges_gbp", "GBP", "flow", "client charges"),
    _M("income_nhs_gbp", "GBP", "flow", "NHS transfers (including NHS reablement money)"),
    _M("income_gbp", "GBP", "flow", "income: client charges and NHS transfers"),
    _M("net_spend_gbp", "GBP", "flow", "gross spend minus income"),
    _M("grant_received_gbp", "GBP", "flow", "Social Care Reform Grant received"),
    _M("grant_spent_gbp", "GBP", "flow", "Social Care Reform Grant spent"),
    _M(
        "cashable_savings_gbp",
        "GBP",
        "flow",
        "cashable savings from all levers, computed from what each changed",
    ),
    _M("savings_procurement_gbp", "GBP", "flow", "procurement: price cut x volume of packages"),
    _M(
        "prevention_avoided_gbp",
        "GBP",
        "flow",
        "prevention cost avoidance: package spend reabled people were assessed for minus what "
        "they cost, less reablement spend (not all cashable)",
    ),
    _M(
        "savings_prevention_gbp",
        "GBP",
        "flow",
        "prevention, cashable: cost avoidance only as far as package spend fell on the year "
        "before; booked in the last month of the financial year",
    ),
    _M(
        "savings_package_reductions_gbp",
        "GBP",
        "flow",
        "package reductions at review: cost before minus after, to the end of the financial year",
    ),
    _M(
        "savings_eligibility_gbp",
        "GBP",
        "flow",
        "eligibility tightening: packages not started by people the old threshold would have "
        "served, to year end",
    ),
    _M("savings_staff_cuts_gbp", "GBP", "flow", "staff cuts: posts cut x cost"),
    _M(
        "grant_diverted_gbp",
        "GBP",
        "flow",
        "grant put to core budget pressures (only when not ring-fenced)",
    ),
    # financial-year only
    _M(
        "pb_share_ascof_num",
        "people",
        "flow",
        "people with self-directed support at any time in the year",
        fy_only=True,
    ),
    _M(
        "pb_share_ascof_den",
        "people",
        "flow",
        "people receiving community-based services at any time in the year",
        fy_only=True,
    ),
    _M(
        "pb_share_ascof",
        "fraction",
        "ratio",
        "NI 130 / ASCOF 1C over a financial year",
        "pb_share_ascof_num",
        "pb_share_ascof_den",
        fy_only=True,
    ),
    _M(
        "users_served_in_fy",
        "people",
        "flow",
        "people receiving services at any time in the year (RAP sense)",
        fy_only=True,
    ),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
RECORDED: tuple[str, ...] = tuple(m.name for m in METRICS if m.kind != "ratio")
INDEX: dict[str, int] = {name: i for i, name in enumerate(RECORDED)}


class Recorder:
    """Monthly per-council values of every recorded (non-ratio) metric.

    ``values[month, council, metric]``: flows are added during the month, stocks set at its end.
    """

    def __init__(self, n_months: int, n_councils: int,
                 month_start_days: np.ndarray | None = None) -> None:
        self.values = np.zeros((n_months, n_councils, len(RECORDED)))
        self.month = 0
        self.month_start_days = month_start_days

    def add_at_times(self, name: str, council: np.ndarray, days: np.ndarray,
                     weights: np.ndarray | None = None) -> None:
        """Add per-event counts (or weights) to the months their times ``days`` fall in;
        events after the last month are dropped."""
        n_months, n = self.values.shape[:2]
        month = np.searchsorted(self.month_start_days, days, side="right") - 1
        keep = np.flatnonzero((month >= 0) & (month < n_months))
        w = None if weights is None else weights[keep]
        flat = np.bincount(month[keep] * n + council[keep], w, minlength=n_months * n)
        self.values[:, :, INDEX[name]] += flat.reshape(n_months, n)

    def add(self, name: str, per_council: np.ndarray) -> None:
        """Add a flow (array over councils) to the current month."""
        self.values[self.month, :, INDEX[name]] += per_council

    def add_at(self, name: str, council: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add counts (or weights) per event, given each event's council index."""
        n = self.values.shape[1]
        self.values[self.month, :, INDEX[name]] += np.bincount(council, weights, minlength=n)

    def set(self, name: str, per_council: np.ndarray) -> None:
        """Set a stock (array over councils) for the current month."""
        self.values[self.month, :, INDEX[name]] = per_council
