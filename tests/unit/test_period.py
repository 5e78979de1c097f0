"""Typed periods: text round trips, order, month ends inside financial years, clear errors."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caresim.calendar import fy_of
from caresim.errors import InputError
from caresim.period import (
    FinancialYear,
    MonthEnd,
    MonthSpan,
    PeriodError,
    YearSpan,
    as_period,
    parse_period,
)

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))
month_ends = dates.map(MonthEnd.of)
years = st.integers(1990, 2098).map(FinancialYear)
year_spans = st.builds(
    lambda a, b, open_: YearSpan(FinancialYear(max(a, b)),
                                 None if open_ else FinancialYear(min(a, b))),
    st.integers(1990, 2098), st.integers(1990, 2098), st.booleans())
month_spans = st.builds(lambda a, b: MonthSpan(min(a, b), max(a, b)), month_ends, month_ends)
periods = st.one_of(month_ends, years, year_spans, month_spans)


@pytest.mark.parametrize("text", ["2011-03-31", "2010-11", "to 2010-11", "2008-09 to 2010-11",
                                  "2010-10-31 to 2011-03-31", "2000-02-29", "1999-00"])
def test_table_texts_round_trip_exactly(text: str) -> None:
    assert str(parse_period(text)) == text


@given(periods)
def test_every_period_round_trips_through_its_text(p) -> None:
    assert parse_period(str(p)) == p


@given(periods, periods)
def test_order_is_by_last_day_then_shorter_first(a, b) -> None:
    if a.last_day < b.last_day:
        assert a < b
    if a.last_day == b.last_day and a.first_day is not None and b.first_day is not None \
            and a.first_day > b.first_day:
        assert a < b
    # a total order: exactly one of <, ==, > for distinct kinds and values alike
    assert (a < b) + (a == b) + (a > b) == 1


@given(st.lists(periods, min_size=2, max_size=8))
def test_sorting_is_consistent_with_pairwise_order(ps) -> None:
    s = sorted(ps)
    assert all(not (y < x) for x, y in itertools.pairwise(s))


@given(dates)
def test_a_month_end_lies_in_exactly_its_financial_year(d) -> None:
    m = MonthEnd.of(d)
    fy = m.financial_year
    assert str(fy) == fy_of(d)  # calendar's definition, not a copy of it
    assert fy.contains(m) and fy.contains(d)
    assert not FinancialYear(fy.start_year + 1).contains(m)
    assert not FinancialYear(fy.start_year - 1).contains(m)
    assert m in fy.month_ends()


@given(years)
def test_a_year_has_twelve_month_ends_april_to_march(fy) -> None:
    ends = fy.month_ends()
    assert len(ends) == 12 and ends == sorted(ends)
    assert ends[0].date == dt.date(fy.start_year, 4, 30)
    assert ends[-1].date == fy.last_day == dt.date(fy.start_year + 1, 3, 31)
    assert all(e < fy for e in ends[:-1]) and ends[-1] < fy  # shorter first on a tie


def test_spans_select_the_years_and_months_inside_them() -> None:
    held = [FinancialYear(y) for y in range(2008, 2014)]
    assert [str(y) for y in parse_period("to 2010-11").years(held)] == \
        ["2008-09", "2009-10", "2010-11"]
    assert [str(y) for y in parse_period("2009-10 to 2010-11").years(held)] == \
        ["2009-10", "2010-11"]
    months = FinancialYear(2010).month_ends()
    window = parse_period("2010-10-31 to 2011-03-31").months(months)
    assert [str(m) for m in window] == ["2010-10-31", "2010-11-30", "2010-12-31", "2011-01-31",
                                        "2011-02-28", "2011-03-31"]


def test_dates_of_every_form_become_month_ends() -> None:
    want = MonthEnd(dt.date(2011, 3, 31))
    for value in ("2011-03-31", dt.date(2011, 3, 31), pd.Timestamp("2011-03-31"),
                  dt.datetime(2011, 3, 31), pd.Timestamp("2011-03-31").to_datetime64(), want):
        assert as_period(value) == want


@pytest.mark.parametrize(("text", "words"), [
    ("2011-04-01", "end of the month before, 2011-03-31"),
    ("2011-03-15", "Did you mean 2011-03-31"),
    ("2010-12", "Did you mean 2010-11"),
    ("2011-02-30", "does not exist"),
    ("2010-11 to 2008-09", "first year is after its last"),
    ("2011-03-31 to 2010-10-31", "first month is after its last"),
    ("FY2010", "none of these forms"),
    ("", "none of these forms"),
])
def test_bad_text_gets_a_clear_input_error(text: str, words: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text)
    assert isinstance(info.value, InputError)
    message = str(info.value)
    assert message.startswith("period '") and "expected a month end" in message
    assert words in message


def test_a_non_text_period_is_an_input_error() -> None:
    with pytest.raises(PeriodError):
        as_period(3.5)
    with pytest.raises(PeriodError):
        parse_period(2010)  # type: ignore[arg-type]
