"""Personal budgets and direct payments (process 11): how they spread and what they change.

**How PBs spread** (``rollout_mode``). A community user without a PB is considered at service
start and at each review (:func:`caresim.model.services.choose_mode`), with uniforms ``u0, u1,
u2`` and the offer probability of :func:`caresim.model.services.offer_probability`:

* ``acceptance``: offered if ``u0 < p_offer``; takes the PB if ``u1 < p_accept_pb``; takes it
  as a direct payment if ``u2 < p_dp_<age>``, else as a council-managed PB. DPs then grow with
  readiness, as every PB does.
* ``conversion``: the council converts users at review (or start) once its systems are ready:
  offered users get a council-managed PB with probability ``p_accept_pb`` (here the share of
  offers the council carries through). Direct payments are an individual request, independent of
  the council's readiness (a legal right since 1997): a user asks for one with probability
  ``dp_request_<age>`` at each start or review. This matches the record to 2011/12: nearly all
  PB growth in 2010-11 was managed budgets with no significant rise in DPs (TLAP, March 2011).

**What a PB changes.** On taking a PB, a person's package cost is multiplied by
``cost_ratio_managed_pb`` or ``cost_ratio_dp`` (the care package relative to council-arranged
support) and the council pays ``support_planning_gbp_per_conversion`` (support planning,
GBP at 2008 prices, uprated with the council's price index). Each direct payment costs the
council ``dp_support_gbp_per_dp_year`` a year in DP support services, and a share
``dp_clawback_share`` of DP money is returned unspent. While on a PB, the chance of moving into
a care home when found critical at review is multiplied by ``hazard_ratio_residential``.
These process costs net of clawback are the ledger line ``spend_pb_process_gbp``.

**Effects and their evidence** (values, ranges and full sources in the parameter table):

* DP package cost relative to arranged care: 0.933 (0.90-1.05). IBSEN, the one randomised
  trial: -6.7%, "no important difference"; Demos -8.3% and SCIE -10% before set-up costs
  (uncontrolled, In Control data); NLGN 2011: more spend per extra DP (observational).
* Managed PB cost relative to arranged care: 1.0 (0.933-1.0). Assumption: the same services
  with a budget label (NLGN 2011, In Control 2010); IBSEN as the low end.
* Support planning per new PB or DP: GBP 250 (0-600). Assumption: no figure found.
* DP support services per DP a year: GBP 300 (100-600). Assumption: no figure found (support
  schemes near universal by 2007, PSSRU).
* DP money returned unspent: 3% (0-8%). Assumption: no adult figure found.
* Care-home moves while on a PB: x 1.0 (0.8-1.1). Assumption: no hazard ratio found.
* Rollout: conversion; acceptance is scenario ``pb_acceptance``. TLAP March 2011, ADASS 2012,
  NLGN 2011: growth was managed PBs while DP numbers stalled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import field_validator

from caresim.model.parts import LedgerLine, Metric
from caresim.model.population import ARRANGED, DIRECT_PAYMENT, MANAGED_PB
from caresim.model.state import ModelState
from caresim.params.section import GBP, Fraction, GBPPerYear, Probability, Section
from caresim.params.values import Setting, one_of, positive

ROLLOUT_MODES = ("acceptance", "conversion")
"""How PBs spread: individual acceptance of an offer, or administrative conversion at review."""


class PersonalBudgets(Section):
    """Personal budgets and direct payments: spread and effects (process 11)."""

    rollout_mode: Setting
    dp_share_65plus_start: Fraction  # type: ignore[valid-type]
    dp_request_18_64: Probability  # type: ignore[valid-type]
    dp_request_65plus: Probability  # type: ignore[valid-type]
    cost_ratio_managed_pb: positive("ratio")  # type: ignore[valid-type]
    cost_ratio_dp: positive("ratio")  # type: ignore[valid-type]
    support_planning_gbp_per_conversion: GBP  # type: ignore[valid-type]
    dp_support_gbp_per_dp_year: GBPPerYear  # type: ignore[valid-type]
    dp_clawback_share: Fraction  # type: ignore[valid-type]
    hazard_ratio_residential: positive("ratio")  # type: ignore[valid-type]

    @field_validator("rollout_mode")
    @classmethod
    def _mode(cls, v: Setting) -> Setting:
        return one_of(v, ROLLOUT_MODES)


FLOWS: tuple[Metric, ...] = (
    Metric("pb_support_planning_gbp", "GBP", "flow", "support planning for new PBs and DPs"),
    Metric("dp_support_gbp", "GBP", "flow", "DP support services"),
    Metric("dp_clawback_gbp", "GBP", "flow", "unspent direct payment money returned"),
    Metric("spend_pb_process_gbp", "GBP", "flow",
           "PB process costs: support planning plus DP support less DP clawback"),
)
"""Process costs of personal budgets and direct payments."""


YEAR: tuple[Metric, ...] = (
    Metric("dp_users_in_fy", "people", "flow",
           "people with a direct payment at any time in the year (RAP P2f sense)", fy_only=True),
)
"""Direct payment users over a financial year."""


LEDGER_LINES: tuple[LedgerLine, ...] = (
    LedgerLine("spend_pb_process_gbp", "Personal budget process costs",
               "support planning, DP support services, less unspent DP money returned",
               "Gross spend"),
)
"""The process's line of the budget ledger (GBP cash)."""


@dataclass
class PersonalBudgetsState:
    """DP users counted in the current financial year (per council).

    Attributes
    ----------
    dp_in_fy : numpy.ndarray
        People with a direct payment at any time in the year so far.
    """

    dp_in_fy: np.ndarray


def init_state(n: int) -> PersonalBudgetsState:
    """No year open yet."""
    return PersonalBudgetsState(dp_in_fy=np.zeros(n))


def start_year(s: ModelState) -> None:
    """Open the year's DP count with the direct payments in place on 1 April."""
    pop = s.pop
    dp = pop.active & (pop.mode == DIRECT_PAYMENT)
    s.personal_budgets.dp_in_fy = np.bincount(pop.council[dp], minlength=s.n).astype(float)


def close_year(s: ModelState, record: dict) -> None:
    """Add the year's DP count to the financial-year ``record`` just closed."""
    record["dp_users_in_fy"] = s.personal_budgets.dp_in_fy.copy()


def decide(s: ModelState, u: np.ndarray, offered: np.ndarray,
           age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Support mode for users without a PB from uniforms ``u[:, 1:3]`` (see module doc).

    Returns
    -------
    takes : numpy.ndarray of bool
        Whether each takes a PB (managed or DP).
    mode : numpy.ndarray of int8
    """
    sv, pb = s.p.services, s.p.personal_budgets
    if pb.rollout_mode.value == "acceptance":
        takes = offered & (u[:, 1] < sv.p_accept_pb.value)
        p_dp = np.where(age == 0, sv.p_dp_18_64.value, sv.p_dp_65plus.value)
        mode = np.where(takes, np.where(u[:, 2] < p_dp, DIRECT_PAYMENT, MANAGED_PB), ARRANGED)
    else:
        p_dp = np.where(age == 0, pb.dp_request_18_64.value, pb.dp_request_65plus.value)
        dp = u[:, 2] < p_dp
        managed = offered & (u[:, 1] < sv.p_accept_pb.value)
        takes = dp | managed
        mode = np.where(dp, DIRECT_PAYMENT, np.where(managed, MANAGED_PB, ARRANGED))
    return takes, mode.astype(np.int8)


def take_up(s: ModelState, council: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Book the take-up of the modes ``mode`` (support planning, the year's DP count) and
    return each person's package cost multiplier (1 for council-arranged support)."""
    pb = s.p.personal_budgets
    conv = np.flatnonzero(mode != ARRANGED)
    if len(conv):
        c = council[conv]
        cost = pb.support_planning_gbp_per_conversion.value * s.finance.price_index[c]
        s.rec.add_at("pb_support_planning_gbp", c, cost)
        s.rec.add_at("spend_pb_process_gbp", c, cost)
        s.personal_budgets.dp_in_fy += np.bincount(council[mode == DIRECT_PAYMENT],
                                                   minlength=s.n)
    return cost_ratio(s, mode)


def cost_ratio(s: ModelState, mode: np.ndarray) -> np.ndarray:
    """Package cost multiplier of each support mode (1 for council-arranged support)."""
    pb = s.p.personal_budgets
    return np.select([mode == MANAGED_PB, mode == DIRECT_PAYMENT],
                     [pb.cost_ratio_managed_pb.value, pb.cost_ratio_dp.value], 1.0)


def move_ratio(s: ModelState, mode: np.ndarray) -> np.ndarray:
    """Multiplier of the chance of moving into a care home, by support mode."""
    return np.where(mode == ARRANGED, 1.0, s.p.personal_budgets.hazard_ratio_residential.value)


def month_end(s: ModelState, dp_users: np.ndarray, dp_spend_gbp: np.ndarray) -> np.ndarray:
    """Book the month's DP support and clawback; return the month's process costs (GBP).

    Parameters
    ----------
    dp_users : numpy.ndarray
        Direct payment holders at the month end (people).
    dp_spend_gbp : numpy.ndarray
        Direct payment spend accrued in the month (GBP).
    """
    pb = s.p.personal_budgets
    support = dp_users * pb.dp_support_gbp_per_dp_year.value * s.finance.price_index / 12.0
    clawback = dp_spend_gbp * pb.dp_clawback_share.value
    s.rec.add("dp_support_gbp", support)
    s.rec.add("dp_clawback_gbp", clawback)
    s.rec.add("spend_pb_process_gbp", support - clawback)
    return s.rec.values[s.rec.month][:, s.rec.index["spend_pb_process_gbp"]]
