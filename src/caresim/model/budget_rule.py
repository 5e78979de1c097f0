"""Finance's opening-budget rule and staff cost, as pure functions (:mod:`caresim.model.finance`
owns them; the flows' steady state, :mod:`caresim.model.flows`, uses the same rule to size the
reablement places the starting state implies)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from caresim.model.inputs import CouncilInputs
    from caresim.params.schema import Scenario


def staff_gbp_per_year(p: Scenario, assessment_fte: np.ndarray, review_fte: np.ndarray
                       ) -> np.ndarray:
    """Assessment and review staff cost (GBP/year, at April 2008 prices) of the given FTE."""
    a, r = p.assessment, p.reviews
    return (assessment_fte * a.cost_gbp_per_fte_year.value +
            review_fte * r.cost_gbp_per_fte_year.value)


def opening_budget_gbp(p: Scenario, inp: CouncilInputs, date: dt.date, packages: np.ndarray,
                       staff: np.ndarray) -> np.ndarray:
    """The opening net budget rule (GBP/year): packages net of charges plus staff, over one
    less the reablement and core transformation shares on ``date``; a council's own opening
    budget where an override gives one."""
    reab_share = p.reablement.budget_share.at(date)
    core_share = p.transformation.core_share_of_budget.at(date)
    charges = p.finance.client_charges_share_of_gross.value
    derived = (packages * (1 - charges) + staff) / (1 - reab_share - core_share)
    return np.where(np.isnan(inp.opening_budget_gbp), derived, inp.opening_budget_gbp)
