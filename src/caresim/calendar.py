"""Simulation time: the one place where clock days, dates and financial years are defined.

The simulation clock counts days (float) from the start date of the run, 1 April 2008 by
default. English financial years run from 1 April to 31 March and are labelled like ``2010-11``.
Monthly reporting periods run from the first day of a month to the first day of the next; a
stock is reported as its value at the end of the period (the first day of the next month,
00:00), labelled with the last day of the period (e.g. ``2011-03-31``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.25
"""Mean length of a year in days, used to convert annual rates to daily ones."""


@dataclass(frozen=True)
class Calendar:
    """Map between clock days and calendar dates for one run.

    Parameters
    ----------
    start : datetime.date
        Date at clock day 0 (must be the first day of a month).
    end : datetime.date
        Last date simulated (inclusive; must be the last day of a month).
    """

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start.day != 1:
            raise ValueError(f"calendar start must be the first of a month, got {self.start}")
        if (self.end + dt.timedelta(days=1)).day != 1:
            raise ValueError(f"calendar end must be the last day of a month, got {self.end}")
        if self.end <= self.start:
            raise ValueError("calendar end must be after its start")

    def day(self, date: dt.date) -> float:
        """Clock day (days since start) of 00:00 on ``date``."""
        return float((date - self.start).days)

    def date(self, day: float) -> dt.date:
        """Calendar date containing clock day ``day``."""
        return self.start + dt.timedelta(days=int(np.floor(day)))

    @property
    def horizon_day(self) -> float:
        """Clock day at the end of the run (00:00 on the day after ``end``)."""
        return self.day(self.end + dt.timedelta(days=1))

    def month_starts(self) -> list[dt.date]:
        """First day of every month in the run, plus the day after the run ends."""
        out = []
        d = self.start
        stop = self.end + dt.timedelta(days=1)
        while d <= stop:
            out.append(d)
            d = add_months(d, 1)
        return out

    def month_ends(self) -> list[dt.date]:
        """Last day of every month in the run (the reporting label of each monthly period)."""
        starts = self.month_starts()
        return [s - dt.timedelta(days=1) for s in starts[1:]]

    def financial_years(self) -> list[str]:
        """Labels of the financial years the run touches, e.g. ``['2008-09', ...]``."""
        first = fy_start_year(self.start)
        last = fy_start_year(self.end)
        return [fy_label(y) for y in range(first, last + 1)]


def add_months(date: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after the month of ``date``."""
    index = date.year * 12 + (date.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fy_start_year(date: dt.date) -> int:
    """Calendar year in which the financial year containing ``date`` starts."""
    return date.year if date.month >= 4 else date.year - 1


def fy_label(start_year: int) -> str:
    """Label of the financial year starting 1 April ``start_year``: ``2010`` -> ``'2010-11'``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def fy_of(date: dt.date) -> str:
    """Label of the financial year containing ``date``."""
    return fy_label(fy_start_year(date))


def fy_start(label: str) -> dt.date:
    """First day (1 April) of the financial year labelled like ``2010-11``."""
    return dt.date(int(label[:4]), 4, 1)
