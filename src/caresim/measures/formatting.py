"""One formatter for every number caresim shows, driven by the value's unit.

* a ``fraction`` is a percentage (``9.3%``); a difference of fractions is in percentage points
  (``+1.2 pp``);
* money is scaled to thousand, million or billion (``£1.2m``, ``£16.10bn``), or written at a
  fixed scale without the symbol for a table whose header names the scale (``1,234``);
* counts (people, contacts, councils...) are whole numbers with thousands separators;
* days, FTE and indices have fixed decimals.

Anything not a finite number (NaN, infinity, ``None``) is :data:`NOT_AVAILABLE`, everywhere.
A value that rounds to zero is shown without a sign. :func:`format_against` picks enough
decimals that a value and its target never look equal when they are not (``9.29%`` against
``9.3%``). :func:`excel_format` gives the spreadsheet number format of a unit.
"""

from __future__ import annotations

import math
from typing import Any

from caresim.measures.units import (
    BILLION,
    MILLION,
    THOUSAND,
    UNIT_SCALE,
    MoneyScale,
    get_unit,
    money_scale,
)

COVERS_RANDOMNESS = "95% confidence interval of the mean over replications (randomness only)"
"""What an interval over replications of one parameter set covers (a summary's ``covers``)."""
COVERS_PARAMETERS = "95% range over parameter sets and replications (parameters and randomness)"
"""What a range over parameter sets and replications covers."""

NOT_AVAILABLE = "n/a"
"""What any non-finite value is shown as."""

MAX_DIGITS = 12
"""The most decimals :func:`format_against` adds to tell a value from its target: a value
that misses a share target misses it by more than 1e-12 (the targets' tolerance), 1e-10 in
percent, so 12 decimals always tell a miss from the target."""

_SCALES = {"": UNIT_SCALE, "unit": UNIT_SCALE, "k": THOUSAND, "thousand": THOUSAND,
           "m": MILLION, "million": MILLION, "bn": BILLION, "billion": BILLION}


def _finite(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _scale(scale: MoneyScale | str | None, magnitude: float) -> MoneyScale:
    if isinstance(scale, MoneyScale):
        return scale
    if scale is None:
        return money_scale(magnitude)
    return _SCALES[scale]


def _number(x: float, digits: int, sep: bool) -> tuple[str, int]:
    """``|x|`` rounded to ``digits`` decimals, and the sign of the rounded value (-1, 0, 1)."""
    text = f"{abs(x):,.{digits}f}" if sep else f"{abs(x):.{digits}f}"
    if float(text.replace(",", "")) == 0.0:
        return text, 0
    return text, (x > 0) - (x < 0)


def _signed(body: str, sign: int, signed: bool, style: str) -> str:
    if sign < 0:
        return f"({body})" if style == "parentheses" else f"-{body}"
    if signed and sign > 0:
        return f"+{body}"
    return body


def format_value(value: Any, unit: str, *, digits: int | None = None, signed: bool = False,
                 scale: MoneyScale | str | None = None, symbol: bool = True,
                 negative: str = "minus", separators: bool = True) -> str:
    """A value as text, from its unit.

    Parameters
    ----------
    value : float
        In the unit's own terms (a fraction, GBP, people...).
    unit : str
        A unit of :data:`caresim.measures.units.UNITS`.
    digits : int, optional
        Decimals (of the percentage for a fraction; at the chosen scale for money); the unit's
        (or the money scale's) default when omitted.
    signed : bool
        Write ``+`` before a positive value (for differences).
    scale : MoneyScale or str, optional
        Money only: ``k``/``thousand``, ``m``/``million``, ``bn``/``billion`` or ``""``;
        chosen from the value's size when omitted.
    symbol : bool
        Money only: write ``£`` and the scale's letters (``£1.2m``); without, the bare number,
        for tables whose header names the scale.
    negative : str
        ``minus`` (``-1.2``) or ``parentheses`` (``(1.2)``, as accounts write it).
    separators : bool
        Thousands separators.

    Returns
    -------
    str
        The text; :data:`NOT_AVAILABLE` for a value that is not a finite number.
    """
    u = get_unit(unit)
    v = _finite(value)
    if v is None:
        return NOT_AVAILABLE
    if u.kind == "fraction":
        d = u.digits if digits is None else digits
        body, sign = _number(100 * v, d, separators)
        return _signed(body + "%", sign, signed, negative)
    if u.kind == "money":
        s = _scale(scale, abs(v))
        d = s.digits if digits is None else digits
        body, sign = _number(v / s.divisor, d, separators)
        if symbol:
            body = f"£{body}{s.short}{u.suffix}"
        return _signed(body, sign, signed, negative)
    d = u.digits if digits is None else digits
    body, sign = _number(v, d, separators)
    return _signed(body + (u.suffix if symbol else ""), sign, signed, negative)


def format_difference(value: Any, unit: str, *, digits: int | None = None,
                      scale: MoneyScale | str | None = None) -> str:
    """A difference (B - A, model - published) as signed text; fractions in percentage points.

    Parameters
    ----------
    value : float
        The difference, in the unit's own terms.
    unit : str
        The unit of the two values differenced.
    digits, scale
        As :func:`format_value`.
    """
    if get_unit(unit).kind == "fraction":
        v = _finite(value)
        if v is None:
            return NOT_AVAILABLE
        d = get_unit(unit).digits if digits is None else digits
        body, sign = _number(100 * v, d, True)
        return _signed(body, sign, True, "minus") + " pp"
    return format_value(value, unit, digits=digits, signed=True, scale=scale)


def _shortest_digits(x: float, start: int) -> int:
    """The fewest decimals (at least ``start``) that write ``x`` exactly, up to MAX_DIGITS."""
    for d in range(start, MAX_DIGITS + 1):
        if abs(round(x, d) - x) <= 1e-9 * max(abs(x), 1e-300):
            return d
    return MAX_DIGITS


def format_against(value: Any, target: Any, unit: str) -> tuple[str, str]:
    """A value and its target as text, with enough decimals to show which side it is on.

    The target is written in as few decimals as write it exactly (``9.3%``); the value in at
    least the unit's decimals and more while the rounding would hide the side it falls on
    (``9.29%``, not ``9.3%``), up to :data:`MAX_DIGITS`. Money shares one scale.

    Parameters
    ----------
    value, target : float
        In the unit's own terms.
    unit : str
        Their unit.

    Returns
    -------
    tuple of str
        ``(value text, target text)``.
    """
    u = get_unit(unit)
    v, t = _finite(value), _finite(target)
    factor, scale = 1.0, None
    if u.kind == "fraction":
        factor = 100.0
    elif u.kind == "money":
        scale = money_scale(max(abs(v or 0.0), abs(t or 0.0)))
        factor = 1.0 / scale.divisor
    base = (scale.digits if scale else u.digits)
    t_digits = 0 if t is None else _shortest_digits(t * factor, 0)
    target_text = (NOT_AVAILABLE if t is None else
                   format_value(t, unit, digits=t_digits,
                                scale=UNIT_SCALE if t == 0 and scale else scale))
    if v is None or t is None:
        return format_value(v, unit, scale=scale), target_text
    written = round(t * factor, t_digits)  # the target as its text shows it
    d = base
    while d < MAX_DIGITS:
        shown = round(v * factor, d)
        side = (shown > t * factor) - (shown < t * factor)
        if side == (v > t) - (v < t) and (v == t or shown != written):
            break
        d += 1
    return format_value(v, unit, digits=d, scale=scale), target_text


def common_scale(values: Any, unit: str) -> MoneyScale | None:
    """One money scale for several values shown together (from the largest finite one), so
    that an estimate and its interval read alike; ``None`` for a unit that is not money."""
    if get_unit(unit).kind != "money":
        return None
    finite = [abs(v) for v in map(_finite, values) if v is not None]
    return money_scale(max(finite, default=0.0))


def axis_scale(unit: str, values: Any = ()) -> tuple[float, str]:
    """The factor a figure multiplies values in ``unit`` by, and its axis label: percent for a
    fraction, a money scale chosen from the largest of ``values``, else the unit itself."""
    u = get_unit(unit)
    if u.kind == "fraction":
        return 100.0, "%"
    if u.kind == "money":
        s = common_scale(values, unit) or UNIT_SCALE
        return 1.0 / s.divisor, f"{s.long}{u.suffix} (cash)"
    return 1.0, u.words


def excel_format(unit: str) -> str:
    """The spreadsheet number format of values in ``unit`` (GBP as whole pounds)."""
    u = get_unit(unit)
    if u.kind == "fraction":
        return "0.0%"
    if u.kind == "money":
        return "#,##0;-#,##0"
    if u.digits == 0:
        return "#,##0"
    return "0." + "0" * u.digits
