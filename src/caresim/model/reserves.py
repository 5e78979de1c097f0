"""Reserves (part of process 8, finance): what absorbs a council's in-year gap before rationing,
and the general fund, which meets what neither reserves above the floor nor rationing closed.

Each council opens April 2008 with reserves set aside for adult social care:
``finance.reserves.opening_ratio_to_net_budget`` x its first net budget, or its own
``council_overrides.<council>.opening_reserves_gbp``. Its *floor* (the level below which it will
not draw) is ``floor_share_of_opening`` x those opening reserves (GBP cash, fixed), or its own
``reserves_floor_gbp``; a council's own opening reserves below the derived floor make them the
floor. At each year end an overspend (a negative closing position) is drawn from reserves down
to the floor, and no further: the part of it beyond reserves above the floor, the gap rationing
(:mod:`caresim.model.rationing`) could not close within its caps, is met from the council's
general fund (its other services cut or its corporate budget, as councils do), the ledger line
and metric ``general_fund_support_gbp``. It is 0 in every year whose overspend reserves above
the floor absorb. An underspend first restores reserves below the floor (a council rebuilds
its minimum balance before anything else; reachable only from reserves that open below it, which
the model's never do), then a share
``underspend_share_to_reserves`` of the rest is added to them (the rest returns to the council's
general fund). So, to the penny,

    reserves_closing = reserves_opening - reserves_draw, with
    general_fund_support = max(0, -closing_position - max(reserves_opening - reserves_floor, 0)),
    reserves_draw = -closing_position - general_fund_support if closing_position < 0, else
                    -(restore + underspend_share_to_reserves x (closing_position - restore)),
    restore = min(closing_position, max(reserves_floor - reserves_opening, 0)),

and reserves that open at or above the floor (as they always do: they open at the first
year's level, never below the floor, and close no lower) close at or above it.

Rationing aims the forecast closing reserves at the floor plus a margin, so the general fund
is called on only when every mechanism at its cap leaves a gap beyond that margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from caresim.model.parts import LedgerLine, Metric
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


GENERAL_FUND = "general_fund_support_gbp"
"""The metric and ledger line of the overspend met from the general fund (GBP)."""
_GENERAL_FUND_TEXT = ("the overspend beyond reserves above their floor, the gap rationing could "
                      "not close within its caps, met from the council's other services or "
                      "its corporate budget (general fund); 0 unless the floor was at risk")

FLOWS: tuple[Metric, ...] = (
    Metric(GENERAL_FUND, "GBP", "flow",
           f"{_GENERAL_FUND_TEXT}; booked at the year end (in its last month)"),
)
"""The general fund's support, a flow booked in the last month of each financial year."""

_GROUP = "Reserves"
LEDGER_LINES: tuple[LedgerLine, ...] = (
    LedgerLine("reserves_opening_gbp", "Reserves, year start",
               "reserves for adult social care on 1 April", _GROUP),
    LedgerLine(GENERAL_FUND, "Met from the general fund (gap beyond the floor)",
               _GENERAL_FUND_TEXT, _GROUP),
    LedgerLine("reserves_draw_gbp", "Drawn from reserves (- added)",
               "the overspend drawn from reserves down to the floor (the rest is met from the "
               "general fund), or minus what an underspend restores up to the floor and the "
               "share of the rest added to them", _GROUP),
    LedgerLine("reserves_closing_gbp", "Reserves, year end",
               "reserves_opening - reserves_draw", _GROUP, total=True),
    LedgerLine("reserves_floor_gbp", "Reserves floor",
               "the level below which the council will not draw: rationing aims to keep "
               "reserves above it, and the general fund meets what rationing cannot close "
               "within its caps, so reserves close at or above it", _GROUP),
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


def settle(position: np.ndarray, opening: np.ndarray, floor: np.ndarray, share: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """The year end of each council's reserves (module docstring), GBP.

    Parameters
    ----------
    position : numpy.ndarray
        Closing position of the year (GBP; negative: an overspend).
    opening, floor : numpy.ndarray
        Reserves on 1 April and their floor (GBP).
    share : float
        ``underspend_share_to_reserves``: the share of an underspend, beyond what restores
        reserves to the floor, added to them (fraction).

    Returns
    -------
    general_fund, draw : numpy.ndarray
        The overspend met from the general fund (GBP, never negative; 0 unless the overspend
        exceeds reserves above the floor) and the draw on reserves (GBP; negative: added), so
        that ``opening - draw`` is the closing reserves and, for an overspend,
        ``general_fund + draw = -position``.
    """
    overspend = np.maximum(-position, 0.0)
    drawn = np.minimum(overspend, np.maximum(opening - floor, 0.0))
    general_fund = overspend - drawn
    surplus = np.maximum(position, 0.0)
    restore = np.minimum(surplus, np.maximum(floor - opening, 0.0))
    draw = np.where(position < 0, drawn, -(restore + share * (surplus - restore)))
    return general_fund, draw


def close_year(s: ModelState, acc: dict[str, np.ndarray]) -> None:
    """Draw the year's overspend from reserves down to the floor and meet the rest from the
    general fund (booked as ``general_fund_support_gbp`` in the year's last month, the
    recorder's current one), or add a share of its underspend; the closing reserves open the
    next year."""
    general_fund, draw = settle(acc["closing_position_gbp"], acc["reserves_opening_gbp"],
                                acc["reserves_floor_gbp"],
                                s.p.finance.reserves.underspend_share_to_reserves.value)
    acc[GENERAL_FUND] += general_fund
    acc["reserves_draw_gbp"] += draw
    acc["reserves_closing_gbp"] += acc["reserves_opening_gbp"] - draw
    s.reserves.opening_gbp = acc["reserves_closing_gbp"].copy()
    s.rec.add(GENERAL_FUND, general_fund)


def headroom_gbp(s: ModelState) -> np.ndarray:
    """Reserves a council can draw this year before it reaches its floor (GBP; negative when
    they are below it, by what the year must rebuild)."""
    return s.reserves.opening_gbp - s.reserves.floor_gbp
