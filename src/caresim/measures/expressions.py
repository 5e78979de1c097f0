"""What a measure computes from the tables: a metric, a ratio, a sum or difference, a cumulative
sum over a span, or the count (or share) of councils within a band.

Every expression evaluates to one value per run, council (and aggregate) and period: a
``pandas.Series`` indexed by :data:`caresim.measures.tables.KEYS`. Rules, as in the tables:

* a ratio is recomputed from its numerator and denominator at every level and period (never
  averaged); a denominator of zero or less gives NaN;
* over a span, a flow is summed, a stock is taken at the span's end, an opening balance at its
  start; counts of people "at any time in the year" are never summed over years;
* the aggregate rows (``council_code`` = England's code) are sums over the councils run, so a
  ratio there is the ratio of sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caresim.councils import ENGLAND_CODE
from caresim.measures.errors import MeasureError
from caresim.measures.tables import COLUMNS, KEYS, Column, RunTables
from caresim.period import FinancialYear, MonthEnd, MonthSpan, Period, YearSpan
from caresim.recording import BY_NAME

_GROUP = [k for k in KEYS if k != "period"]


def _empty() -> pd.Series:
    index = pd.MultiIndex.from_tuples([], names=list(KEYS))
    return pd.Series([], index=index, dtype=float)


def _relabel(values: pd.Series, label: str) -> pd.Series:
    """``values`` (indexed by the run and council, with or without a period level: one period
    per key) indexed by :data:`KEYS` with period ``label``."""
    if "period" in values.index.names:
        values = values.droplevel("period")
    return pd.concat({label: values}, names=["period"])


def _concat(parts: list[pd.Series]) -> pd.Series:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts) if parts else _empty()


def _parts(tables: RunTables, span: Period) -> list[Period]:
    if isinstance(span, YearSpan):
        return list(span.years(tables.years))
    if isinstance(span, MonthSpan):
        return list(span.months(tables.month_ends))
    raise MeasureError(f"period '{span}': expected a span of years or months here; found a "
                       f"{span.KIND}.")


def _column(name: str) -> Column:
    try:
        return COLUMNS[name]
    except KeyError:
        raise MeasureError(f"metric '{name}': expected a metric or ledger line of the tables; "
                           "found no such name.") from None


class Expression:
    """Base of every expression: see the module docstring for the rules."""

    additive: bool = False
    """Whether values over consecutive periods may be summed (flows and their sums)."""

    def evaluate(self, tables: RunTables, periods: Sequence[Period]) -> pd.Series:
        """Values for every run, council, aggregate and period of ``periods`` the tables hold.

        Periods the tables do not hold give no rows.
        """
        raise NotImplementedError

    def columns(self) -> tuple[str, ...]:
        """The metrics and ledger lines it reads."""
        raise NotImplementedError

    def text(self) -> str:
        """The formula in words and names, for the documentation."""
        raise NotImplementedError


@dataclass(frozen=True)
class Metric(Expression):
    """A metric or ledger line as the tables hold it.

    At a month end it is read from ``timeseries``; at a financial year from
    ``financial_years`` (or the ledger, for ledger lines). Over a span a flow is summed, a stock
    taken at the end, an opening balance at the start, and a ratio recomputed from its parts.
    """

    name: str
    ledger: bool = False
    """Read a line that is both a metric and a ledger line from the ledger (the budget's own
    account, as the scorecard's savings targets read it), not from ``financial_years``."""

    def __post_init__(self) -> None:
        _column(self.name)

    @property
    def column(self) -> Column:
        """What the metric is."""
        return COLUMNS[self.name]

    @property
    def additive(self) -> bool:  # type: ignore[override]
        c = self.column
        return c.kind == "flow" and not c.in_year

    def columns(self) -> tuple[str, ...]:
        return (self.name,)

    def text(self) -> str:
        return f"`{self.name}` (ledger)" if self.ledger else f"`{self.name}`"

    def _read(self, tables: RunTables, labels: list[str], monthly: bool) -> pd.Series:
        frame = tables.frame_for(self.column, monthly, self.ledger)
        held = tables.held(frame)
        labels = [p for p in labels if p in held]
        if not labels:
            return _empty()
        return frame.loc[labels, self.name].astype(float)

    def evaluate(self, tables: RunTables, periods: Sequence[Period]) -> pd.Series:
        months = [str(p) for p in periods if isinstance(p, MonthEnd)]
        years = [str(p) for p in periods if isinstance(p, FinancialYear)]
        out = []
        if months:
            out.append(self._read(tables, months, True))
        if years:
            out.append(self._read(tables, years, False))
        for span in periods:
            if isinstance(span, YearSpan | MonthSpan):
                out.append(self._span(tables, span))
        return _concat(out)

    def _span(self, tables: RunTables, span: YearSpan | MonthSpan) -> pd.Series:
        c = self.column
        parts = _parts(tables, span)
        if not parts:
            return _empty()
        monthly = isinstance(span, MonthSpan)
        kind = c.kind
        if kind == "ratio":
            if c.numerator in COLUMNS and c.denominator in COLUMNS:
                return Ratio(Metric(c.numerator), Metric(c.denominator)).evaluate(tables, [span])
            if {BY_NAME[c.numerator].kind, BY_NAME[c.denominator].kind} != {"stock"}:
                raise MeasureError(f"metric '{c.name}': expected its numerator and denominator "
                                   f"in the tables to recompute it over '{span}'; found them "
                                   "unreported.")
            kind = "stock"  # a ratio of two stocks, at the span's end
        if c.in_year:
            raise MeasureError(f"metric '{c.name}' over '{span}': expected a quantity that can "
                               "be summed over years; found a count of people at any time in "
                               "each year (a person would be counted once a year).")
        if kind == "stock":
            return _relabel(self._read(tables, [str(parts[-1])], monthly), str(span))
        if kind == "opening":
            return _relabel(self._read(tables, [str(parts[0])], monthly), str(span))
        values = self._read(tables, [str(p) for p in parts], monthly)
        return _relabel(values.groupby(level=_GROUP, sort=False).sum(), str(span))


@dataclass(frozen=True)
class Ratio(Expression):
    """``numerator / denominator``, each evaluated first (sums at the aggregate); NaN where the
    denominator is zero or less."""

    numerator: Expression
    denominator: Expression

    def columns(self) -> tuple[str, ...]:
        return (*self.numerator.columns(), *self.denominator.columns())

    def text(self) -> str:
        def wrap(e: Expression) -> str:
            return f"({e.text()})" if isinstance(e, Combination) else e.text()
        return f"{wrap(self.numerator)} / {wrap(self.denominator)}"

    def evaluate(self, tables: RunTables, periods: Sequence[Period]) -> pd.Series:
        num, den = (self.numerator.evaluate(tables, periods),
                    self.denominator.evaluate(tables, periods))
        num, den = num.align(den)
        d = den.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(d > 0, num.to_numpy() / np.where(d > 0, d, 1.0), np.nan)
        return pd.Series(value, index=num.index)


@dataclass(frozen=True)
class Combination(Expression):
    """A sum of terms with signs: ``a - b`` (a difference) or ``a + b + c`` (a total).

    Parameters
    ----------
    terms : tuple of (int, Expression)
        Each term with its sign, +1 or -1.
    """

    terms: tuple[tuple[int, Expression], ...]

    def __post_init__(self) -> None:
        if not self.terms or any(sign not in (1, -1) for sign, _ in self.terms):
            raise ValueError("a combination needs terms, each with sign +1 or -1")

    @property
    def additive(self) -> bool:  # type: ignore[override]
        return all(e.additive for _, e in self.terms)

    def columns(self) -> tuple[str, ...]:
        return tuple(c for _, e in self.terms for c in e.columns())

    def text(self) -> str:
        out = ""
        for i, (sign, e) in enumerate(self.terms):
            out += (("" if i == 0 else " + ") if sign > 0 else ("-" if i == 0 else " - "))
            out += e.text()
        return out

    def evaluate(self, tables: RunTables, periods: Sequence[Period]) -> pd.Series:
        total: pd.Series | None = None
        for sign, e in self.terms:
            v = e.evaluate(tables, periods)
            if total is None:
                total = v if sign > 0 else -v
            else:
                total = total + v if sign > 0 else total - v
        assert total is not None
        return total


def difference(a: Expression, b: Expression) -> Combination:
    """``a - b``."""
    return Combination(((1, a), (-1, b)))


def total(*terms: Expression) -> Combination:
    """``a + b + ...``."""
    return Combination(tuple((1, t) for t in terms))


@dataclass(frozen=True)
class Cumulative(Expression):
    """The sum of a flow over a span of financial years (or of months): ``to 2010-11`` sums
    from the first year the tables hold."""

    term: Expression

    def __post_init__(self) -> None:
        if not self.term.additive:
            raise ValueError(f"a cumulative sum needs a flow; {self.term.text()} is not one")

    def columns(self) -> tuple[str, ...]:
        return self.term.columns()

    def text(self) -> str:
        return f"sum over the span of {self.term.text()}"

    def evaluate(self, tables: RunTables, periods: Sequence[Period]) -> pd.Series:
        out = []
        for span in periods:
            parts = _parts(tables, span)
            if not parts:
                continue
            values = self.term.evaluate(tables, parts)
            # a running sum in period order, as the ledger's cumulative columns are built
            running = values.groupby(level=_GROUP, sort=False).cumsum()
            out.append(_relabel(running.groupby(level=_GROUP, sort=False).last(), str(span)))
        return _concat(out)


@dataclass(frozen=True)
class CouncilsInBand(Expression):
    """How many councils (or what share of them) have ``term`` in a band, per run and period.

    The band is ``low <= value < high``; with ``below_aggregate`` the upper bound is the
    aggregate's own value in the same run and period (councils below the national value).
    Values are given for the aggregate scope only.

    Parameters
    ----------
    term : Expression
        The quantity compared, per council.
    high, low : float
        Bounds of the band, in the unit of ``term`` (``high`` unused with ``below_aggregate``).
    below_aggregate : bool
        Compare with the aggregate's value instead of ``high``.
    share : bool
        Give the share of councils (a fraction) rather than their number.
    """

    term: Expression
    high: float = float("inf")
    low: float = float("-inf")
    below_aggregate: bool = False
    share: bool = False

    def columns(self) -> tuple[str, ...]:
        return self.term.columns()

    def text(self) -> str:
        what = "share" if self.share else "number"
        bound = "the aggregate's value" if self.below_aggregate else f"{self.high:g}"
        low = f"{self.low:g} <= " if np.isfinite(self.low) else ""
        return f"{what} of councils with {low}{self.term.text()} < {bound}"

    def evaluate(self, tables: RunTables, periods: Sequence[Period]) -> pd.Series:
        v = self.term.evaluate(tables, periods).rename("value").reset_index()
        is_agg = v["council_code"] == ENGLAND_CODE
        councils, agg = v[~is_agg], v[is_agg]
        run = [k for k in KEYS if k != "council_code"]
        if self.below_aggregate:
            high = councils.merge(agg[[*run, "value"]], on=run, how="left",
                                  suffixes=("", "_agg"))["value_agg"].to_numpy()
        else:
            high = self.high
        inside = (councils["value"].to_numpy() >= self.low) & (councils["value"].to_numpy()
                                                               < high)
        g = councils[run].assign(inside=inside).groupby(run, sort=False)["inside"]
        out = (g.mean() if self.share else g.sum().astype(float)).rename("value").reset_index()
        out["council_code"] = ENGLAND_CODE
        return out.set_index(list(KEYS))["value"]
