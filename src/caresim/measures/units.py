"""The units caresim reports in, each declared once with how it is shown.

A unit is named as the tables write it (``people``, ``fraction``, ``GBP``...). Its ``kind``
decides the display: ``fraction`` as a percentage, ``money`` with a scale (thousand, million,
billion), ``count`` as a whole number, ``quantity`` (days, FTE, an index) to fixed decimals.
Code looks a unit up here; it never guesses one from a metric's name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from caresim.errors import InputError


@dataclass(frozen=True)
class Unit:
    """A unit of a reported value.

    Parameters
    ----------
    name : str
        As the tables write it.
    kind : str
        ``fraction``, ``money``, ``count`` or ``quantity``.
    words : str
        What one of it is, in plain words (for labels and axis titles).
    digits : int
        Decimals shown by default (for a fraction: decimals of the percentage).
    suffix : str
        Written after the number (``' days'``, ``' a year'``), or empty.
    """

    name: str
    kind: str
    words: str
    digits: int = 0
    suffix: str = ""


UNITS: dict[str, Unit] = {u.name: u for u in (
    Unit("fraction", "fraction", "share", 1),
    Unit("GBP", "money", "GBP (cash)", 1),
    Unit("GBP/year", "money", "GBP a year (cash)", 1, " a year"),
    Unit("people", "count", "people"),
    Unit("contacts", "count", "contacts"),
    Unit("assessments", "count", "assessments"),
    Unit("reviews", "count", "reviews"),
    Unit("episodes", "count", "episodes"),
    Unit("councils", "count", "councils"),
    Unit("days", "quantity", "days", 1, " days"),
    Unit("FTE", "quantity", "full-time equivalent staff", 1, " FTE"),
    Unit("index", "quantity", "index (0 to 1)", 3),
    Unit("ratio", "quantity", "ratio (GBP per GBP)", 2),
    Unit("band", "quantity", "FACS need band (0 low, 1 moderate, 2 substantial, 3 critical)", 2),
)}
"""Every unit a measure may have, by name."""


class UnitError(InputError):
    """A unit that is not in :data:`UNITS`."""


def get_unit(name: str) -> Unit:
    """The unit called ``name``.

    Raises
    ------
    UnitError
        When no unit has that name (with the nearest names).
    """
    try:
        return UNITS[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(UNITS), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnitError(f"unit '{name}': expected one of {', '.join(UNITS)}; found no such "
                        f"unit.{hint}") from None


@dataclass(frozen=True)
class MoneyScale:
    """A divisor for amounts of money with its short and long names.

    Parameters
    ----------
    divisor : float
        GBP per displayed unit.
    short : str
        Written after the number (``m`` in ``£1.2m``).
    long : str
        For column headers and axis titles (``GBP million``).
    digits : int
        Decimals shown at this scale by default.
    """

    divisor: float
    short: str
    long: str
    digits: int


UNIT_SCALE = MoneyScale(1.0, "", "GBP", 0)
THOUSAND = MoneyScale(1e3, "k", "GBP thousand", 0)
MILLION = MoneyScale(1e6, "m", "GBP million", 1)
BILLION = MoneyScale(1e9, "bn", "GBP billion", 2)
SCALES: tuple[MoneyScale, ...] = (BILLION, MILLION, THOUSAND, UNIT_SCALE)
"""Money scales, largest first."""


def money_scale(max_abs_gbp: float, headroom: float = 1.0, smallest: MoneyScale = UNIT_SCALE
                ) -> MoneyScale:
    """The largest scale at which ``max_abs_gbp`` is at least ``headroom`` displayed units.

    Parameters
    ----------
    max_abs_gbp : float
        The largest absolute amount to be shown, GBP.
    headroom : float
        How many displayed units the largest amount must reach (5 keeps axis ticks readable:
        GBP 4bn is shown as 4,000 million).
    smallest : MoneyScale
        The smallest scale allowed (plots use :data:`THOUSAND`).

    Returns
    -------
    MoneyScale
        The scale; ``smallest`` when the amount is below every larger one (or not finite).
    """
    for scale in SCALES:
        if scale.divisor <= smallest.divisor:
            return smallest
        if max_abs_gbp >= headroom * scale.divisor:
            return scale
    return smallest
