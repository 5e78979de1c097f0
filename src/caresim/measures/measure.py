"""A measure: one number caresim reports, defined once with its label, unit, periods and scope.

Learned from starsim's ``Result`` (each result declared once with name, label and scale), mesa's
``DataCollector`` (one registry of named reporters) and OpenFisca's variables (unit and period
declared with the variable); no code is taken from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from caresim.measures.expressions import Expression
from caresim.measures.tables import COLUMNS
from caresim.measures.units import get_unit
from caresim.period import KINDS, FinancialYear, MonthEnd, MonthSpan, YearSpan

SCOPES = ("both", "england", "councils")
"""Scope rules: every council and the aggregate; the aggregate only; the councils only. The
aggregate is England when every council is run, else the selection (see
:func:`caresim.measures.scope.aggregate_label`)."""

TABLE_OF_KIND = {MonthEnd.KIND: "timeseries", MonthSpan.KIND: "timeseries",
                 FinancialYear.KIND: "financial_years", YearSpan.KIND: "financial_years"}


@dataclass(frozen=True)
class Measure:
    """One reported number.

    Parameters
    ----------
    name : str
        Its name (a metric's or ledger line's own name for those).
    label : str
        What it is, in plain words.
    unit : str
        A unit of :data:`caresim.measures.units.UNITS`.
    periods : tuple of str
        The kinds of period it is reported at (:data:`caresim.period.KINDS`), first the main.
    expression : Expression or None
        What it computes; ``None`` when the model lacks the state it needs (see ``missing``).
    scope : str
        One of :data:`SCOPES`.
    group : str
        ``metric``, ``ledger``, ``derived`` or ``official`` (for listings).
    official : str
        For an official definition: the return, what it counts, and its source.
    differs : str
        What the model quantity leaves out or counts differently from ``official``.
    missing : str
        The model state the definition needs and the model does not keep; evaluating the
        measure raises :class:`caresim.measures.errors.MissingStateError`.
    nearest : str
        When ``missing``: the nearest measure the model gives, and how it differs.
    short : str
        A few words for verdicts and figure titles (``cumulative savings``); the label when
        empty.
    share_of : str
        For a share: what it is a share of, written after the value (``of the 2007-08 net
        budget``).
    """

    name: str
    label: str
    unit: str
    periods: tuple[str, ...]
    expression: Expression | None
    scope: str = "both"
    group: str = "metric"
    official: str = ""
    differs: str = ""
    missing: str = ""
    nearest: str = ""
    short: str = ""
    share_of: str = ""

    @property
    def title(self) -> str:
        """The short words for it (``short``, else the label)."""
        return self.short or self.label

    def __post_init__(self) -> None:
        get_unit(self.unit)
        if self.scope not in SCOPES:
            raise ValueError(f"{self.name}: scope {self.scope!r} not one of {SCOPES}")
        if not self.periods or any(k not in KINDS for k in self.periods):
            raise ValueError(f"{self.name}: periods {self.periods!r} not among {KINDS}")
        if (self.expression is None) != bool(self.missing):
            raise ValueError(f"{self.name}: an expression, or the missing state, not both")

    @property
    def formula(self) -> str:
        """The expression in names, or what is missing."""
        if self.expression is None:
            return "not computed: the model lacks the state it needs"
        return self.expression.text()

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables it reads (``timeseries``, ``financial_years``, ``ledger``)."""
        if self.expression is None:
            return ()
        ledger = any(COLUMNS[c].table == "ledger" for c in self.expression.columns())
        out = []
        for kind in self.periods:
            table = TABLE_OF_KIND[kind]
            if table == "financial_years" and ledger:
                table = "ledger"
            if table not in out:
                out.append(table)
        return tuple(out)

    @property
    def definition(self) -> str:
        """Everything said about it, as one paragraph."""
        text = self.label[0].upper() + self.label[1:]
        if not text.endswith("."):
            text += "."
        if self.official:
            text += f" Official definition: {self.official}"
        if self.expression is not None:
            text += f" Model: {self.formula}."
        if self.differs:
            text += f" Differs: {self.differs}"
        if self.missing:
            text += f" Not computed: the model lacks {self.missing}"
        if self.nearest:
            text += f" Nearest: {self.nearest}"
        return text
