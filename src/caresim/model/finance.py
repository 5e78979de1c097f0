"""Finance (processes 8 and 10): the budget year, savings levers, monthly spend and the ledger.

**Budget.** Each financial year (from 1 April) a council's net budget is last year's x (1 +
inflation) x (1 + demography allowance) x (1 + pass_through x m x LG real funding change), with
``m = austerity_multiplier`` for years from ``austerity_from`` where the LG change is a cut
(else 1). The first year starts from the net cost of the services in place on 1 April 2008 at
2008 prices (a balanced start) unless the council's ``opening_budget_gbp`` is overridden;
inflation applies from the second year.

**Requirement.** Projected net spend = packages in place x (1 + inflation) x (1 + demand growth)
x (1 - client charges share) + staff x (1 + inflation) + reablement and core transformation (their
budget shares) - NHS transfers. The savings requirement is the excess of projected net spend over
the budget, and at least the CSR07 efficiency requirement (``efficiency_requirement_per_year``
of last year's budget: cashable savings councils had to find to fund pressures); it and its
shortfall are ledger lines of their own.

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

**Spend and income.** Packages accrue exactly from each person's cost and times; staff, core
transformation and grant-funded transformation monthly; reablement at each episode's start.
Income: client charges (a share of package spend) and NHS transfers (national amounts shared by
demand share), including NHS reablement money.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pydantic import field_validator

from caresim.model.assessment import servers_for
from caresim.model.costs import SPEND_LINES, mean_cost
from caresim.model.kernels import MonthEnd, month_end_pass
from caresim.model.population import ARRANGED, COMMUNITY
from caresim.model.reviews import review_servers
from caresim.model.state import LEDGER_LINES, ModelState
from caresim.params.section import DatedFraction, DatedGBPPerYear, DatedRate, Fraction, Section
from caresim.params.values import DateSetting, Setting, positive
from caresim.params.vocabulary import LEVERS, NEED_BANDS
from caresim.recording import INDEX


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
        if v.value not in NEED_BANDS:
            raise ValueError(f"expected one of {', '.join(NEED_BANDS)}; found {v.value!r}")
        return v


class Finance(Section):
    """Budgets, income, savings requirements and the funding path (processes 8 and 10)."""

    inflation_per_year: DatedRate  # type: ignore[valid-type]
    demography_allowance_per_year: DatedRate  # type: ignore[valid-type]
    efficiency_requirement_per_year: DatedFraction  # type: ignore[valid-type]
    lg_funding_real_change_per_year: DatedRate  # type: ignore[valid-type]
    pass_through: Fraction  # type: ignore[valid-type]
    austerity_multiplier: positive("ratio")  # type: ignore[valid-type]
    austerity_from: DateSetting
    nhs_transfers_gbp_per_year: DatedGBPPerYear  # type: ignore[valid-type]
    client_charges_share_of_gross: Fraction  # type: ignore[valid-type]
    levers: Levers

MEAN_YEAR_REMAINING = 0.5
"""Share of the financial year left, on average, after a review or an assessment: events spread
evenly over the year leave half of it to run (derived, not a parameter). Used only to plan how
much the package-reduction and eligibility levers can save in the year; what they save is
measured as it happens."""
LEVER_METRICS = {lever: f"savings_{lever}_gbp" for lever in LEVERS}


def _package_totals(s: ModelState) -> tuple[np.ndarray, np.ndarray]:
    pop = s.pop
    act = pop.active
    total = np.bincount(pop.council[act], pop.cost[act], minlength=s.n)
    comm = act & (pop.setting == COMMUNITY)
    community = np.bincount(pop.council[comm], pop.cost[comm], minlength=s.n)
    return total, community


def _staff_cost(s: ModelState) -> np.ndarray:
    a, r = s.p.assessment, s.p.reviews
    return (s.assessment_fte * a.cost_gbp_per_fte_year.value +
            s.review_fte * r.cost_gbp_per_fte_year.value) * s.staff_cost_index


def _staff_to_demand(s: ModelState) -> None:
    """Councils staff to demand: April 2008 FTE x demand ratio x cumulative cut factor."""
    pop = s.pop
    users = np.bincount(pop.council[pop.active], minlength=s.n)
    a_ratio = s.assessments_last_fy / np.maximum(s.assessment_demand0, 1e-9)
    r_ratio = users / np.maximum(s.review_demand0, 1e-9)
    s.assessment_fte = s.assessment_fte0 * a_ratio * s.staff_factor
    s.review_fte = s.review_fte0 * r_ratio * s.staff_factor


def _nhs_income(s: ModelState, date: dt.date) -> tuple[np.ndarray, np.ndarray]:
    f, r = s.p.finance, s.p.reablement
    share = s.inp.demand_share
    return f.nhs_transfers_gbp_per_year.at(date) * share, \
        r.nhs_funding_gbp_per_year.at(date) * share


def start_year(s: ModelState, date: dt.date) -> None:
    """Set the budget, the savings requirement and the levers for the year starting ``date``."""
    f, p = s.p.finance, s.p
    first = s.fy_index < 0
    s.fy_index += 1
    from caresim.calendar import fy_of
    s.fy_label = fy_of(date)
    s.fy_end_day = s.cal.day(dt.date(date.year + 1, 4, 1))
    s.pop.compact()

    infl = 0.0 if first else f.inflation_per_year.at(date)
    growth = p.demand.growth_per_year.at(date)
    lg = f.lg_funding_real_change_per_year.at(date)
    if date >= f.austerity_from.value and lg < 0:
        lg *= f.austerity_multiplier.value
    reab_share = p.reablement.budget_share.at(date)
    core_share = p.transformation.core_share_of_budget.at(date)
    charges = f.client_charges_share_of_gross.value
    nhs_transfers, _ = _nhs_income(s, date)  # NHS reablement money funds its own spend

    if not first:
        _staff_to_demand(s)
    packages, community = _package_totals(s)
    if first:  # the yardstick for the first year's cashable prevention: the April 2008 run rate
        s.package_spend_last_fy = packages.copy()
    staff = _staff_cost(s)
    if first:
        derived = (packages * (1 - charges) + staff) / (1 - reab_share - core_share)
        s.base_budget_gbp = np.where(np.isnan(s.inp.opening_budget_gbp), derived,
                                     s.inp.opening_budget_gbp)
        s.budget_gbp = s.base_budget_gbp.copy()
    last_budget = s.budget_gbp.copy()
    budget = s.budget_gbp * (1 + infl) * (1 + f.demography_allowance_per_year.at(date)) * \
        (1 + f.pass_through.value * lg)
    if first:
        budget = np.where(np.isnan(s.inp.opening_budget_gbp), budget, s.inp.opening_budget_gbp)
    s.budget_gbp = budget

    proj_packages = packages * (1 + infl) * (1 + growth)
    proj_staff = staff * (1 + infl)
    proj_net = (proj_packages * (1 - charges) + proj_staff + (reab_share + core_share) * budget
                - nhs_transfers)
    floor = f.efficiency_requirement_per_year.at(date) * last_budget
    requirement = np.maximum(proj_net - budget, floor)

    # uprate prices and staff costs for the new year
    if infl:
        s.pop.cost[s.pop.active] *= 1 + infl
        s.price_index *= 1 + infl
        s.staff_cost_index *= 1 + infl

    _plan_levers(s, requirement, proj_packages, community * (1 + infl) * (1 + growth),
                 proj_staff + core_share * budget, date)

    s.ledger_acc = {line: np.zeros(s.n) for line in LEDGER_LINES}
    s.ledger_acc["baseline_budget_gbp"] += s.base_budget_gbp
    s.ledger_acc["opening_budget_gbp"] += budget
    s.ledger_acc["savings_requirement_gbp"] += requirement
    s.ledger_acc["ring_fenced_opening_gbp"] += s.rf_balance_gbp
    s.grant_this_fy_gbp = p.grant.tranches_gbp.at(date) * s.inp.grant_share
    s.fy_month0 = s.rec.month

    pop = s.pop
    act = pop.active
    comm = act & (pop.setting == COMMUNITY)
    s.fy_served = np.bincount(pop.council[act], minlength=s.n).astype(float)
    s.fy_ascof_den = np.bincount(pop.council[comm], minlength=s.n).astype(float)
    s.fy_ascof_num = np.bincount(pop.council[comm & (pop.mode != ARRANGED)],
                                 minlength=s.n).astype(float)


def _plan_levers(s: ModelState, requirement: np.ndarray, proj_packages: np.ndarray,
                 proj_community: np.ndarray, staff_total: np.ndarray, date: dt.date) -> None:
    lv = s.p.finance.levers
    remaining = requirement.copy()
    s.procurement_cut = np.zeros(s.n)
    s.package_cut_p = np.zeros(s.n)
    s.eligibility_raised_from = np.full(s.n, -1, dtype=np.int8)
    s.staff_cut_monthly_gbp = np.zeros(s.n)
    for lever in lv.order.value:
        if lever == "procurement":
            cap = lv.procurement_max_share.value * proj_packages
            use = np.minimum(cap, remaining)
            s.procurement_cut = np.where(proj_packages > 0, use / np.maximum(proj_packages, 1), 0)
        elif lever == "prevention":
            use = np.minimum(np.maximum(s.last_prevention_savings_gbp, 0.0), remaining)
        elif lever == "package_reductions":
            cap = (lv.package_cut_share_of_reviews.value * lv.package_cut_size.value
                   * proj_community * MEAN_YEAR_REMAINING)
            use = np.minimum(cap, remaining)
            s.package_cut_p = np.where(cap > 0, lv.package_cut_share_of_reviews.value
                                       * use / np.maximum(cap, 1e-9), 0.0)
        elif lever == "eligibility":
            max_band = NEED_BANDS.index(lv.eligibility_max_threshold.value)
            can = (s.threshold < max_band) & (remaining > 0)
            band = np.minimum(s.threshold, 3)
            mix = s.p.demand.need_mix_assessed.vector()
            cost = mean_cost(s, np.arange(s.n), np.ones(s.n, np.int8), band.astype(np.int8),
                             np.full(s.n, COMMUNITY, np.int8))
            cap = s.assessments_last_fy * mix[band] * cost * MEAN_YEAR_REMAINING
            use = np.where(can, np.minimum(cap, remaining), 0.0)
            s.eligibility_raised_from = np.where(can, s.threshold, -1).astype(np.int8)
            s.threshold = np.where(can, s.threshold + 1, s.threshold).astype(np.int8)
        elif lever == "staff_cuts":
            cap = lv.staff_cut_max_share.value * staff_total
            use = np.minimum(cap, remaining)
            share = np.where(staff_total > 0, use / np.maximum(staff_total, 1e-9), 0.0)
            s.staff_cut_monthly_gbp = share * staff_total / 12.0
            s.staff_factor = s.staff_factor * (1 - share)
            s.assessment_fte = s.assessment_fte * (1 - share)
            s.review_fte = s.review_fte * (1 - share)
            s.transformation_cut = 1 - (1 - s.transformation_cut) * (1 - share)
        remaining = remaining - use
    t = s.cal.day(date)
    s.assess_pool.set_servers(servers_for(s, s.assessment_fte), t)
    s.review_pool.set_servers(review_servers(s, s.review_fte), t)
    if np.any(s.procurement_cut > 0):
        act = s.pop.active
        s.pop.cost[act] *= 1 - s.procurement_cut[s.pop.council[act]]
        s.price_index *= 1 - s.procurement_cut


def month_end(s: ModelState, date: dt.date, t1: float,
              grant_spent: np.ndarray) -> tuple[np.ndarray, MonthEnd]:
    """Accrue and book the month's spend, income and savings.

    Returns the transformation spend and the month-end pass over the population
    (:func:`caresim.model.kernels.month_end_pass`), whose stocks hold until the population
    next changes.
    """
    pop = s.pop
    tally = month_end_pass(pop.council, pop.setting, pop.mode, pop.cost, pop.t_accrued,
                           pop.active, t1, s.n)
    for j, name in enumerate(SPEND_LINES):
        s.rec.add(name, tally.spend[:, j])
    a, r = s.p.assessment, s.p.reviews
    assess_staff = s.assessment_fte * a.cost_gbp_per_fte_year.value * s.staff_cost_index / 12
    review_staff = s.review_fte * r.cost_gbp_per_fte_year.value * s.staff_cost_index / 12
    s.rec.add("spend_assessment_staff_gbp", assess_staff)
    s.rec.add("spend_review_staff_gbp", review_staff)
    core = (s.p.transformation.core_share_of_budget.at(date) * s.budget_gbp
            * (1 - s.transformation_cut) / 12)
    transformation = core + grant_spent
    s.rec.add("spend_transformation_gbp", transformation)

    v = s.rec.values[s.rec.month]
    packages = sum(v[:, INDEX[k]] for k in SPEND_LINES)
    charges = s.p.finance.client_charges_share_of_gross.value * packages
    nhs_transfers, nhs_reab = _nhs_income(s, date)
    nhs = (nhs_transfers + nhs_reab) / 12
    s.rec.add("income_charges_gbp", charges)
    s.rec.add("income_nhs_gbp", nhs)
    s.rec.add("income_gbp", charges + nhs)
    gross = (packages + assess_staff + review_staff + transformation
             + v[:, INDEX["spend_prevention_gbp"]])
    s.rec.set("spend_gbp", gross)
    s.rec.set("net_spend_gbp", gross - charges - nhs)
    cut = s.procurement_cut
    s.rec.add("savings_procurement_gbp", packages * cut / np.maximum(1 - cut, 1e-9))
    s.rec.add("savings_staff_cuts_gbp", s.staff_cut_monthly_gbp)
    return transformation, tally


def _book_cashable_prevention(s: ModelState) -> None:
    """Book the cashable part of the year's prevention cost avoidance in its last month.

    Cashable = min(avoided cost, fall in package spend on the year before), never negative:
    prevention savings are only cashable when spend actually falls (DESIGN §2).
    """
    months = s.rec.values[s.fy_month0 : s.rec.month + 1]
    flows = months.sum(axis=0)
    packages = sum(flows[:, INDEX[k]] for k in SPEND_LINES)
    avoided = np.maximum(flows[:, INDEX["prevention_avoided_gbp"]], 0.0)
    fall = np.maximum(s.package_spend_last_fy - packages, 0.0)
    cashable = np.minimum(avoided, fall)
    last = s.rec.values[s.rec.month]
    last[:, INDEX["savings_prevention_gbp"]] += cashable
    last[:, INDEX["cashable_savings_gbp"]] += cashable
    s.package_spend_last_fy = packages


def close_year(s: ModelState) -> None:
    """Write the ledger row and the financial-year counts of the year just ended."""
    _book_cashable_prevention(s)
    months = s.rec.values[s.fy_month0 : s.rec.month + 1]
    flows = months.sum(axis=0)

    def f(name: str) -> np.ndarray:
        return flows[:, INDEX[name]]

    acc = s.ledger_acc
    for name in ("income_charges_gbp", "income_nhs_gbp", "grant_received_gbp",
                 "grant_spent_gbp", "grant_diverted_gbp", *SPEND_LINES,
                 "spend_assessment_staff_gbp", "spend_review_staff_gbp",
                 "spend_transformation_gbp", "spend_prevention_gbp"):
        acc[name] += f(name)
    acc["spend_total_gbp"] += f("spend_gbp")
    for metric in LEVER_METRICS.values():
        acc[metric] += f(metric)
    acc["savings_total_gbp"] += sum(f(m) for m in LEVER_METRICS.values())
    acc["savings_shortfall_gbp"] += np.maximum(
        acc["savings_requirement_gbp"] - acc["savings_total_gbp"], 0.0)
    acc["ring_fenced_closing_gbp"] += s.rf_balance_gbp
    acc["closing_position_gbp"] += (
        acc["opening_budget_gbp"] + acc["income_charges_gbp"] + acc["income_nhs_gbp"]
        + acc["grant_received_gbp"] - acc["spend_total_gbp"]
        - (acc["ring_fenced_closing_gbp"] - acc["ring_fenced_opening_gbp"]))
    s.ledger_rows.append({"fy": s.fy_label, **{k: v.copy() for k, v in acc.items()}})
    s.last_prevention_savings_gbp = f("savings_prevention_gbp")
    s.assessments_last_fy = f("assessment_requests")
    s.fy_records.append({"fy": s.fy_label, "users_served_in_fy": s.fy_served.copy(),
                         "pb_share_ascof_num": s.fy_ascof_num.copy(),
                         "pb_share_ascof_den": s.fy_ascof_den.copy()})
