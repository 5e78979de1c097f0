"""Exits (process 6): death, moving to NHS or self-funded care, or recovery.

Each user's exit time is drawn when they start, and drawn again from the moment their setting
changes, by inverting the cumulative hazard of their (age band, setting) group
(:mod:`caresim.model.hazards`): the hazards ``exits.hazard_<setting>_<age>`` are dated, so a
rate change later in the run is honoured exactly. The cause of an exit is drawn from
``exits.cause_mix_<setting>``; it is recorded, and does not change what happens next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from caresim.model.hazards import PiecewiseHazard
from caresim.model.parts import Metric
from caresim.model.population import COMMUNITY, RESIDENTIAL
from caresim.model.state import ModelState
from caresim.params.section import DatedHazard, ExitCauseMix, Section


class Exits(Section):
    """Exits by age band and setting (process 6): hazards per year, dated."""

    hazard_community_18_64: DatedHazard  # type: ignore[valid-type]
    hazard_community_65plus: DatedHazard  # type: ignore[valid-type]
    hazard_residential_18_64: DatedHazard  # type: ignore[valid-type]
    hazard_residential_65plus: DatedHazard  # type: ignore[valid-type]
    cause_mix_community: ExitCauseMix  # type: ignore[valid-type]
    cause_mix_residential: ExitCauseMix  # type: ignore[valid-type]


METRICS: tuple[Metric, ...] = (
    Metric("exits", "people", "flow", "people leaving services"),
    Metric("exits_death", "people", "flow", "people leaving services: died"),
    Metric("exits_nhs_or_self_funded", "people", "flow",
           "people leaving services: to NHS-funded care or paying for themselves"),
    Metric("exits_recovery", "people", "flow",
           "people leaving services: no longer needing support"),
)
"""People leaving services, by cause."""


@dataclass
class ExitsState:
    """The exit hazards keyed by (age band, setting), for the run's calendar."""

    hazards: dict[tuple[int, int], PiecewiseHazard]


def build_hazards(p, cal) -> dict[tuple[int, int], PiecewiseHazard]:
    """The four exit hazards keyed by (age band, setting)."""
    e = p.exits
    table = {(0, COMMUNITY): e.hazard_community_18_64, (1, COMMUNITY): e.hazard_community_65plus,
             (0, RESIDENTIAL): e.hazard_residential_18_64,
             (1, RESIDENTIAL): e.hazard_residential_65plus}
    return {k: PiecewiseHazard(*v.step_days(cal.start)) for k, v in table.items()}


def draw_exit_times(s: ModelState, stream: str, council: np.ndarray, age: np.ndarray,
                    setting: np.ndarray, t0: np.ndarray) -> np.ndarray:
    """Exit times (days) after ``t0`` for people of the given age bands and settings."""
    e = s.draw(stream, council, lambda g, k: g.standard_exponential(k))
    out = np.empty(len(t0))
    for (a, st), hz in s.exits.hazards.items():
        m = np.flatnonzero((age == a) & (setting == st))  # indices: faster than a mask
        if len(m):
            out[m] = hz.draw_times(t0[m], e[m])
    return out


def leave(s: ModelState, idx: np.ndarray) -> None:
    """Remove users ``idx`` at their exit times (spend accrued to then by the caller)."""
    pop = s.pop
    council = pop.council[idx]
    pop.active[idx] = False
    s.rec.add_at("exits", council)
    e = s.p.exits
    u = s.draw("exits.cause", council, lambda g, k: g.random(k))
    residential = pop.setting[idx] == RESIDENTIAL
    cum = np.where(residential[:, None], np.cumsum(e.cause_mix_residential.vector())[None, :],
                   np.cumsum(e.cause_mix_community.vector())[None, :])
    cause = (u[:, None] >= cum).sum(axis=1).clip(0, 2)
    for k, name in enumerate(("exits_death", "exits_nhs_or_self_funded", "exits_recovery")):
        s.rec.add_at(name, council[cause == k])
