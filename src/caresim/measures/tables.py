"""A run's tables as the measures layer reads them, and what each column of them is.

The tables are those a run writes today (see :mod:`caresim.results`): ``timeseries`` (monthly,
``date`` = last day of the month, a date or its text), ``financial_years`` (``fy`` like
``2010-11``), both long with ``scenario, parameter_set, replication, council_code, <period>,
metric, value, unit, kind``; and the wide ``ledger`` (one row per council and financial year,
one column per line, GBP cash). Rows with ``council_code`` = :data:`caresim.councils.ENGLAND_CODE`
are the aggregate of the councils run.

:data:`COLUMNS` says what every reported metric and ledger line is: the table it lives in, its
kind (``stock`` at the end of the period, ``flow`` over it, ``ratio`` of two others, ``opening``
at its start) and whether it counts people at any time in a year (then it cannot be summed over
years).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from caresim.councils import ENGLAND_CODE
from caresim.measures.errors import MeasureError
from caresim.period import FinancialYear, MonthEnd, parse_period
from caresim.recording import LEDGER, METRICS

KEYS: tuple[str, ...] = ("period", "scenario", "parameter_set", "replication", "council_code")
"""Index of every series the layer computes: one value per period (its text), run, and council
(or aggregate). The period comes first so that selecting periods is a fast slice."""

UNREPORTED = frozenset({"readiness_sum", "councils"})
"""Metrics recorded only as the parts of a ratio, absent from the tables (``results.HIDDEN``)."""


@dataclass(frozen=True)
class Column:
    """One metric or ledger line of the tables.

    Parameters
    ----------
    name : str
        Its name in the tables.
    table : str
        ``tidy`` (``timeseries`` and ``financial_years``) or ``ledger``.
    kind : str
        ``stock``, ``flow``, ``ratio`` or ``opening``.
    unit : str
        Its unit.
    label : str
        What it is, in plain words.
    in_year : bool
        A count of people at any time in a financial year: reported by financial year only,
        never summed over years (a person counts in each year).
    numerator, denominator : str
        The parts of a ratio.
    """

    name: str
    table: str
    kind: str
    unit: str
    label: str
    in_year: bool = False
    numerator: str = ""
    denominator: str = ""


LEDGER_KINDS: dict[str, str] = {"baseline_budget_gbp": "stock",
                                "ring_fenced_opening_gbp": "opening",
                                "ring_fenced_closing_gbp": "stock",
                                "csr07_target_to_date_gbp": "stock",
                                "savings_to_date_gbp": "stock",
                                "csr07_shortfall_gbp": "stock",
                                "reserves_opening_gbp": "opening",
                                "reserves_closing_gbp": "stock",
                                "reserves_floor_gbp": "stock"}
"""The ledger lines that are not flows over the year (every other line is one)."""

LEDGER_ONLY: tuple[Column, ...] = tuple(
    Column(line.name, "ledger", LEDGER_KINDS.get(line.name, "flow"), "GBP",
           f"{line.label}: {line.description}")
    for line in LEDGER if line.name not in {m.name for m in METRICS})
"""Ledger lines that are not also metrics (the others, such as ``spend_dp_gbp``, have the
same value in ``financial_years`` and are read from there); labels from the process modules'
``LEDGER_LINES``."""

COLUMNS: dict[str, Column] = {
    **{m.name: Column(m.name, "tidy", m.kind, m.unit, m.description, m.fy_only, m.numerator,
                      m.denominator)
       for m in METRICS if m.name not in UNREPORTED},
    **{c.name: c for c in LEDGER_ONLY},
}
"""Every reported metric and ledger line, by name."""


def _text_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d")
    return values.astype(str).str[:10]


def _wide_tidy(frame: pd.DataFrame, period_col: str) -> pd.DataFrame:
    """A long table as ``KEYS`` x metric, period as text, scenario and council as text."""
    f = frame if "parameter_set" in frame.columns else frame.assign(parameter_set=0)
    wide = f.set_index(["scenario", "parameter_set", "replication", "council_code",
                        period_col, "metric"])["value"].unstack("metric")
    wide.columns = [str(c) for c in wide.columns]
    wide = wide.reset_index()
    wide = wide.rename(columns={period_col: "period"})
    wide["period"] = (_text_dates(wide["period"]) if period_col == "date"
                      else wide["period"].astype(str))
    return _keyed(wide)


def _keyed(wide: pd.DataFrame) -> pd.DataFrame:
    # plain Python strings: Arrow-backed text makes every index lookup convert it
    for col in ("scenario", "council_code", "period"):
        wide[col] = pd.Series(wide[col].astype(str).to_numpy(), index=wide.index, dtype=object)
    wide["parameter_set"] = wide["parameter_set"].astype(int)
    wide["replication"] = wide["replication"].astype(int)
    return wide.set_index(list(KEYS)).sort_index()



class RunTables:
    """The tables of one run (or several runs of one scenario), for the measures layer.

    Parameters
    ----------
    timeseries, financial_years : pandas.DataFrame, optional
        The long tables as written today (dates as dates or as text).
    ledger : pandas.DataFrame, optional
        The wide ledger.
    """

    def __init__(self, timeseries: pd.DataFrame | None = None,
                 financial_years: pd.DataFrame | None = None,
                 ledger: pd.DataFrame | None = None) -> None:
        self.timeseries = timeseries
        self.financial_years = financial_years
        self.ledger = ledger
        self._held: dict[int, frozenset[str]] = {}

    @cached_property
    def monthly(self) -> pd.DataFrame | None:
        """``timeseries`` wide: index :data:`KEYS` (period ``2011-03-31``), a column a metric."""
        return None if self.timeseries is None else _wide_tidy(self.timeseries, "date")

    @cached_property
    def yearly(self) -> pd.DataFrame | None:
        """``financial_years`` wide: index :data:`KEYS` (period ``2010-11``)."""
        return None if self.financial_years is None else _wide_tidy(self.financial_years, "fy")

    @cached_property
    def ledger_wide(self) -> pd.DataFrame | None:
        """The ledger indexed by :data:`KEYS` (period ``2010-11``)."""
        if self.ledger is None:
            return None
        led = self.ledger if "parameter_set" in self.ledger.columns else \
            self.ledger.assign(parameter_set=0)
        led = led.rename(columns={"fy": "period"}).copy()
        led["period"] = led["period"].astype(str)
        return _keyed(led)

    @cached_property
    def month_ends(self) -> list[MonthEnd]:
        """The month ends the tables hold, in order."""
        if self.monthly is None:
            return []
        labels = self.monthly.index.get_level_values("period").unique()
        return sorted(parse_period(p) for p in labels)

    @cached_property
    def years(self) -> list[FinancialYear]:
        """The financial years the tables hold, in order."""
        labels: set[str] = set()
        for frame in (self.yearly, self.ledger_wide):
            if frame is not None:
                labels |= self.held(frame)
        return sorted(parse_period(p) for p in labels)

    @cached_property
    def council_codes(self) -> list[str]:
        """The councils run (not the aggregate), in the order the tables list them."""
        for frame in (self.timeseries, self.financial_years, self.ledger):
            if frame is not None:
                codes = dict.fromkeys(str(c) for c in pd.unique(frame["council_code"]))
                return [c for c in codes if c != ENGLAND_CODE]
        return []

    def held(self, frame: pd.DataFrame) -> frozenset[str]:
        """The period labels one of the wide frames holds."""
        key = id(frame)
        if key not in self._held:
            self._held[key] = frozenset(frame.index.get_level_values("period").unique())
        return self._held[key]

    def has(self, column: Column, monthly: bool) -> bool:
        """Whether the tables given hold ``column`` for monthly (or yearly) periods."""
        try:
            self.frame_for(column, monthly)
        except MeasureError:
            return False
        return True

    def frame_for(self, column: Column, monthly: bool, ledger: bool = False) -> pd.DataFrame:
        """The wide frame that holds ``column`` for monthly or yearly periods (with
        ``ledger``, the ledger only).

        Raises
        ------
        MeasureError
            When no table given holds it at that frequency.
        """
        if monthly:
            if column.table == "ledger" or column.in_year:
                raise MeasureError(f"metric '{column.name}': expected a month end to be asked "
                                   "only of monthly metrics; found a metric reported by "
                                   "financial year only.")
            candidates = [("timeseries", self.monthly)]
        elif column.table == "ledger" or ledger:
            candidates = [("ledger", self.ledger_wide)]
        else:
            candidates = [("financial_years", self.yearly), ("ledger", self.ledger_wide)]
        for _, frame in candidates:
            if frame is not None and column.name in frame.columns:
                return frame
        names = " or ".join(n for n, _ in candidates)
        raise MeasureError(f"metric '{column.name}': expected it in the {names} table; found "
                           "no such column (was that table given?).")


def period_kinds(periods: pd.Series) -> pd.Series:
    """The kind of each period label of a table column (:data:`caresim.period.KINDS`), each
    distinct label parsed once; tables that mix month ends and years (``summary``) are split
    with it."""
    codes, labels = pd.factorize(periods, use_na_sentinel=False)
    kinds = np.array([parse_period(str(p)).KIND for p in labels], dtype=object)
    # one lookup per row by position (``Series.map`` hashed each of millions of labels)
    return pd.Series(kinds[codes], index=periods.index, name=periods.name)


def monthly_rows(frame: pd.DataFrame, column: str = "period") -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` is a month end."""
    return frame[(period_kinds(frame[column]) == MonthEnd.KIND).to_numpy()]


def yearly_rows(frame: pd.DataFrame, column: str = "period") -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` is a financial year."""
    return frame[(period_kinds(frame[column]) == FinancialYear.KIND).to_numpy()]


def _check_tidy(measure: str) -> None:
    """Raise :class:`MeasureError` unless ``measure`` is a metric of the tidy tables."""
    if measure not in COLUMNS or COLUMNS[measure].table != "tidy":
        raise MeasureError(f"measure '{measure}': expected a metric of the tidy tables (a "
                           "measure with a row in summary); found none.")


def metrics_rows(frame: pd.DataFrame, measures: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """The rows of a long table holding any of several measures that are metrics of the
    tables, in the table's order: one pass over a large summary before :func:`metric_rows`
    splits them (the workbook's headline sheet).

    Raises
    ------
    MeasureError
        When a measure is not a metric of the tables.
    """
    for measure in measures:
        _check_tidy(measure)
    return frame[frame["metric"].astype(str).isin(measures).to_numpy()]


def metric_rows(frame: pd.DataFrame, measure: str, scope: str | None = None,
                kind: str | None = None) -> pd.DataFrame:
    """The rows of a long table (``timeseries``, ``financial_years``, ``summary``) holding a
    measure that is a metric of the tables, for one scope (a GSS code, England's code for the
    aggregate) and one kind of period, in period order.

    This is the one place outside the expressions where rows are selected by metric name:
    readers of the ``summary`` table (report, workbook, figures) ask for measures here.

    Raises
    ------
    MeasureError
        When ``measure`` is not a metric of the tables.
    """
    _check_tidy(measure)
    mask = (frame["metric"].astype(str) == measure).to_numpy(copy=True)
    if scope is not None:
        mask &= (frame["council_code"].astype(str) == scope).to_numpy()
    out = frame[mask]
    column = "period" if "period" in out.columns else ("date" if "date" in out.columns
                                                        else "fy")
    if kind is not None:
        out = out[(period_kinds(out[column].astype(str)) == kind).to_numpy()]
    return out.sort_values(column, kind="stable")
