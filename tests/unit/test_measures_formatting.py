"""The one formatter: what each of today's six formatters does, and its properties."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caresim.measures.errors import MeasureError
from caresim.measures.formatting import (
    NOT_AVAILABLE,
    excel_format,
    format_against,
    format_difference,
    format_value,
)
from caresim.measures.units import UNITS, UnitError, get_unit, money_scale

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
units = st.sampled_from(sorted(UNITS))

_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "bn": 1e9}


def parse(text: str, unit: str) -> float:
    """The number a formatted text shows, back in the unit's own terms (for properties)."""
    neg = text.startswith("-") or text.startswith("(")
    m = re.search(r"([\d,]+(?:\.\d+)?)\s*(bn|m|k)?", text)
    assert m, text
    v = float(m.group(1).replace(",", ""))
    if get_unit(unit).kind == "money":
        v *= _SCALE[m.group(2) or ""]
    if get_unit(unit).kind == "fraction":
        v /= 100
    return -v if neg else v


# ---- what today's formatters do, one by one ------------------------------------------------

def test_covers_reporting_money_at_a_fixed_scale_with_accounting_negatives() -> None:
    # reporting._money: GBP thousand as whole numbers, million to one decimal, (x) if negative
    assert format_value(1_234_567, "GBP", scale="k", symbol=False) == "1,235"
    assert format_value(-1_234_567, "GBP", scale="m", symbol=False,
                        negative="parentheses") == "(1.2)"
    assert format_value(-100, "GBP", scale="k", symbol=False, negative="parentheses") == "0"


def test_covers_reporting_percentages_and_signed_differences_by_unit() -> None:
    # reporting._pct and _by_unit
    assert format_value(0.1234, "fraction") == "12.3%"
    assert format_value(0.1234, "fraction", digits=2) == "12.34%"
    assert format_difference(0.0123, "fraction") == "+1.2 pp"
    assert format_difference(-0.0004, "fraction") == "0.0 pp"  # rounds to zero: no sign
    assert format_difference(2_500_000, "GBP", scale="m", digits=2) == "+£2.50m"
    assert format_difference(0.0123, "index") == "+0.012"
    assert format_difference(-1.25, "days") == "-1.2 days"
    assert format_difference(1234.4, "people") == "+1,234"


def test_covers_validation_money_scaled_to_billion_or_million() -> None:
    # validation._fmt: £x.xxbn above 1e8, else £x.xm; counts whole
    assert format_value(16.1e9, "GBP") == "£16.10bn"
    assert format_value(84e6, "GBP") == "£84.0m"
    assert format_value(886939, "people") == "886,939"
    assert format_value(0.168, "fraction") == "16.8%"


def test_covers_plotting_money_scale() -> None:
    # plotting.money_scale: billion from 5e9, million from 5e6, else thousand
    assert money_scale(6e9, headroom=5).long == "GBP billion"
    assert money_scale(4e9, headroom=5).long == "GBP million"
    assert money_scale(4e6, headroom=5, smallest=money_scale(1e3)).long == "GBP thousand"
    assert money_scale(float("nan"), headroom=5).divisor == 1.0


def test_covers_workbook_number_formats() -> None:
    assert excel_format("fraction") == "0.0%"
    assert excel_format("GBP") == excel_format("GBP/year") == "#,##0;-#,##0"
    assert excel_format("days") == "0.0" and excel_format("index") == "0.000"
    assert excel_format("people") == "#,##0"


def test_covers_the_cli_scorecard_and_comparison() -> None:
    assert format_value(2_356_273, "GBP", scale="m") == "£2.4m"
    assert format_value(0.30015, "fraction") == "30.0%"
    assert format_value(1_000, "GBP/year", scale="k") == "£1k a year"


def test_a_verdict_shows_enough_decimals_to_explain_itself() -> None:
    assert format_against(0.0929, 0.093, "fraction") == ("9.29%", "9.3%")
    assert format_against(0.30016, 0.30, "fraction") == ("30.02%", "30%")
    assert format_against(0.3, 0.3, "fraction") == ("30.0%", "30%")
    assert format_against(9.26e6, 9.3e6, "GBP") == ("£9.26m", "£9.3m")
    assert format_against(float("nan"), 0.1, "fraction") == (NOT_AVAILABLE, "10%")


def test_an_unknown_unit_is_an_error_not_a_guess() -> None:
    with pytest.raises(UnitError, match="Did you mean 'GBP'"):
        format_value(1.0, "GPB")
    assert issubclass(UnitError, Exception) and not issubclass(UnitError, MeasureError)


# ---- properties ----------------------------------------------------------------------------

@given(st.one_of(st.just(float("nan")), st.just(float("inf")), st.just(-float("inf")),
                 st.none()), units)
def test_anything_not_a_finite_number_is_shown_the_same_way(value, unit) -> None:
    assert format_value(value, unit) == NOT_AVAILABLE
    assert format_difference(value, unit) == NOT_AVAILABLE


@given(finite, units, st.booleans())
def test_finite_input_gives_finite_text_with_its_sign(value, unit, signed) -> None:
    text = format_value(value, unit, signed=signed)
    assert text != NOT_AVAILABLE and "nan" not in text and "inf" not in text
    shown = parse(text, unit)
    assert math.isfinite(shown)
    if shown != 0:
        assert (shown < 0) == (value < 0)
        assert text.startswith("-") == (value < 0)
        assert text.startswith("+") == (signed and value > 0)
    else:
        assert not text.startswith(("-", "+"))


@given(finite, finite, units)
def test_shown_values_are_monotone(a, b, unit) -> None:
    lo, hi = min(a, b), max(a, b)
    assert parse(format_value(lo, unit), unit) <= parse(format_value(hi, unit), unit)


@given(finite, units)
def test_shown_value_is_within_half_a_last_digit(value, unit) -> None:
    u = get_unit(unit)
    text = format_value(value, unit)
    scale = money_scale(abs(value)) if u.kind == "money" else None
    digits = scale.digits if scale else u.digits
    step = 10.0 ** -digits * (scale.divisor if scale else 1.0) * (0.01 if u.kind == "fraction"
                                                                  else 1.0)
    assert abs(parse(text, unit) - value) <= step / 2 * (1 + 1e-9) + 1e-9 * abs(value)


@given(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False))
def test_a_verdict_never_hides_which_side_of_the_target_a_share_is(value, target) -> None:
    v, t = format_against(value, target, "fraction")
    shown_v, shown_t = parse(v, "fraction"), parse(t, "fraction")
    if abs(value - target) > 1e-8:  # beyond the decimals the formatter may add
        assert (shown_v < shown_t) == (value < target)
        assert shown_v != shown_t
