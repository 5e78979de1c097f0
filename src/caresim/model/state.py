"""Everything one replication carries: the shared world and one state object per process.

A replication is fully described by its :class:`ModelState` and the order of the calendar's
steps (``model.py``). Each process declares its own state (``GrantState`` in ``grant.py``, and
so on) and builds it with its ``init_state``; the model holds one of each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from caresim.calendar import Calendar
from caresim.model.buffers import EventBuffer
from caresim.model.inputs import CouncilInputs
from caresim.model.population import Population
from caresim.streams import StreamSet

if TYPE_CHECKING:
    from caresim.model.assessment import AssessmentState
    from caresim.model.demand import DemandState
    from caresim.model.demography import DemographyState
    from caresim.model.exits import ExitsState
    from caresim.model.finance import FinanceState
    from caresim.model.flows import SteadyState
    from caresim.model.grant import GrantState
    from caresim.model.personal_budgets import PersonalBudgetsState
    from caresim.model.prevention import PreventionState
    from caresim.model.rationing import RationingState
    from caresim.model.reserves import ReservesState
    from caresim.model.reviews import ReviewsState
    from caresim.model.services import ServicesState
    from caresim.model.transformation import TransformationState
    from caresim.params.schema import Scenario
    from caresim.recording import Recorder

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
    """State of one replication: what every process shares, and one state object per process.

    The shared part is read-only for processes except through their own calls: the parameters
    ``p``, the calendar, the council inputs, the random streams, the recorder and the
    population of people in service (rows changed by services, reviews, exits and finance's
    price changes). Everything else lives in the state of the process that owns it, declared in
    that process's module (``s.grant`` is a :class:`caresim.model.grant.GrantState`, and so
    on); another process reads it there, and writes only what the owner documents as set from
    outside (finance sets the teams' FTE, the FACS threshold and the lever settings each year).
    Arrays over councils have length ``n``; money in GBP.
    """

    p: Scenario
    cal: Calendar
    inp: CouncilInputs
    streams: StreamSet
    rec: Recorder
    pop: Population
    n: int
    flows: SteadyState = field(init=False)
    demand: DemandState = field(init=False)
    demography: DemographyState = field(init=False)
    assessment: AssessmentState = field(init=False)
    prevention: PreventionState = field(init=False)
    services: ServicesState = field(init=False)
    reviews: ReviewsState = field(init=False)
    exits: ExitsState = field(init=False)
    transformation: TransformationState = field(init=False)
    finance: FinanceState = field(init=False)
    grant: GrantState = field(init=False)
    personal_budgets: PersonalBudgetsState = field(init=False)
    reserves: ReservesState = field(init=False)
    rationing: RationingState = field(init=False)

    def draw(self, name: str, council: np.ndarray, fn) -> np.ndarray:
        """One draw per element from its council's stream ``name`` (see StreamSet)."""
        return self.streams.draw_grouped(name, council, fn)
