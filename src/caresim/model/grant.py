"""The Social Care Reform Grant (process 9).

Each financial year's national tranche (``grant.tranches_gbp``, looked up on 1 April) is shared
between councils by ``inputs.grant_share`` (the needs-weighted proxy of ``inputs.py``) and paid
in twelve monthly instalments. While the grant is ring-fenced (before
``grant.ring_fenced_until``) every pound goes to a ring-fenced balance from which the council
spends ``spend_per_month`` of the balance on transformation each month. Without the ring-fence a
share
``diverted_share_when_not_ring_fenced`` of each instalment goes to core budget pressures
(recorded as ``grant_diverted_gbp``). A balance left when the ring-fence ends is released to
core budgets. Without the ring-fence the rest of each instalment is spent on transformation in
the month it arrives.

**Uses** (LAC(DH)(2009)1 paragraph 15). Each month's grant spent is shared between four uses:
prevention and early intervention (``use_prevention_share``), information and advice
(``use_information_advice_share``), workforce and commissioning
(``use_workforce_commissioning_share``) and, the rest, PB systems. Only PB systems build
readiness (:mod:`caresim.model.transformation`); the prevention share buys reablement places
in the month (:mod:`caresim.model.prevention`; money of places left unused lapses); information
and advice and workforce and commissioning are spent as transformation with no modelled effect
on people (no evidence of an effect size was found).

The grant's lines of the budget ledger (received, spent, diverted, the ring-fenced balance at
the start and end of the year) are booked here; to the year's closing position the grant adds
what was received less the rise in the unspent balance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import field_validator, model_validator

from caresim.model.parts import LedgerLine, Metric
from caresim.model.state import ModelState
from caresim.params.section import DatedGBPPerYear, Fraction, Section
from caresim.params.values import DateSetting, Setting, categorical, one_of


class Grant(Section):
    """The Social Care Reform Grant (process 9)."""

    tranches_gbp: DatedGBPPerYear  # type: ignore[valid-type]
    ring_fenced_until: DateSetting
    allocation_rule: Setting
    needs_proxy_weights: categorical("population", "clients")  # type: ignore[valid-type]
    spend_per_month: Fraction  # type: ignore[valid-type]
    diverted_share_when_not_ring_fenced: Fraction  # type: ignore[valid-type]
    use_prevention_share: Fraction  # type: ignore[valid-type]
    use_information_advice_share: Fraction  # type: ignore[valid-type]
    use_workforce_commissioning_share: Fraction  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _uses(self) -> Grant:
        total = sum(self.use_shares()[1:])
        if total > 1.0:
            raise ValueError("expected use_prevention_share + use_information_advice_share + "
                             f"use_workforce_commissioning_share <= 1; found {total:g}")
        return self

    def use_shares(self) -> tuple[float, float, float, float]:
        """Shares of grant spent on PB systems (the rest), prevention, information and advice,
        and workforce and commissioning."""
        prev = self.use_prevention_share.value
        info = self.use_information_advice_share.value
        work = self.use_workforce_commissioning_share.value
        return (1.0 - prev - info - work, prev, info, work)

    @field_validator("allocation_rule")
    @classmethod
    def _rule(cls, v: Setting) -> Setting:
        return one_of(v, ("needs_proxy", "population"))


STOCKS: tuple[Metric, ...] = (
    Metric("ring_fenced_balance_gbp", "GBP", "stock", "unspent ring-fenced grant"),
)
"""The ring-fenced balance at the end of the period."""


FLOWS: tuple[Metric, ...] = (
    Metric("grant_received_gbp", "GBP", "flow", "Social Care Reform Grant received"),
    Metric("grant_spent_gbp", "GBP", "flow", "Social Care Reform Grant spent"),
    Metric("grant_pb_systems_gbp", "GBP", "flow", "grant spent on PB systems"),
    Metric("grant_prevention_gbp", "GBP", "flow",
           "grant given to prevention and early intervention (reablement places)"),
    Metric("grant_information_advice_gbp", "GBP", "flow", "grant spent on information and advice"),
    Metric("grant_workforce_commissioning_gbp", "GBP", "flow",
           "grant spent on workforce and commissioning"),
)
"""Grant received and spent."""


DIVERTED: tuple[Metric, ...] = (
    Metric(
        "grant_diverted_gbp",
        "GBP",
        "flow",
        "grant put to core budget pressures (only when not ring-fenced)",
    ),
)
"""Grant put to core budget pressures."""


LEDGER_GROUP = "Social Care Reform Grant"
LEDGER_LINES: tuple[LedgerLine, ...] = (
    LedgerLine("grant_received_gbp", "Grant received",
               "the council's share of the year's tranche, received in twelve instalments",
               LEDGER_GROUP, summary="Grant received"),
    LedgerLine("grant_spent_gbp", "Grant spent",
               "grant spent on transformation in the year", LEDGER_GROUP),
    LedgerLine("grant_diverted_gbp", "Grant put to core pressures",
               "grant put to core budget pressures: a share of each instalment once the "
               "ring-fence has ended, and the balance released when it ends", LEDGER_GROUP),
    LedgerLine("ring_fenced_opening_gbp", "Unspent ring-fenced grant, year start",
               "the ring-fenced balance on 1 April", LEDGER_GROUP, shown=False),
    LedgerLine("ring_fenced_closing_gbp", "Unspent ring-fenced grant, year end",
               "the ring-fenced balance on 31 March", LEDGER_GROUP),
)
"""The grant's lines of the budget ledger (GBP cash), in ledger order."""


@dataclass
class GrantState:
    """The grant in one replication (arrays over councils, GBP).

    Attributes
    ----------
    balance_gbp : numpy.ndarray
        Unspent ring-fenced grant.
    tranche_gbp : numpy.ndarray
        This financial year's share of the national tranche (paid in twelve instalments).
    prevention_gbp : numpy.ndarray
        This month's grant for prevention (reablement places).
    other_gbp : numpy.ndarray
        This month's grant spent on information and advice and on workforce and commissioning
        (transformation spend that does not build readiness).
    """

    balance_gbp: np.ndarray
    tranche_gbp: np.ndarray
    prevention_gbp: np.ndarray
    other_gbp: np.ndarray


def init_state(n: int) -> GrantState:
    """No grant received and none held before the first financial year."""
    return GrantState(balance_gbp=np.zeros(n), tranche_gbp=np.zeros(n),
                      prevention_gbp=np.zeros(n), other_gbp=np.zeros(n))


def start_year(s: ModelState, date: dt.date, ledger: dict[str, np.ndarray]) -> None:
    """Open the grant's year: this year's tranche, and the opening balance in the ledger."""
    ledger["ring_fenced_opening_gbp"] += s.grant.balance_gbp
    s.grant.tranche_gbp = s.p.grant.tranches_gbp.at(date) * s.inp.grant_share


def month(s: ModelState, date: dt.date) -> np.ndarray:
    """Receive this month's instalment, spend from the balance and share it between the uses.

    Returns the grant spent on transformation (GBP): every use but prevention, whose money
    (``prevention_gbp``) buys reablement places."""
    g, st = s.p.grant, s.grant
    received = st.tranche_gbp / 12.0
    s.rec.add("grant_received_gbp", received)
    until = g.ring_fenced_until.value
    if until is not None and date < until:
        st.balance_gbp += received
        spent = st.balance_gbp * g.spend_per_month.value
        st.balance_gbp -= spent
    else:
        diverted = received * g.diverted_share_when_not_ring_fenced.value
        released = st.balance_gbp.copy()
        st.balance_gbp[:] = 0.0
        s.rec.add("grant_diverted_gbp", diverted + released)
        spent = received - diverted
    s.rec.add("grant_spent_gbp", spent)
    systems, prevention, info, workforce = g.use_shares()
    st.prevention_gbp = spent * prevention
    st.other_gbp = spent * (info + workforce)
    s.rec.add("grant_pb_systems_gbp", spent * systems)
    s.rec.add("grant_prevention_gbp", st.prevention_gbp)
    s.rec.add("grant_information_advice_gbp", spent * info)
    s.rec.add("grant_workforce_commissioning_gbp", spent * workforce)
    return spent - st.prevention_gbp


def record_stocks(s: ModelState) -> None:
    """Record the ring-fenced balance at the end of the month."""
    s.rec.set("ring_fenced_balance_gbp", s.grant.balance_gbp.copy())


def close_year(s: ModelState, ledger: dict[str, np.ndarray],
               flows: Callable[[str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Book the year's grant lines; return what the grant adds to the closing position.

    Parameters
    ----------
    ledger : dict
        The year's ledger lines (GBP per council), added to.
    flows : callable
        The year's total of a recorded flow, by metric name.

    Returns
    -------
    received, held : numpy.ndarray
        Grant received in the year, and the rise in the unspent ring-fenced balance (held
        back, so not available to the year's position).
    """
    for name in ("grant_received_gbp", "grant_spent_gbp", "grant_diverted_gbp"):
        ledger[name] += flows(name)
    ledger["ring_fenced_closing_gbp"] += s.grant.balance_gbp
    return (ledger["grant_received_gbp"],
            ledger["ring_fenced_closing_gbp"] - ledger["ring_fenced_opening_gbp"])
