"""Clock days, dates, months and financial years."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from caresim.calendar import (
    DAYS_PER_YEAR,
    Calendar,
    add_months,
    fy_label,
    fy_of,
    fy_start,
    fy_start_year,
)

D = dt.date


@pytest.fixture
def cal() -> Calendar:
    return Calendar(D(2008, 4, 1), D(2020, 3, 31))


def test_day_and_date(cal: Calendar) -> None:
    assert cal.day(D(2008, 4, 1)) == 0.0
    assert cal.day(D(2009, 4, 1)) == 365.0
    assert cal.day(D(2012, 4, 1)) == 365 * 4 + 1  # 29 Feb 2012
    assert cal.day(D(2008, 3, 31)) == -1.0
    assert cal.date(0.0) == D(2008, 4, 1)
    assert cal.date(0.999) == D(2008, 4, 1)
    assert cal.date(364.999) == D(2009, 3, 31)
    assert cal.date(365.0) == D(2009, 4, 1)
    assert cal.date(-0.5) == D(2008, 3, 31)


def test_day_date_round_trip(cal: Calendar) -> None:
    d = cal.start
    while d <= cal.end:
        assert cal.date(cal.day(d)) == d
        assert cal.date(cal.day(d) + 0.5) == d
        d += dt.timedelta(days=17)


def test_horizon_day(cal: Calendar) -> None:
    assert cal.horizon_day == (D(2020, 4, 1) - D(2008, 4, 1)).days == 4383
    assert cal.date(cal.horizon_day) == D(2020, 4, 1)
    assert Calendar(D(2008, 4, 1), D(2008, 4, 30)).horizon_day == 30.0


def test_month_starts_and_ends(cal: Calendar) -> None:
    starts = cal.month_starts()
    ends = cal.month_ends()
    assert len(starts) == 12 * 12 + 1
    assert starts[0] == D(2008, 4, 1) and starts[-1] == D(2020, 4, 1)
    assert all(s.day == 1 for s in starts)
    assert len(ends) == 12 * 12
    assert ends[0] == D(2008, 4, 30) and ends[-1] == D(2020, 3, 31)
    assert D(2012, 2, 29) in ends and D(2009, 2, 28) in ends
    assert all((e + dt.timedelta(days=1)).day == 1 for e in ends)
    assert all(a < b for a, b in itertools.pairwise(starts))


def test_one_month_calendar() -> None:
    c = Calendar(D(2010, 1, 1), D(2010, 1, 31))
    assert c.month_starts() == [D(2010, 1, 1), D(2010, 2, 1)]
    assert c.month_ends() == [D(2010, 1, 31)]
    assert c.financial_years() == ["2009-10"]


def test_financial_years(cal: Calendar) -> None:
    fys = cal.financial_years()
    assert fys[0] == "2008-09" and fys[-1] == "2019-20"
    assert len(fys) == 12
    assert Calendar(D(2008, 4, 1), D(2011, 4, 30)).financial_years() == [
        "2008-09", "2009-10", "2010-11", "2011-12"]


@pytest.mark.parametrize(("start", "end", "match"), [
    (D(2008, 4, 2), D(2020, 3, 31), "first of a month"),
    (D(2008, 4, 1), D(2020, 3, 30), "last day of a month"),
    (D(2008, 4, 1), D(2008, 3, 31), "after its start"),
])
def test_invalid_calendar(start: dt.date, end: dt.date, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Calendar(start, end)


def test_calendar_is_frozen(cal: Calendar) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.start = D(2009, 4, 1)  # type: ignore[misc]


@pytest.mark.parametrize(("date", "months", "expected"), [
    (D(2008, 4, 1), 1, D(2008, 5, 1)),
    (D(2008, 4, 17), 0, D(2008, 4, 1)),
    (D(2008, 12, 31), 1, D(2009, 1, 1)),
    (D(2008, 4, 1), 12, D(2009, 4, 1)),
    (D(2008, 4, 1), 25, D(2010, 5, 1)),
    (D(2009, 1, 1), -1, D(2008, 12, 1)),
    (D(2009, 3, 15), -15, D(2007, 12, 1)),
])
def test_add_months(date: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(date, months) == expected


@pytest.mark.parametrize(("date", "year", "label"), [
    (D(2011, 3, 31), 2010, "2010-11"),
    (D(2011, 4, 1), 2011, "2011-12"),
    (D(2010, 1, 1), 2009, "2009-10"),
    (D(2010, 12, 31), 2010, "2010-11"),
    (D(2000, 2, 1), 1999, "1999-00"),
])
def test_financial_year_of_a_date(date: dt.date, year: int, label: str) -> None:
    assert fy_start_year(date) == year
    assert fy_of(date) == label
    assert fy_label(year) == label
    assert fy_start(label) == D(year, 4, 1)


def test_every_date_is_in_its_financial_year() -> None:
    d = D(2007, 1, 1)
    while d < D(2022, 1, 1):
        start = fy_start(fy_of(d))
        assert start <= d < D(start.year + 1, 4, 1)
        d += dt.timedelta(days=11)


def test_days_per_year() -> None:
    assert DAYS_PER_YEAR == 365.25
