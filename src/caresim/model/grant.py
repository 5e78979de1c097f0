"""The Social Care Reform Grant (process 9).

Each financial year's national tranche (``grant.tranches_gbp``) is shared between councils by
``inputs.grant_share`` (the needs-weighted proxy of ``inputs.py``) and paid in twelve monthly
instalments. While the grant is ring-fenced (before ``grant.ring_fenced_until``) every pound
goes to a ring-fenced balance from which the council spends ``spend_per_month`` of the balance
on transformation each month. Without the ring-fence a share
``diverted_share_when_not_ring_fenced`` of each instalment goes to core budget pressures
(recorded as ``grant_diverted_gbp``). A balance left when the ring-fence ends is released to
core budgets. Without the ring-fence the rest of each instalment is spent on transformation in
the month it arrives."""

from __future__ import annotations

import datetime as dt

import numpy as np
from pydantic import field_validator

from caresim.model.state import ModelState
from caresim.params.section import DatedGBPPerYear, Fraction, Section
from caresim.params.values import DateSetting, Setting


class Grant(Section):
    """The Social Care Reform Grant (process 9)."""

    tranches_gbp: DatedGBPPerYear  # type: ignore[valid-type]
    ring_fenced_until: DateSetting
    allocation_rule: Setting
    spend_per_month: Fraction  # type: ignore[valid-type]
    diverted_share_when_not_ring_fenced: Fraction  # type: ignore[valid-type]

    @field_validator("allocation_rule")
    @classmethod
    def _rule(cls, v: Setting) -> Setting:
        if v.value not in ("needs_proxy", "population"):
            raise ValueError(f"expected 'needs_proxy' or 'population'; found {v.value!r}")
        return v


def month(s: ModelState, date: dt.date) -> np.ndarray:
    """Receive this month's instalment and spend from the balance. Returns grant spent (GBP)."""
    g = s.p.grant
    received = s.grant_this_fy_gbp / 12.0
    s.rec.add("grant_received_gbp", received)
    until = g.ring_fenced_until.value
    if until is not None and date < until:
        s.rf_balance_gbp += received
        spent = s.rf_balance_gbp * g.spend_per_month.value
        s.rf_balance_gbp -= spent
    else:
        diverted = received * g.diverted_share_when_not_ring_fenced.value
        released = s.rf_balance_gbp.copy()
        s.rf_balance_gbp[:] = 0.0
        s.rec.add("grant_diverted_gbp", diverted + released)
        spent = received - diverted
    s.rec.add("grant_spent_gbp", spent)
    return spent
