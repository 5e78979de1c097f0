"""Reporting periods as types: a month end, a financial year, a span of years or of months.

The tables label a monthly period with its last day (``2011-03-31``; a stock there is the value
at the end of that day, i.e. on 1 April 2011), a financial year like ``2010-11`` (1 April 2010
to 31 March 2011), and the ledger's cumulative spans like ``to 2010-11`` (from the first year
run) or ``2008-09 to 2010-11``. A span of months (``2010-10-31 to 2011-03-31``: October 2010 to
March 2011) covers windows such as the PB-offer target's. :func:`parse_period` reads every one
of these texts and ``str()`` writes it back exactly, so code never tells a month from a year by
the length of a string. Periods sort by their last day, shorter first when two end together.
Financial-year arithmetic is :mod:`caresim.calendar`'s.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from caresim.calendar import add_months, fy_label, fy_start, fy_start_year
from caresim.errors import InputError

EXPECTED = ("a month end like 2011-03-31, a financial year like 2010-11, a span of financial "
            "years like 'to 2010-11' or '2008-09 to 2010-11', or a span of months like "
            "'2010-10-31 to 2011-03-31'")
"""What a period's text may be, for error messages."""


class PeriodError(InputError):
    """A period's text (or value) is not a period caresim reports."""

    def __init__(self, text: Any, found: str, hint: str = "") -> None:
        self.text = text
        super().__init__(f"period '{text}': expected {EXPECTED}; found {found}."
                         + (f" {hint}" if hint else ""))


@functools.total_ordering
class _Ordered:
    """Order by last day, then the shorter period first (a later first day), then kind."""

    RANK: ClassVar[int] = 0

    @property
    def first_day(self) -> dt.date | None:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def last_day(self) -> dt.date:  # pragma: no cover - overridden
        raise NotImplementedError

    def sort_key(self) -> tuple[dt.date, int, int]:
        """``(last day, minus the first day's ordinal, kind)``: an open span starts earliest."""
        first = self.first_day
        return (self.last_day, -(first.toordinal() if first else 0), self.RANK)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Ordered):
            return NotImplemented
        return self.sort_key() < other.sort_key()


@dataclass(frozen=True, eq=True)
class MonthEnd(_Ordered):
    """A monthly period, labelled with its last day.

    Parameters
    ----------
    date : datetime.date
        The last day of the month (a stock there is its value at the end of that day).
    """

    date: dt.date
    KIND: ClassVar[str] = "month end"
    RANK: ClassVar[int] = 0

    def __post_init__(self) -> None:
        if (self.date + dt.timedelta(days=1)).day != 1:
            raise PeriodError(self.date.isoformat(), "a date that is not the last day of its "
                              "month", _month_end_hint(self.date))

    def __str__(self) -> str:
        return self.date.isoformat()

    @property
    def words(self) -> str:
        """The period in plain words: ``at 31 March 2011`` (the end of that day)."""
        return f"at {self.date.day} {self.date:%B %Y}"

    @property
    def plot_date(self) -> dt.date:
        """Where a figure places it: the month end."""
        return self.date

    @property
    def first_day(self) -> dt.date:
        """The first day of the month."""
        return self.date.replace(day=1)

    @property
    def last_day(self) -> dt.date:
        """The last day of the month (the label)."""
        return self.date

    @property
    def financial_year(self) -> FinancialYear:
        """The financial year the month falls in."""
        return FinancialYear.containing(self.date)

    @classmethod
    def of(cls, date: dt.date) -> MonthEnd:
        """The month end of the month containing ``date``."""
        return cls(add_months(date, 1) - dt.timedelta(days=1))


@dataclass(frozen=True, eq=True)
class FinancialYear(_Ordered):
    """An English financial year, 1 April to 31 March, labelled like ``2010-11``.

    Parameters
    ----------
    start_year : int
        The calendar year of its 1 April.
    """

    start_year: int
    KIND: ClassVar[str] = "financial year"
    RANK: ClassVar[int] = 1

    def __str__(self) -> str:
        return fy_label(self.start_year)

    @property
    def words(self) -> str:
        """The period in plain words: ``in 2010-11``."""
        return f"in {self}"

    @property
    def plot_date(self) -> dt.date:
        """Where a figure places it: its mid-point, 1 October."""
        return dt.date(self.start_year, 10, 1)

    @property
    def first_day(self) -> dt.date:
        """1 April of the start year."""
        return fy_start(str(self))

    @property
    def last_day(self) -> dt.date:
        """31 March of the following year."""
        return dt.date(self.start_year + 1, 3, 31)

    @classmethod
    def containing(cls, date: dt.date) -> FinancialYear:
        """The financial year containing ``date``."""
        return cls(fy_start_year(date))

    def contains(self, period: Period | dt.date) -> bool:
        """Whether a date, or every day of a period, falls in this year."""
        if isinstance(period, dt.date):
            return self.first_day <= period <= self.last_day
        first = period.first_day
        return first is not None and self.first_day <= first and period.last_day <= self.last_day

    def month_ends(self) -> list[MonthEnd]:
        """The twelve month ends of the year, April to March."""
        return [MonthEnd.of(add_months(self.first_day, k)) for k in range(12)]


@dataclass(frozen=True, eq=True)
class YearSpan(_Ordered):
    """Consecutive financial years, for cumulative sums (the ledger's ``to 2010-11``).

    Parameters
    ----------
    last : FinancialYear
        The last year in the span.
    first : FinancialYear or None
        The first year; ``None`` means from the first year run (written ``to <last>``).
    """

    last: FinancialYear
    first: FinancialYear | None = None
    KIND: ClassVar[str] = "span of financial years"
    RANK: ClassVar[int] = 2

    def __post_init__(self) -> None:
        if self.first is not None and self.first.start_year > self.last.start_year:
            raise PeriodError(str(self), "a span whose first year is after its last")

    def __str__(self) -> str:
        return f"to {self.last}" if self.first is None else f"{self.first} to {self.last}"

    @property
    def words(self) -> str:
        """The period in plain words: ``to 2010-11`` or ``2008-09 to 2010-11``."""
        return str(self)

    @property
    def plot_date(self) -> dt.date:
        """Where a figure places it: the end of its last year."""
        return self.last_day

    @property
    def first_day(self) -> dt.date | None:
        """1 April of the first year, or ``None`` when the span starts with the run."""
        return None if self.first is None else self.first.first_day

    @property
    def last_day(self) -> dt.date:
        """31 March ending the last year."""
        return self.last.last_day

    def years(self, available: list[FinancialYear]) -> list[FinancialYear]:
        """The years of ``available`` inside the span, in order."""
        lo = self.first.start_year if self.first is not None else -10**9
        return sorted(y for y in available if lo <= y.start_year <= self.last.start_year)


@dataclass(frozen=True, eq=True)
class MonthSpan(_Ordered):
    """Consecutive months, written ``<first month end> to <last month end>``.

    Parameters
    ----------
    first, last : MonthEnd
        The first and last months of the window.
    """

    first: MonthEnd
    last: MonthEnd
    KIND: ClassVar[str] = "span of months"
    RANK: ClassVar[int] = 3

    def __post_init__(self) -> None:
        if self.first.date > self.last.date:
            raise PeriodError(str(self), "a span whose first month is after its last")

    def __str__(self) -> str:
        return f"{self.first} to {self.last}"

    @property
    def words(self) -> str:
        """The period in plain words: ``October 2010 to March 2011``."""
        return f"{self.first.date:%B %Y} to {self.last.date:%B %Y}"

    @property
    def plot_date(self) -> dt.date:
        """Where a figure places it: the end of its last month."""
        return self.last.date

    @property
    def first_day(self) -> dt.date:
        """The first day of the first month."""
        return self.first.first_day

    @property
    def last_day(self) -> dt.date:
        """The last day of the last month."""
        return self.last.date

    def months(self, available: list[MonthEnd]) -> list[MonthEnd]:
        """The month ends of ``available`` inside the window, in order."""
        return sorted(m for m in available if self.first.date <= m.date <= self.last.date)


Period = MonthEnd | FinancialYear | YearSpan | MonthSpan
"""Any reporting period."""

KINDS: tuple[str, ...] = (MonthEnd.KIND, FinancialYear.KIND, YearSpan.KIND, MonthSpan.KIND)
"""The kinds of period, in the words :class:`Period` types use for them."""

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_FY = r"(\d{4})-(\d{2})"
_PATTERNS = (
    ("month", re.compile(rf"{_DATE}")),
    ("fy", re.compile(rf"{_FY}")),
    ("to", re.compile(rf"to {_FY}")),
    ("years", re.compile(rf"{_FY} to {_FY}")),
    ("months", re.compile(rf"{_DATE} to {_DATE}")),
)


def _month_end_hint(date: dt.date) -> str:
    end = MonthEnd.of(date)
    before = date - dt.timedelta(days=1)
    if date.day == 1:
        return (f"A stock on {date.isoformat()} is reported at the end of the month before, "
                f"{before.isoformat()}.")
    return f"Did you mean {end}?"


def _date(y: str, m: str, d: str, text: str) -> dt.date:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        raise PeriodError(text, "a date that does not exist") from None


def _fy(y: str, yy: str, text: str) -> FinancialYear:
    start = int(y)
    if int(yy) != (start + 1) % 100:
        raise PeriodError(text, f"'{y}-{yy}', which is not a financial year",
                          f"Did you mean {fy_label(start)}?")
    return FinancialYear(start)


@functools.lru_cache(maxsize=4096)
def parse_period(text: str) -> Period:
    """The period a table's text names (the inverse of ``str()``).

    Parameters
    ----------
    text : str
        ``2011-03-31``, ``2010-11``, ``to 2010-11``, ``2008-09 to 2010-11`` or
        ``2010-10-31 to 2011-03-31``.

    Raises
    ------
    PeriodError
        When the text is none of these, or names a date that is not a month end.
    """
    if not isinstance(text, str):
        raise PeriodError(text, f"a {type(text).__name__}, not text")
    for kind, pattern in _PATTERNS:
        m = pattern.fullmatch(text)
        if not m:
            continue
        g = m.groups()
        if kind == "month":
            return MonthEnd(_date(*g, text))
        if kind == "fy":
            return _fy(*g, text)
        if kind == "to":
            return YearSpan(_fy(*g, text))
        if kind == "years":
            return YearSpan(_fy(g[2], g[3], text), _fy(g[0], g[1], text))
        return MonthSpan(MonthEnd(_date(*g[:3], text)), MonthEnd(_date(*g[3:], text)))
    raise PeriodError(text, "text of none of these forms")


def as_period(value: Any) -> Period:
    """A period from a period, its text, or a month-end date (``date``, ``Timestamp``).

    Raises
    ------
    PeriodError
        When ``value`` names no period.
    """
    if isinstance(value, MonthEnd | FinancialYear | YearSpan | MonthSpan):
        return value
    if isinstance(value, str):
        return parse_period(value)
    if hasattr(value, "date") and callable(value.date):  # datetime, pandas.Timestamp
        value = value.date()
    if isinstance(value, dt.date):
        return MonthEnd(value)
    if hasattr(value, "astype"):  # numpy.datetime64
        return as_period(str(value)[:10])
    raise PeriodError(value, f"a {type(value).__name__}")


def kind_of(period: Period) -> str:
    """The kind of ``period`` (one of :data:`KINDS`)."""
    return period.KIND
