"""Everything one replication carries: parameters, council arrays, population, buffers, pools.

Processes read and update a :class:`ModelState`; none keeps state of its own, so a replication
is fully described by its state and the order of the calendar's steps (``model.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from caresim.calendar import Calendar
from caresim.model.buffers import EventBuffer, RecordBuffer
from caresim.model.hazards import PiecewiseHazard
from caresim.model.inputs import CouncilInputs
from caresim.model.population import Population
from caresim.model.queueing import ServerPool
from caresim.recording import Recorder
from caresim.streams import StreamSet

if TYPE_CHECKING:
    from caresim.params.schema import Scenario

LEDGER_LINES: tuple[str, ...] = (
    "baseline_budget_gbp",
    "opening_budget_gbp",
    "income_charges_gbp",
    "income_nhs_gbp",
    "grant_received_gbp",
    "grant_spent_gbp",
    "grant_diverted_gbp",
    "ring_fenced_opening_gbp",
    "ring_fenced_closing_gbp",
    "spend_residential_gbp",
    "spend_arranged_gbp",
    "spend_pb_managed_gbp",
    "spend_dp_gbp",
    "spend_assessment_staff_gbp",
    "spend_review_staff_gbp",
    "spend_transformation_gbp",
    "spend_prevention_gbp",
    "spend_total_gbp",
    "savings_requirement_gbp",
    "savings_procurement_gbp",
    "savings_prevention_gbp",
    "savings_package_reductions_gbp",
    "savings_eligibility_gbp",
    "savings_staff_cuts_gbp",
    "savings_total_gbp",
    "savings_shortfall_gbp",
    "closing_position_gbp",
)
"""Budget ledger lines per council and financial year (GBP, cash)."""


PERSON_COLUMNS: dict[str, type] = {"t": np.float64, "council": np.int32, "age": np.int8,
                                   "need": np.int8}
"""Columns every buffer of people carries: event time (days), council index, age band, need
band."""


def person_buffer(edges: np.ndarray | None = None) -> EventBuffer:
    """A buffer of people outside services: when, which council, age band and need band."""
    return EventBuffer(dict(PERSON_COLUMNS), edges)


def unmet_buffer(edges: np.ndarray | None = None) -> EventBuffer:
    """People with unmet need: when they leave the pool, and whether they come back then."""
    return EventBuffer({**PERSON_COLUMNS, "returns": np.bool_}, edges)


def reablement_buffer(edges: np.ndarray | None = None) -> EventBuffer:
    """People in reablement: when the episode ends, and the package they were assessed for
    (``assessed_cost``, GBP/year)."""
    return EventBuffer({**PERSON_COLUMNS, "assessed_cost": np.float64}, edges)


@dataclass
class ModelState:
    """State of one replication. Arrays over councils have length ``n``; money in GBP."""

    p: Scenario
    cal: Calendar
    inp: CouncilInputs
    streams: StreamSet
    rec: Recorder
    pop: Population
    hazards: dict[tuple[int, int], PiecewiseHazard]
    assess_pool: ServerPool
    review_pool: ServerPool
    n: int
    # council arrays
    readiness: np.ndarray
    speed_per_year: np.ndarray
    spend_signal_gbp_per_user_year: np.ndarray
    threshold: np.ndarray
    assessment_fte: np.ndarray
    review_fte: np.ndarray
    budget_gbp: np.ndarray
    base_budget_gbp: np.ndarray
    price_index: np.ndarray
    staff_cost_index: np.ndarray
    procurement_cut: np.ndarray
    package_cut_p: np.ndarray
    transformation_cut: np.ndarray
    eligibility_raised_from: np.ndarray
    rf_balance_gbp: np.ndarray
    grant_this_fy_gbp: np.ndarray
    ring_fenced: bool
    reablement_places_left: np.ndarray
    last_prevention_savings_gbp: np.ndarray
    assessments_last_fy: np.ndarray
    # buffers of people outside services
    assess_pending: EventBuffer = field(default_factory=person_buffer)
    unmet_pool: EventBuffer = field(default_factory=unmet_buffer)
    reablement_pending: EventBuffer = field(default_factory=reablement_buffer)
    relapse_pending: EventBuffer = field(default_factory=person_buffer)
    giving_up: EventBuffer = field(default_factory=person_buffer)
    prevention_shadow: RecordBuffer = field(
        default_factory=lambda: RecordBuffer(
            {
                "t": np.float64,
                "t_from": np.float64,
                "council": np.int32,
                "avoided_gbp_per_year": np.float64,
            }
        )
    )
    # the current financial year
    fy_index: int = -1
    fy_label: str = ""
    fy_end_day: float = 0.0
    ledger_acc: dict[str, np.ndarray] = field(default_factory=dict)
    ledger_rows: list[dict[str, np.ndarray | str]] = field(default_factory=list)
    fy_served: np.ndarray | None = None
    fy_ascof_num: np.ndarray | None = None
    fy_ascof_den: np.ndarray | None = None
    fy_records: list[dict[str, np.ndarray | str]] = field(default_factory=list)
    fy_month0: int = 0
    staff_factor: np.ndarray | None = None
    assessment_fte0: np.ndarray | None = None
    review_fte0: np.ndarray | None = None
    assessment_demand0: np.ndarray | None = None
    review_demand0: np.ndarray | None = None
    staff_cut_monthly_gbp: np.ndarray | None = None
    package_spend_last_fy: np.ndarray | None = None
    growth_by_month: list[float] = field(default_factory=lambda: [1.0])

    def draw(self, name: str, council: np.ndarray, fn) -> np.ndarray:
        """One draw per element from its council's stream ``name`` (see StreamSet)."""
        return self.streams.draw_grouped(name, council, fn)

    def ledger_add(self, line: str, per_council: np.ndarray) -> None:
        """Add to a ledger line of the current financial year."""
        self.ledger_acc[line] += per_council

    def ledger_add_at(self, line: str, council: np.ndarray, weights: np.ndarray) -> None:
        """Add per-event amounts to a ledger line by council."""
        self.ledger_acc[line] += np.bincount(council, weights, minlength=self.n)
