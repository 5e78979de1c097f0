"""Finance (processes 8 and 10): the budget year, savings levers, monthly spend and the ledger.

**Budget.** Each financial year (from 1 April) a council's net budget is last year's x (1 +
inflation) x (1 + demography allowance) x (1 + pass_through x m x LG real funding change), with
``m = austerity_multiplier`` for years from ``austerity_from`` where the LG change is a cut
(else 1), less ``savings_target_released_share`` x the year's step of the cashable savings
target (its cumulative share this year less last year's, x the 2007-08 net budget): a cashable
saving is money released from the service, so the budget is set net of it and a council that
does not deliver it must draw reserves or ration. (Before issue 15 the savings stayed in the
budget, so every council underspent by about the target, 10% by 2010-11, and no budget bound
before 2013.) The first year starts from the net cost of the services in place on 1 April 2008
at 2008 prices (a balanced start) less that release, unless the council's ``opening_budget_gbp``
is overridden (a council's own budget is its own, with its savings already in it); inflation
applies from the second year.

**Requirement.** Projected net spend = packages in place x (1 + inflation) x (1 + demand growth)
x (1 - client charges share) + staff x (1 + inflation) + reablement and core transformation (their
budget shares) - NHS transfers; the *budget gap* is its excess over the budget (negative:
headroom). The *CSR07 requirement* is read from the scenario's savings target
(``targets.cumulative_savings_share``, the one definition the scorecard also reads): in a year
with a target, the target's cumulative share of the 2007-08 net budget
(``baseline_budget_gbp``) less the savings delivered in the years run before, never negative;
in a year without one, nothing. The savings requirement is the larger of the two (never
negative). The *CSR07 shortfall* is what the cumulative savings to the year's end fall short of
the target to date, by the same rule as the scorecard's verdict (a share within
:data:`TARGET_TOLERANCE` of the target meets it), so a target is met if and only if the
shortfall is 0. The levers that cover the requirement are planned by
:mod:`caresim.model.levers`.

**Spend and income.** Packages accrue exactly from each person's cost and times; staff, core
transformation and grant-funded transformation monthly; reablement at each episode's start.
Income: client charges (a share of package spend) and NHS transfers (national amounts shared by
demand share), including NHS reablement money.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from caresim.calendar import fy_of
from caresim.model import grant, levers, own_plan, personal_budgets, rationing, reserves
from caresim.model.budget_rule import opening_budget_gbp, staff_gbp_per_year
from caresim.model.costs import SPEND_LINES
from caresim.model.kernels import MonthEnd, month_end_pass
from caresim.model.levers import LEVER_METRICS, Levers
from caresim.model.parts import LedgerLine, Metric
from caresim.model.population import COMMUNITY
from caresim.model.state import ModelState
from caresim.params.section import DatedGBPPerYear, DatedRate, Fraction, Section
from caresim.params.values import DateSetting, positive
from caresim.params.vocabulary import NEED_BANDS

if TYPE_CHECKING:
    from caresim.params.schema import Scenario


class Finance(Section):
    """Budgets, income, savings requirements and the funding path (processes 8 and 10)."""

    inflation_per_year: DatedRate  # type: ignore[valid-type]
    demography_allowance_per_year: DatedRate  # type: ignore[valid-type]
    lg_funding_real_change_per_year: DatedRate  # type: ignore[valid-type]
    pass_through: Fraction  # type: ignore[valid-type]
    austerity_multiplier: positive("ratio")  # type: ignore[valid-type]
    austerity_from: DateSetting
    nhs_transfers_gbp_per_year: DatedGBPPerYear  # type: ignore[valid-type]
    client_charges_share_of_gross: Fraction  # type: ignore[valid-type]
    savings_target_released_share: Fraction  # type: ignore[valid-type]
    levers: Levers
    reserves: reserves.Reserves
    rationing: rationing.Rationing


TARGET_TOLERANCE = 1e-12
"""How far below a share target (a fraction) a value may fall and still meet it: float rounding
of a value computed as exactly the target. The scorecard's verdicts
(:mod:`caresim.measures.targets`) and the ledger's CSR07 shortfall use this one rule."""


def savings_target_share(p: Scenario, fy: str) -> float:
    """The cumulative savings target for the span of years run up to the end of ``fy``, as a
    share of the 2007-08 net budget (``targets.cumulative_savings_share``; a date keys the year
    it falls in); 0 for a year without a target.

    A run that starts after the targets' first year (a run from April 2009) counts from its
    own start: the target of the last year before it is taken as met before the run, so the
    run is asked for the rest (6.1% - 3.0% by 2009-10), not for the years it never had. The
    scorecard does not score such a run on these targets (it warns), so only the requirement
    is concerned."""
    start = fy_of(p.run.start_date)
    before, share = 0.0, 0.0
    for day, value in p.targets.cumulative_savings_share.values.items():
        year = fy_of(day)
        if year < start:
            before = float(value)
        elif year == fy:
            share = float(value)
    return max(share - before, 0.0) if share else 0.0


def csr07_shortfall(target_share: float, savings_to_date: np.ndarray,
                    base: np.ndarray) -> np.ndarray:
    """What cumulative savings (GBP) fall short of a cumulative share ``target_share`` of the
    budget ``base`` (GBP), 0 where the share meets it within :data:`TARGET_TOLERANCE` (the
    scorecard's rule: a share ``v`` meets a target ``t`` when ``v >= t - TARGET_TOLERANCE``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(base > 0, savings_to_date / base, np.inf)
    gap = target_share - share
    return np.where(gap > TARGET_TOLERANCE, np.maximum(target_share * base - savings_to_date,
                                                        0.0), 0.0)


FLOWS: tuple[Metric, ...] = (
    Metric("package_cuts", "people", "flow", "packages cut at review"),
    Metric("spend_residential_gbp", "GBP", "flow", "gross spend on residential and nursing care"),
    Metric("spend_arranged_gbp", "GBP", "flow",
           "gross spend on council-arranged community support"),
    Metric("spend_pb_managed_gbp", "GBP", "flow",
           "gross spend on council-managed personal budgets"),
    Metric("spend_dp_gbp", "GBP", "flow", "gross spend on direct payments"),
    Metric("spend_assessment_staff_gbp", "GBP", "flow", "assessment staff"),
    Metric("spend_review_staff_gbp", "GBP", "flow", "review staff"),
    Metric("spend_transformation_gbp", "GBP", "flow", "transformation (grant-funded and core)"),
    Metric("spend_prevention_gbp", "GBP", "flow", "reablement episodes"),
    Metric("spend_gbp", "GBP", "flow", "gross spend, all lines"),
    Metric("income_charges_gbp", "GBP", "flow", "client charges"),
    Metric("income_nhs_gbp", "GBP", "flow", "NHS transfers (including NHS reablement money)"),
    Metric("income_gbp", "GBP", "flow", "income: client charges and NHS transfers"),
    Metric("net_spend_gbp", "GBP", "flow", "gross spend minus income"),
)
"""Package cuts at review, spend by line and income."""


SAVINGS: tuple[Metric, ...] = (
    Metric(
        "cashable_savings_gbp",
        "GBP",
        "flow",
        "cashable savings from all levers, computed from what each changed",
    ),
    Metric("savings_procurement_gbp", "GBP", "flow", "procurement: price cut x volume of packages"),
)
"""Cashable savings in all and from procurement."""


_BUDGET, _INCOME, _SPEND, _SAVINGS = "Budget", "Income", "Gross spend", "Cashable savings"
_TARGET = "Savings target (CSR07)"


def _planned(lever: str, label: str) -> LedgerLine:
    """The planned line of a lever, shown beside what it delivered."""
    return LedgerLine(f"planned_{lever}_gbp", f"{label} (planned)",
                      f"{label.lower()} savings planned for the year: the council's own plan "
                      "(council_overrides.planned_savings_gbp) where it has one, else what the "
                      "model planned to take from the lever", _SAVINGS)


_INCOME_TOTAL = "Income (client charges and NHS transfers)"
LEDGER: tuple[LedgerLine, ...] = (
    LedgerLine("baseline_budget_gbp", "Net budget 2007-08 (base of the CSR07 targets)",
               "the net budget of the year before the run, at 2008 prices", _BUDGET,
               shown=False),
    LedgerLine("opening_budget_gbp", "Net budget set for the year",
               "the net budget set on 1 April", _BUDGET, summary="Net budget set for the year"),
    LedgerLine("income_charges_gbp", "Client charges",
               "client charges, a share of package spend", _INCOME, summary=_INCOME_TOTAL),
    LedgerLine("income_nhs_gbp", "NHS transfers",
               "NHS transfers, including NHS reablement money", _INCOME, summary=_INCOME_TOTAL),
    *grant.LEDGER_LINES,
    LedgerLine("spend_residential_gbp", "Residential and nursing care",
               "gross spend on residential and nursing care", _SPEND),
    LedgerLine("spend_arranged_gbp", "Council-arranged community support",
               "gross spend on council-arranged community support", _SPEND),
    LedgerLine("spend_pb_managed_gbp", "Council-managed personal budgets",
               "gross spend on council-managed personal budgets", _SPEND),
    LedgerLine("spend_dp_gbp", "Direct payments", "gross spend on direct payments", _SPEND),
    LedgerLine("spend_assessment_staff_gbp", "Assessment staff", "assessment staff", _SPEND),
    LedgerLine("spend_review_staff_gbp", "Review staff", "review staff", _SPEND),
    LedgerLine("spend_transformation_gbp", "Transformation",
               "transformation, grant-funded and core", _SPEND),
    LedgerLine("spend_prevention_gbp", "Prevention (reablement)", "reablement episodes",
               _SPEND),
    *personal_budgets.LEDGER_LINES,
    LedgerLine("spend_total_gbp", "Total gross spend", "gross spend, all lines", _SPEND,
               total=True, summary="Total gross spend"),
    LedgerLine("budget_gap_gbp", "Budget gap",
               "projected net spend for the year over the budget set (negative: headroom)",
               _SAVINGS),
    LedgerLine("csr07_requirement_gbp", "CSR07 requirement",
               "the year's CSR07 target to date less the savings of the years run before, "
               "never negative; 0 in a year without a target", _SAVINGS),
    LedgerLine("savings_requirement_gbp", "Savings requirement",
               "max(budget gap, CSR07 requirement, 0)", _SAVINGS,
               summary="Savings requirement"),
    LedgerLine("savings_procurement_gbp", "Procurement",
               "procurement: price cut x volume of packages", _SAVINGS),
    _planned("procurement", "Procurement"),
    LedgerLine("savings_prevention_gbp", "Prevention (reablement)",
               "prevention, cashable as far as package spend fell", _SAVINGS),
    _planned("prevention", "Prevention (reablement)"),
    LedgerLine("savings_package_reductions_gbp", "Package reductions at review",
               "package reductions at review, to the end of the year", _SAVINGS),
    _planned("package_reductions", "Package reductions at review"),
    LedgerLine("savings_eligibility_gbp", "Eligibility tightening",
               "packages not started under a raised threshold, to the end of the year",
               _SAVINGS),
    _planned("eligibility", "Eligibility tightening"),
    LedgerLine("savings_staff_cuts_gbp", "Staff cuts", "staff cuts: posts cut x cost",
               _SAVINGS),
    _planned("staff_cuts", "Staff cuts"),
    LedgerLine("plan_beyond_caps_gbp", "Own plan beyond the levers' caps",
               "the part of a council's own planned savings (council_overrides."
               "planned_savings_gbp) beyond what each lever can deliver in the year; 0 without "
               "an own plan", _SAVINGS),
    LedgerLine("savings_total_gbp", "Total cashable savings", "cashable savings, all levers",
               _SAVINGS, total=True, summary="Total cashable savings"),
    LedgerLine("savings_shortfall_gbp", "Shortfall against the requirement",
               "max(0, savings_requirement - savings_total) on a council's row; on England's "
               "row the councils' shortfalls added up, which is at least that: one council's "
               "savings beyond its requirement do not cover another's shortfall", _SAVINGS),
    LedgerLine("csr07_target_to_date_gbp", "CSR07 target to date",
               "the year's cumulative savings target (targets.cumulative_savings_share) x the "
               "2007-08 net budget; 0 in a year without a target", _TARGET),
    LedgerLine("savings_to_date_gbp", "Cashable savings to date",
               "cashable savings, all levers, summed over the years run to this year's end",
               _TARGET),
    LedgerLine("csr07_shortfall_gbp", "Shortfall against the CSR07 target to date",
               "max(0, CSR07 target to date - savings to date), 0 when the cumulative share "
               "meets the target (the scorecard's rule); on England's row the councils' "
               "shortfalls added up", _TARGET),
    LedgerLine("closing_position_gbp", "Closing position (+ underspend, - overspend)",
               "opening_budget + income_charges + income_nhs + grant_received - spend_total - "
               "(ring_fenced_closing - ring_fenced_opening)", "Position", total=True,
               summary="Closing position (+ underspend, - overspend)"),
    *reserves.LEDGER_LINES,
    *rationing.LEDGER_LINES,
)
"""Every line of the budget ledger (GBP cash), in the order of ``ledger.csv``: finance's own
lines with the grant's (:data:`caresim.model.grant.LEDGER_LINES`) in their place."""
LEDGER_LINES: tuple[str, ...] = tuple(line.name for line in LEDGER)
"""The ledger's column names, in order."""


@dataclass
class FinanceState:
    """Budgets, prices, lever settings and the ledger of one replication.

    Arrays over councils; money in GBP. The lever settings (``procurement_cut``,
    ``package_cut_p``, ``eligibility_raised_from``, ``staff_cut_monthly_gbp``) are set each
    April for the year; reviews and assessment read them.
    """

    n: int
    budget_gbp: np.ndarray = field(init=False)
    base_budget_gbp: np.ndarray = field(init=False)
    target_to_date_gbp: np.ndarray = field(init=False)
    price_index: np.ndarray = field(init=False)
    staff_cost_index: np.ndarray = field(init=False)
    procurement_cut: np.ndarray = field(init=False)
    package_cut_p: np.ndarray = field(init=False)
    transformation_cut: np.ndarray = field(init=False)
    eligibility_raised_from: np.ndarray = field(init=False)
    staff_cut_monthly_gbp: np.ndarray = field(init=False)
    staff_factor: np.ndarray = field(init=False)
    last_prevention_savings_gbp: np.ndarray = field(init=False)
    assessments_last_fy: np.ndarray = field(init=False)
    savings_to_date_gbp: np.ndarray = field(init=False)
    package_spend_last_fy: np.ndarray | None = None
    fy_index: int = -1
    fy_label: str = ""
    fy_end_day: float = 0.0
    fy_month0: int = 0
    ledger_acc: dict[str, np.ndarray] = field(default_factory=dict)
    ledger_rows: list[dict[str, np.ndarray | str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.n
        self.budget_gbp = np.zeros(n)
        self.base_budget_gbp = np.zeros(n)
        self.target_to_date_gbp = np.zeros(n)
        self.price_index = np.ones(n)
        self.staff_cost_index = np.ones(n)
        self.procurement_cut = np.zeros(n)
        self.package_cut_p = np.zeros(n)
        self.transformation_cut = np.zeros(n)
        self.eligibility_raised_from = np.full(n, -1, np.int8)
        self.staff_cut_monthly_gbp = np.zeros(n)
        self.staff_factor = np.ones(n)
        self.last_prevention_savings_gbp = np.zeros(n)
        self.assessments_last_fy = np.zeros(n)
        self.savings_to_date_gbp = np.zeros(n)


def init_state(n: int, assessments_per_year: np.ndarray) -> FinanceState:
    """Finance before the first financial year: no budget yet, prices at 1, no lever pulled;
    last year's assessment requests are those expected in April 2008."""
    st = FinanceState(n)
    st.assessments_last_fy = assessments_per_year
    return st


def _package_totals(s: ModelState) -> tuple[np.ndarray, np.ndarray]:
    pop = s.pop
    act = pop.active
    total = np.bincount(pop.council[act], pop.cost[act], minlength=s.n)
    comm = act & (pop.setting == COMMUNITY)
    community = np.bincount(pop.council[comm], pop.cost[comm], minlength=s.n)
    return total, community


def _staff_cost(s: ModelState) -> np.ndarray:
    return staff_gbp_per_year(s.p, s.assessment.fte, s.reviews.fte) * s.finance.staff_cost_index


def _staff_to_demand(s: ModelState) -> None:
    """Councils staff to demand: April 2008 FTE x demand ratio x cumulative cut factor."""
    pop, a, r, f = s.pop, s.assessment, s.reviews, s.finance
    users = np.bincount(pop.council[pop.active], minlength=s.n)
    a_ratio = f.assessments_last_fy / np.maximum(a.demand0, 1e-9)
    r_ratio = users / np.maximum(r.demand0, 1e-9)
    a.fte = a.fte0 * a_ratio * f.staff_factor
    r.fte = r.fte0 * r_ratio * f.staff_factor


def _nhs_income(s: ModelState, date: dt.date) -> tuple[np.ndarray, np.ndarray]:
    f, r = s.p.finance, s.p.reablement
    share = s.inp.demand_share
    return f.nhs_transfers_gbp_per_year.at(date) * share, \
        r.nhs_funding_gbp_per_year.at(date) * share


def start_year(s: ModelState, date: dt.date) -> None:
    """Set the budget, the savings requirement and the levers for the year starting ``date``;
    open the year's ledger (with the grant's opening lines, :func:`caresim.model.grant.
    start_year`)."""
    f, p, st = s.p.finance, s.p, s.finance
    first = st.fy_index < 0
    st.fy_index += 1
    st.fy_label = fy_of(date)
    st.fy_end_day = s.cal.day(dt.date(date.year + 1, 4, 1))
    s.pop.compact()

    infl = 0.0 if first else f.inflation_per_year.at(date)
    growth = p.demand.growth_per_year.at(date)
    lg = f.lg_funding_real_change_per_year.at(date)
    austerity_from = f.austerity_from.value  # None: never
    if austerity_from is not None and date >= austerity_from and lg < 0:
        lg *= f.austerity_multiplier.value
    reab_share = p.reablement.budget_share.at(date)
    core_share = p.transformation.core_share_of_budget.at(date)
    charges = f.client_charges_share_of_gross.value
    nhs_transfers, _ = _nhs_income(s, date)  # NHS reablement money funds its own spend

    if not first:
        _staff_to_demand(s)
    packages, community = _package_totals(s)
    if first:  # the yardstick for the first year's cashable prevention: the April 2008 run rate
        st.package_spend_last_fy = packages.copy()
    staff = _staff_cost(s)
    if first:
        st.base_budget_gbp = opening_budget_gbp(p, s.inp, date, packages, staff)
        st.budget_gbp = st.base_budget_gbp.copy()
    target_to_date = savings_target_share(p, st.fy_label) * st.base_budget_gbp
    budget = st.budget_gbp * (1 + infl) * (1 + f.demography_allowance_per_year.at(date)) * \
        (1 + f.pass_through.value * lg) - f.savings_target_released_share.value * np.maximum(
            target_to_date - st.target_to_date_gbp, 0.0)
    st.target_to_date_gbp = target_to_date
    if first:
        budget = np.where(np.isnan(s.inp.opening_budget_gbp), budget, s.inp.opening_budget_gbp)
    budget = own_plan.own_budget(s.inp.budget_path, st.fy_label, budget)
    st.budget_gbp = budget

    proj_packages = packages * (1 + infl) * (1 + growth)
    proj_staff = staff * (1 + infl)
    proj_net = (proj_packages * (1 - charges) + proj_staff + (reab_share + core_share) * budget
                - nhs_transfers)
    gap = proj_net - budget
    csr07 = np.maximum(target_to_date - st.savings_to_date_gbp, 0.0)
    requirement = np.maximum(np.maximum(gap, csr07), 0.0)

    # uprate prices and staff costs for the new year
    if infl:
        s.pop.cost[s.pop.active] *= 1 + infl
        st.price_index *= 1 + infl
        st.staff_cost_index *= 1 + infl

    planned, beyond_caps = levers.plan(
        s, requirement, proj_packages, community * (1 + infl) * (1 + growth),
        proj_staff + core_share * budget, date, s.inp.planned_savings.get(st.fy_label))

    st.ledger_acc = acc = {line: np.zeros(s.n) for line in LEDGER_LINES}
    acc["baseline_budget_gbp"] += st.base_budget_gbp
    acc["opening_budget_gbp"] += budget
    acc["budget_gap_gbp"] += gap
    acc["csr07_target_to_date_gbp"] += target_to_date
    acc["csr07_requirement_gbp"] += csr07
    acc["savings_requirement_gbp"] += requirement
    for lever, gbp in planned.items():
        acc[f"planned_{lever}_gbp"] += gbp
    acc["plan_beyond_caps_gbp"] += beyond_caps
    grant.start_year(s, date, acc)
    reserves.start_year(s, acc, first)
    st.fy_month0 = s.rec.month


def month_end(s: ModelState, date: dt.date, t1: float,
              grant_spent: np.ndarray) -> tuple[np.ndarray, MonthEnd]:
    """Accrue and book the month's spend, income and savings.

    Returns the transformation spend and the month-end pass over the population
    (:func:`caresim.model.kernels.month_end_pass`), whose stocks hold until the population
    next changes.
    """
    pop, st = s.pop, s.finance
    tally = month_end_pass(pop.council, pop.setting, pop.mode, pop.cost, pop.t_accrued,
                           pop.active, t1, s.n)
    for j, name in enumerate(SPEND_LINES):
        s.rec.add(name, tally.spend[:, j])
    a, r = s.p.assessment, s.p.reviews
    assess_staff = (s.assessment.fte * a.cost_gbp_per_fte_year.value * st.staff_cost_index
                    / 12)
    review_staff = s.reviews.fte * r.cost_gbp_per_fte_year.value * st.staff_cost_index / 12
    s.rec.add("spend_assessment_staff_gbp", assess_staff)
    s.rec.add("spend_review_staff_gbp", review_staff)
    core = (s.p.transformation.core_share_of_budget.at(date) * st.budget_gbp
            * (1 - st.transformation_cut) / 12)
    transformation = core + grant_spent
    s.rec.add("spend_transformation_gbp", transformation)

    index = s.rec.index
    v = s.rec.values[s.rec.month]
    packages = sum(v[:, index[k]] for k in SPEND_LINES)
    charges = s.p.finance.client_charges_share_of_gross.value * packages
    nhs_transfers, nhs_reab = _nhs_income(s, date)
    nhs = (nhs_transfers + nhs_reab) / 12
    s.rec.add("income_charges_gbp", charges)
    s.rec.add("income_nhs_gbp", nhs)
    s.rec.add("income_gbp", charges + nhs)
    process = personal_budgets.month_end(s, tally.users[:, 3], v[:, index["spend_dp_gbp"]])
    gross = (packages + assess_staff + review_staff + transformation
             + v[:, index["spend_prevention_gbp"]] + process)
    s.rec.set("spend_gbp", gross)
    s.rec.set("net_spend_gbp", gross - charges - nhs)
    cut = st.procurement_cut
    s.rec.add("savings_procurement_gbp", packages * cut / np.maximum(1 - cut, 1e-9))
    s.rec.add("savings_staff_cuts_gbp", st.staff_cut_monthly_gbp)
    return transformation, tally


def record_stocks(s: ModelState) -> None:
    """Record the month-end stocks finance sets: staff and FACS thresholds."""
    rec = s.rec
    rec.set("assessment_fte", s.assessment.fte.copy())
    rec.set("review_fte", s.reviews.fte.copy())
    rec.set("threshold_substantial_plus",
            (s.assessment.threshold >= NEED_BANDS.index("substantial")).astype(float))


def _year_flows(s: ModelState) -> np.ndarray:
    """``[council, metric]`` totals of every recorded flow over the financial year so far."""
    return s.rec.values[s.finance.fy_month0 : s.rec.month + 1].sum(axis=0)


def _book_cashable_prevention(s: ModelState) -> None:
    """Book the cashable part of the year's prevention cost avoidance in its last month.

    Cashable = min(avoided cost, fall in package spend on the year before), never negative:
    prevention savings are only cashable when spend actually falls (DESIGN §2).
    """
    index, st = s.rec.index, s.finance
    flows = _year_flows(s)
    packages = sum(flows[:, index[k]] for k in SPEND_LINES)
    avoided = np.maximum(flows[:, index["prevention_avoided_gbp"]], 0.0)
    fall = np.maximum(st.package_spend_last_fy - packages, 0.0)
    cashable = np.minimum(avoided, fall)
    last = s.rec.values[s.rec.month]
    last[:, index["savings_prevention_gbp"]] += cashable
    last[:, index["cashable_savings_gbp"]] += cashable
    st.package_spend_last_fy = packages


def close_year(s: ModelState) -> None:
    """Write the ledger row of the year just ended (with the grant's lines,
    :func:`caresim.model.grant.close_year`)."""
    _book_cashable_prevention(s)
    flows = _year_flows(s)
    index, st = s.rec.index, s.finance

    def f(name: str) -> np.ndarray:
        return flows[:, index[name]]

    acc = st.ledger_acc
    for name in ("income_charges_gbp", "income_nhs_gbp", *SPEND_LINES,
                 "spend_assessment_staff_gbp", "spend_review_staff_gbp",
                 "spend_transformation_gbp", "spend_prevention_gbp", "spend_pb_process_gbp"):
        acc[name] += f(name)
    acc["spend_total_gbp"] += f("spend_gbp")
    for metric in LEVER_METRICS.values():
        acc[metric] += f(metric)
    acc["savings_total_gbp"] += sum(f(m) for m in LEVER_METRICS.values())
    acc["savings_shortfall_gbp"] += np.maximum(
        acc["savings_requirement_gbp"] - acc["savings_total_gbp"], 0.0)
    st.savings_to_date_gbp = st.savings_to_date_gbp + acc["savings_total_gbp"]
    acc["savings_to_date_gbp"] += st.savings_to_date_gbp
    acc["csr07_shortfall_gbp"] += csr07_shortfall(
        savings_target_share(s.p, st.fy_label), st.savings_to_date_gbp, st.base_budget_gbp)
    grant_received, grant_held = grant.close_year(s, acc, f)
    acc["closing_position_gbp"] += (
        acc["opening_budget_gbp"] + acc["income_charges_gbp"] + acc["income_nhs_gbp"]
        + grant_received - acc["spend_total_gbp"] - grant_held)
    rationing.close_year(acc, {name: f(name) for name in rationing.LEDGER_LINES_FROM_FLOWS})
    reserves.close_year(s, acc)
    st.ledger_rows.append({"fy": st.fy_label, **{k: v.copy() for k, v in acc.items()}})
    st.last_prevention_savings_gbp = f("savings_prevention_gbp")
    st.assessments_last_fy = f("assessment_requests")
