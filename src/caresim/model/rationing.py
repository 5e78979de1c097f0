"""Rationing (part of process 8, finance): how a council closes an in-year gap its reserves
above the floor cannot absorb (issue 15; Slasberg 2018, "spend follows budgets").

**Forecast.** At each month end a council forecasts its year-end position: the net budget plus
the year's income and grant so far, less the year's gross spend so far, plus the rest of the
year at this month's run rate (income and grant less spend). The *gap* is what takes the
forecast closing reserves below the floor plus a margin (``forecast_margin_share_of_budget`` x
the net budget): ``max(0, -forecast - (reserves - floor) + margin)``, GBP.

**Plan.** The gap is filled by the mechanisms in ``finance.rationing.order``, each up to its cap,
like the savings levers (:mod:`caresim.model.levers`): a mechanism at intensity 1 is expected to
save ``cap = flow a month x reach x mean package x left**2 / 24`` over the ``left`` months left
(a change in month j of those saves to the year end, (left - j + 1/2)/12 years), so a gap of
``g`` raises its intensity by ``min(1 - intensity, g / cap)`` and what it cannot cover passes
to the next. The forecast is made again every month and intensities carry over: within the
year they only rise; April's forecast, the first on a new budget, can ease them (in the reverse
order) when it is above its aim.

**The gap beyond every cap.** Issue 15's last mechanism, cuts to low-level community services
(day care, meals), is not one here: the model has one community package, not services by type.
So the gap is written down instead: at the year end, the overspend beyond reserves above the
floor (what rationing could not close within its caps, and the margin did not absorb) is met
from the council's general fund, its other services or its corporate budget
(:mod:`caresim.model.reserves`, ledger line and metric ``general_fund_support_gbp``), and
reserves close at the floor. No council-year closes below its floor, whatever the caps
(tests/functional/test_budgets.py checks it in every bundled scenario).

**Mechanisms** (each recorded in people and pounds, saved = what it changed):

- *deflection*: a share ``intensity x deflection_max_share`` of new requests for assessment is
  resolved at the front door instead (counted with ``resolved_at_contact``, as a return would
  see it). Saved: a community package at the mean cost for their age and need, from their
  request to the year end, for those whose need meets the published threshold.
- *covert_eligibility*: each person assessed has a continuous need score, their band plus a
  uniform position within it; the effective cut-off is the published FACS threshold plus
  ``intensity x covert_max_band_share`` of a band, while the published band stays. People in
  the threshold band below the cut-off are found not eligible (they go to unmet need like
  anyone else found not eligible). Saved: their mean community package to the year end.
- *reassessment*: a share ``intensity x reassessment_max_share_of_reviews`` of reviews re-judge
  a community user against the effective cut-off, their position within the band judged afresh
  at the review; below it, they lose their service and join unmet need. Saved: their package to
  the year end.
- *allocation*: community packages set at assessment and at review are scaled by the
  allocation factor ``1 - intensity x (1 - allocation_factor_min)``. Saved: cost before minus
  after, to the year end.

**Unmet need in two kinds.** ``unmet_need_recorded``: people assessed as not eligible under the
published threshold, or who gave up waiting; returns see them (RAP: assessed, no service;
ASC-CAR: people not served). ``unmet_need_latent``: people deflected at the front door, refused
under the covert cut-off or withdrawn at reassessment; no return records why (a deflected
person is a contact resolved at first contact, a covert refusal an ordinary ineligible
assessment, a withdrawal an ordinary end of service).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from pydantic import field_validator

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import reserves
from caresim.model.costs import SPEND_LINES, mean_cost
from caresim.model.parts import LedgerLine, Metric
from caresim.model.population import COMMUNITY
from caresim.model.state import ModelState
from caresim.params.section import DatedFraction, Fraction, Section
from caresim.params.values import Setting, quantity
from caresim.params.vocabulary import RATIONING


class Rationing(Section):
    """How far each in-year rationing mechanism can go, and in which order they are used."""

    order: Setting
    deflection_max_share: DatedFraction  # type: ignore[valid-type]
    covert_max_band_share: Fraction  # type: ignore[valid-type]
    reassessment_max_share_of_reviews: Fraction  # type: ignore[valid-type]
    allocation_factor_min: quantity(  # type: ignore[valid-type]
        "ratio", 0.0, 1.0, "an allocation factor (a package's share of its assessed value)")
    forecast_margin_share_of_budget: Fraction  # type: ignore[valid-type]

    @field_validator("order")
    @classmethod
    def _order(cls, v: Setting) -> Setting:
        order = v.value
        if (not isinstance(order, list | tuple) or sorted(order) != sorted(RATIONING)
                or len(set(order)) != len(order)):
            raise ValueError(
                f"expected a list of each rationing mechanism once ({', '.join(RATIONING)}); "
                f"found {list(order) if isinstance(order, tuple) else order!r}")
        return v


MONTHS_IN_YEAR = 12
"""Month ends in a financial year (a calendar fact, not a parameter)."""
COVERT = RATIONING.index("covert_eligibility")
"""The covert cut-off's column of the intensities (reassessment reaches as far as it does)."""

SAVED = {m: f"rationing_{m}_gbp" for m in RATIONING}
"""The metric of each mechanism's saving (GBP)."""
PEOPLE = {"deflection": "rationed_deflected", "covert_eligibility": "rationed_covert",
          "reassessment": "rationed_withdrawn", "allocation": "rationed_allocation"}
"""The metric of the people each mechanism rationed."""

FLOWS: tuple[Metric, ...] = (
    Metric("rationed_deflected", "people", "flow",
           "people deflected at the front door by rationing (counted as resolved at contact)"),
    Metric("rationed_covert", "people", "flow",
           "people eligible under the published FACS threshold found not eligible under the "
           "effective (covert) cut-off"),
    Metric("rationed_withdrawn", "people", "flow",
           "community users who lost their service at a reassessment against the effective "
           "cut-off"),
    Metric("rationed_allocation", "people", "flow",
           "community packages scaled down by the allocation factor at assessment or review"),
    Metric("rationing_deflection_gbp", "GBP", "flow",
           "deflection: mean community packages of deflected people the published threshold "
           "would have served, to the year end"),
    Metric("rationing_covert_eligibility_gbp", "GBP", "flow",
           "covert eligibility: mean community packages of people refused under the effective "
           "cut-off, to the year end"),
    Metric("rationing_reassessment_gbp", "GBP", "flow",
           "reassessment: packages withdrawn at review, to the year end"),
    Metric("rationing_allocation_gbp", "GBP", "flow",
           "allocation scaling: package cost before minus after, to the year end"),
    Metric("rationing_gbp", "GBP", "flow", "rationing, all mechanisms"),
    Metric("unmet_need_recorded", "people", "flow",
           "new recorded unmet need, which returns see: assessed as not eligible under the "
           "published threshold, or gave up waiting"),
    Metric("unmet_need_latent", "people", "flow",
           "new latent unmet need, which no return shows as such: deflected at the front door, "
           "refused under the covert cut-off, or withdrawn at reassessment"),
)
"""Rationing by mechanism in people and pounds, and the two kinds of unmet need."""

STOCKS: tuple[Metric, ...] = (
    Metric("councils_counted", "councils", "stock", "councils run (1 each)"),
    Metric("eligibility_published_total", "band", "stock",
           "published FACS threshold (band index: 0 low .. 3 critical), summed over councils"),
    Metric("eligibility_effective_total", "band", "stock",
           "effective eligibility cut-off (band index plus the covert share of a band), summed "
           "over councils"),
    Metric("eligibility_published", "band", "ratio",
           "published FACS threshold (band index: 0 low .. 3 critical; mean over councils)",
           "eligibility_published_total", "councils_counted"),
    Metric("eligibility_effective", "band", "ratio",
           "effective eligibility cut-off applied in assessments (band index plus the covert "
           "share of a band; mean over councils)",
           "eligibility_effective_total", "councils_counted"),
)
"""Published and effective eligibility at the end of the period."""

_GROUP = "Rationing"
LEDGER_LINES: tuple[LedgerLine, ...] = (
    LedgerLine("rationing_deflection_gbp", "Deflection at the front door",
               "deflection: packages the published threshold would have started, to year end",
               _GROUP),
    LedgerLine("rationing_covert_eligibility_gbp", "Covert eligibility",
               "packages refused under the effective cut-off, to year end", _GROUP),
    LedgerLine("rationing_reassessment_gbp", "Reassessment at review",
               "packages withdrawn at review, to year end", _GROUP),
    LedgerLine("rationing_allocation_gbp", "Allocation scaling",
               "package cost before minus after the allocation factor, to year end", _GROUP),
    LedgerLine("rationing_gbp", "Total rationing", "rationing, all mechanisms", _GROUP,
               total=True),
    *(LedgerLine(name, name.replace("_", " "), f"people rationed: {name}", _GROUP, shown=False)
      for name in PEOPLE.values()),
)
"""Rationing by mechanism in the ledger: pounds, and people (not shown as money)."""


@dataclass
class RationingState:
    """Each council's rationing settings for the rest of the month (arrays over councils)."""

    n: int
    intensity: np.ndarray = field(init=False)
    deflect_p: np.ndarray = field(init=False)
    cutoff_offset: np.ndarray = field(init=False)
    reassess_p: np.ndarray = field(init=False)
    allocation: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """No rationing: every mechanism at intensity 0."""
        n = self.n
        self.intensity = np.zeros((n, len(RATIONING)))
        self.deflect_p = np.zeros(n)
        self.cutoff_offset = np.zeros(n)
        self.reassess_p = np.zeros(n)
        self.allocation = np.ones(n)


def init_state(n: int) -> RationingState:
    """No rationing before the first forecast."""
    return RationingState(n)


def _years_left(s: ModelState, t: np.ndarray) -> np.ndarray:
    return np.maximum(s.finance.fy_end_day - t, 0.0) / DAYS_PER_YEAR


def _community_cost(s: ModelState, council: np.ndarray, age: np.ndarray,
                    need: np.ndarray) -> np.ndarray:
    return mean_cost(s, council, age, need, np.full(len(council), COMMUNITY, np.int8))


def deflect(s: ModelState, req: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """New requests ``req`` (columns ``t``, ``council``, ``age``, ``need``) less those
    deflected at the front door; the deflected are counted and their saving booked."""
    p = s.rationing.deflect_p
    if len(req["t"]) == 0 or not p.any():
        return req
    c = req["council"]
    # only councils deflecting draw, so a council's stream never depends on the others
    at = np.flatnonzero(p[c] > 0)
    u = s.draw("rationing.deflection", c[at], lambda g, k: g.random(k))
    is_out = np.zeros(len(c), bool)
    is_out[at] = u < p[c[at]]
    out = np.flatnonzero(is_out)
    if len(out) == 0:
        return req
    s.rec.add_at(PEOPLE["deflection"], c[out])
    s.rec.add_at("resolved_at_contact", c[out])
    need = req["need"]
    would = out[need[out] >= s.assessment.threshold[c[out]]]
    cw = c[would]
    saved = (_community_cost(s, cw, req["age"][would], need[would])
             * _years_left(s, req["t"][would]))
    s.rec.add_at(SAVED["deflection"], cw, saved)
    keep = np.flatnonzero(~is_out)
    return {k: v[keep] for k, v in req.items()}


def covert_refusals(s: ModelState, t: np.ndarray, council: np.ndarray, age: np.ndarray,
                    need: np.ndarray, is_eligible: np.ndarray) -> np.ndarray:
    """Positions of the people assessed at ``t`` who meet the published threshold
    (``is_eligible``) but fall below the effective cut-off; counted, their saving booked."""
    off = s.rationing.cutoff_offset
    if not off.any():
        return np.empty(0, np.int64)
    band = np.flatnonzero(is_eligible & (need == s.assessment.threshold[council])
                          & (off[council] > 0))
    cb = council[band]
    u = s.draw("rationing.need_score", cb, lambda g, k: g.random(k))
    hit = band[u < off[cb]]
    ch = council[hit]
    s.rec.add_at(PEOPLE["covert_eligibility"], ch)
    s.rec.add_at(SAVED["covert_eligibility"], ch,
                 _community_cost(s, ch, age[hit], need[hit]) * _years_left(s, t[hit]))
    return hit


def allocate(s: ModelState, t: np.ndarray, council: np.ndarray, cost: np.ndarray
             ) -> np.ndarray:
    """Community package costs (GBP/year) set at ``t`` scaled by the allocation factor; the
    people scaled and the saving (before minus after, to the year end) are booked."""
    f = s.rationing.allocation[council]
    cut = np.flatnonzero(f < 1.0)
    if len(cut) == 0:
        return cost
    out = cost * f
    cc = council[cut]
    s.rec.add_at(PEOPLE["allocation"], cc)
    s.rec.add_at(SAVED["allocation"], cc, (cost[cut] - out[cut]) * _years_left(s, t[cut]))
    return out


def at_review(s: ModelState, idx: np.ndarray, t: np.ndarray, council: np.ndarray,
              setting: np.ndarray) -> np.ndarray:
    """Reassessment and allocation at the reviews of rows ``idx`` at times ``t``: community
    users below the effective cut-off lose their service (their rows made inactive, spend
    accrued to ``t`` already); the others' packages are scaled by the allocation factor.

    Returns the positions (into ``idx``) of the people withdrawn.
    """
    rs, pop = s.rationing, s.pop
    gone = np.empty(0, np.int64)
    comm = np.flatnonzero(setting == COMMUNITY)
    if rs.reassess_p.any() and len(comm):
        at = comm[rs.reassess_p[council[comm]] > 0]  # only councils reassessing draw
        cc = council[at]
        u = s.draw("rationing.reassessment", cc, lambda g, k: g.random((k, 2)))
        rows = idx[at]
        cutoff = s.assessment.threshold[cc] + rs.cutoff_offset[cc]
        gone = at[(u[:, 0] < rs.reassess_p[cc]) & (pop.need[rows] + u[:, 1] < cutoff)]
        if len(gone):
            rows_g, cg = idx[gone], council[gone]
            s.rec.add_at(PEOPLE["reassessment"], cg)
            s.rec.add_at(SAVED["reassessment"], cg, pop.cost[rows_g] * _years_left(s, t[gone]))
            pop.active[rows_g] = False
            comm = comm[~np.isin(comm, gone)]
    if len(comm) and (rs.allocation < 1.0).any():
        rows = idx[comm]
        pop.cost[rows] = allocate(s, t[comm], council[comm], pop.cost[rows])
    return gone


def _caps(s: ModelState, date: dt.date, left: int, offset_now: np.ndarray
          ) -> dict[str, np.ndarray]:
    """Each mechanism's expected saving at intensity 1 over the ``left`` months left (GBP)."""
    rp, rec = s.p.finance.rationing, s.rec
    v, index = rec.values[rec.month], rec.index

    def cur(name: str) -> np.ndarray:
        return v[:, index[name]]

    threshold = np.minimum(s.assessment.threshold, 3).astype(np.int8)
    n = s.n
    package = _community_cost(s, np.arange(n), np.ones(n, np.int8), threshold)
    horizon = left**2 / 24.0  # months x years
    requests = cur("assessment_requests") + cur(PEOPLE["deflection"])
    assessed = np.maximum(cur("assessments"), 1.0)
    eligible_share = (cur("eligible") + cur(PEOPLE["covert_eligibility"])) / assessed
    in_band = s.p.demand.need_mix_assessed.vector()[threshold]
    reviews = cur("reviews")
    unit = package * horizon
    return {
        "deflection": rp.deflection_max_share.at(date) * requests * eligible_share * unit,
        "covert_eligibility": rp.covert_max_band_share.value * requests * in_band * unit,
        "reassessment": (rp.reassessment_max_share_of_reviews.value * reviews * in_band
                         * offset_now * unit),
        "allocation": (1.0 - rp.allocation_factor_min.value) * (cur("service_starts") + reviews)
                      * unit,
    }


def forecast_need_gbp(s: ModelState, t0: float, t1: float) -> np.ndarray:
    """What rationing must still save this year (GBP; negative: the forecast is that far above
    its aim): the floor plus the margin less the forecast closing reserves (module docstring).

    The month ``[t0, t1)`` (days) sets the run rate: package spend less client charges per day
    over the days left, everything else (staff, transformation, reablement, NHS money, grant)
    per month over the months left.
    """
    st, rec = s.finance, s.rec
    index = rec.index
    months = rec.values[st.fy_month0 : rec.month + 1]
    left = 12 - len(months)

    def net(v: np.ndarray) -> np.ndarray:
        return (v[:, index["income_gbp"]] + v[:, index["grant_spent_gbp"]]
                + v[:, index["grant_diverted_gbp"]] - v[:, index["spend_gbp"]])

    cur = months[-1]
    packages = sum(cur[:, index[k]] for k in SPEND_LINES) - cur[:, index["income_charges_gbp"]]
    days_left = max(st.fy_end_day - t1, 0.0)
    forecast = (st.budget_gbp + net(months.sum(axis=0)) + left * (net(cur) + packages)
                - packages / (t1 - t0) * days_left)
    margin = s.p.finance.rationing.forecast_margin_share_of_budget.value * st.budget_gbp
    return margin - reserves.headroom_gbp(s) - forecast


def plan(s: ModelState, date: dt.date, t0: float, t1: float) -> None:
    """Month end: forecast the year and move the mechanisms' intensities (module docstring).

    A shortfall raises them in ``finance.rationing.order``, each up to 1, by what it is
    expected to save in the months left. Only the year's first forecast (April's) can lower
    them: a forecast above its aim eases them in the reverse order, by what they would save in
    the months left; within the year rationing only tightens. The last month changes nothing
    (nothing is left to save in).
    """
    rp, rs = s.p.finance.rationing, s.rationing
    left = MONTHS_IN_YEAR - (s.rec.month - s.finance.fy_month0 + 1)
    if left <= 0:
        return
    need = forecast_need_gbp(s, t0, t1)
    short = np.maximum(need, 0.0)
    aprils = left == MONTHS_IN_YEAR - 1  # the year's first forecast, the only one that eases
    spare = np.maximum(-need, 0.0) if aprils else np.zeros(s.n)
    order = [RATIONING.index(m) for m in rp.order.value]
    i = rs.intensity
    caps = _caps(s, date, left, np.ones(s.n))  # reassessment's per band of cut-off raised

    def cap_of(k: int) -> np.ndarray:
        cap = caps[RATIONING[k]]
        if RATIONING[k] == "reassessment":  # it reaches as far as the covert cut-off does
            return cap * i[:, COVERT] * rp.covert_max_band_share.value
        return cap

    for k in order:
        cap = cap_of(k)
        add = np.where(cap > 0, np.minimum(1.0 - i[:, k], short / np.maximum(cap, 1e-9)),
                       (short > 0) * (1.0 - i[:, k]))
        i[:, k] += add
        short = np.maximum(short - add * cap, 0.0)
    for k in reversed(order):
        cap = cap_of(k)
        drop = np.where(cap > 0, np.minimum(i[:, k], spare / np.maximum(cap, 1e-9)), 0.0)
        i[:, k] -= drop
        spare = np.maximum(spare - drop * cap, 0.0)
    np.clip(i, 0.0, 1.0, out=i)
    rs.deflect_p = i[:, RATIONING.index("deflection")] * rp.deflection_max_share.at(date)
    rs.cutoff_offset = i[:, COVERT] * rp.covert_max_band_share.value
    rs.reassess_p = (i[:, RATIONING.index("reassessment")]
                     * rp.reassessment_max_share_of_reviews.value)
    rs.allocation = 1.0 - i[:, RATIONING.index("allocation")] * (
        1.0 - rp.allocation_factor_min.value)


def record(s: ModelState) -> None:
    """Month end: the month's rationing total and unmet need of both kinds; published and
    effective eligibility."""
    rec = s.rec
    v, index = rec.values[rec.month], rec.index

    def cur(name: str) -> np.ndarray:
        return v[:, index[name]]

    rec.set("rationing_gbp", sum(cur(m) for m in SAVED.values()))
    rec.set("unmet_need_recorded",
            cur("ineligible") - cur(PEOPLE["covert_eligibility"]) + cur("reneged"))
    rec.set("unmet_need_latent", sum(cur(m) for m in PEOPLE.values()
                                     if m != PEOPLE["allocation"]))
    published = s.assessment.threshold.astype(float)
    rec.set("councils_counted", np.ones(s.n))
    rec.set("eligibility_published_total", published)
    rec.set("eligibility_effective_total", published + s.rationing.cutoff_offset)


LEDGER_LINES_FROM_FLOWS: tuple[str, ...] = tuple(line.name for line in LEDGER_LINES)
"""The rationing ledger lines, each the year's total of the metric of the same name."""


def close_year(acc: dict[str, np.ndarray], flows: dict[str, np.ndarray]) -> None:
    """Add the year's rationing, by mechanism in pounds and people, to the ledger row
    (``flows``: the year's totals of :data:`LEDGER_LINES_FROM_FLOWS`)."""
    for name in LEDGER_LINES_FROM_FLOWS:
        acc[name] += flows[name]
