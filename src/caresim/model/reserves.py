"""Reserves (part of process 8, finance): what absorbs a council's in-year gap before rationing.

Each council opens April 2008 with reserves set aside for adult social care:
``finance.reserves.opening_ratio_to_net_budget`` x its first net budget, or its own
``council_overrides.<council>.opening_reserves_gbp``. Its *floor* (the level below which it will
not draw) is ``floor_share_of_opening`` x those opening reserves (GBP cash, fixed), or its own
``reserves_floor_gbp``; a council's own opening reserves below the derived floor make them the
floor. At each year end an overspend (a negative closing position) is drawn from reserves. An
underspend first restores reserves that fell below the floor (a council rebuilds its minimum
balance before anything else), then a share ``underspend_share_to_reserves`` of the rest is
added to them (the rest returns to the council's general fund). So, to the penny,

    reserves_closing = reserves_opening - reserves_draw, with
    reserves_draw = -closing_position if closing_position < 0, else
                    -(restore + underspend_share_to_reserves x (closing_position - restore)),
    restore = min(closing_position, max(reserves_floor - reserves_opening, 0)).

Rationing (:mod:`caresim.model.rationing`) aims the forecast closing reserves at the floor plus
a margin, so reserves below the floor are rebuilt in the next year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from caresim.model.parts import LedgerLine
from caresim.params.section import Fraction, Section
from caresim.params.values import quantity

if TYPE_CHECKING:
    from caresim.model.state import ModelState


class Reserves(Section):
    """Reserves for adult social care: opening level, floor, and what underspends add."""

    opening_ratio_to_net_budget: Fraction  # type: ignore[valid-type]
    floor_share_of_opening: quantity(  # type: ignore[valid-type]
        "fraction", 0.0, 1.0, "a floor no higher than the opening reserves (a share of them)")
    underspend_share_to_reserves: Fraction  # type: ignore[valid-type]


_GROUP = "Reserves"
LEDGER_LINES: tuple[LedgerLine, ...] = (
    LedgerLine("reserves_opening_gbp", "Reserves, year start",
               "reserves for adult social care on 1 April", _GROUP),
    LedgerLine("reserves_draw_gbp", "Drawn from reserves (- added)",
               "the overspend drawn from reserves, or minus the share of an underspend added "
               "to them", _GROUP),
    LedgerLine("reserves_closing_gbp", "Reserves, year end",
               "reserves_opening - reserves_draw", _GROUP, total=True),
    LedgerLine("reserves_floor_gbp", "Reserves floor",
               "the level below which the council will not draw; rationing keeps reserves at "
               "or above it", _GROUP),
)
"""The reserves' ledger lines (GBP cash)."""


@dataclass
class ReservesState:
    """Each council's reserves (GBP cash): at the start of the current year, and the floor."""

    opening_gbp: np.ndarray = field(default_factory=lambda: np.zeros(0))
    floor_gbp: np.ndarray = field(default_factory=lambda: np.zeros(0))


def opening_levels(p: object, own_opening: np.ndarray, own_floor: np.ndarray,
                   budget_gbp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Opening reserves and floor (GBP) of each council from its first net budget (GBP/year).

    ``own_opening`` and ``own_floor`` are the councils' own figures, NaN where none is given.
    """
    r = p.finance.reserves  # type: ignore[attr-defined]
    opening = np.where(np.isnan(own_opening),
                       r.opening_ratio_to_net_budget.value * budget_gbp, own_opening)
    floor = np.where(np.isnan(own_floor), r.floor_share_of_opening.value * opening, own_floor)
    return opening, np.minimum(floor, opening)


def start_year(s: ModelState, acc: dict[str, np.ndarray], first: bool) -> None:
    """Open the year's reserves lines; in the first year set each council's opening level and
    floor from its net budget (``acc['opening_budget_gbp']``)."""
    st = s.reserves
    if first:
        st.opening_gbp, st.floor_gbp = opening_levels(
            s.p, s.inp.opening_reserves_gbp, s.inp.reserves_floor_gbp, acc["opening_budget_gbp"])
    acc["reserves_opening_gbp"] += st.opening_gbp
    acc["reserves_floor_gbp"] += st.floor_gbp


def close_year(s: ModelState, acc: dict[str, np.ndarray]) -> None:
    """Draw the year's overspend from reserves (or add a share of its underspend); the
    closing reserves open the next year."""
    position = acc["closing_position_gbp"]
    share = s.p.finance.reserves.underspend_share_to_reserves.value
    surplus = np.maximum(position, 0.0)
    restore = np.minimum(surplus, np.maximum(acc["reserves_floor_gbp"]
                                             - acc["reserves_opening_gbp"], 0.0))
    draw = np.where(position < 0, -position, -(restore + share * (surplus - restore)))
    acc["reserves_draw_gbp"] += draw
    acc["reserves_closing_gbp"] += acc["reserves_opening_gbp"] - draw
    s.reserves.opening_gbp = acc["reserves_closing_gbp"].copy()


def headroom_gbp(s: ModelState) -> np.ndarray:
    """Reserves a council can draw this year before it reaches its floor (GBP; negative when
    they are below it, by what the year must rebuild)."""
    return s.reserves.opening_gbp - s.reserves.floor_gbp
