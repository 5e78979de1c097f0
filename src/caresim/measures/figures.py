"""Published figures keyed by measure: ``data/published/validation_figures.csv``.

Each row is one published figure: the measure it is a value of and the period, the value in the
measure's unit, its role, its source file in ``data/published/`` and the line(s) of that file,
and how the value was read from there. Adding a figure to validation is adding one row.

Roles: ``fitted`` (a calibration target, weight > 0: in-sample), ``checked`` (published, never
fitted), ``input`` (reproduced by construction, such as the grant the model is given).

How a value is read from its source line (``derivation``), with the unit conversions of the
source column: ``_gbp_bn`` x 1e9, ``_gbp_m`` x 1e6, ``_pct`` or a ``percent`` unit / 100:

* ``as published``: the number as written;
* ``approximate (~N)``: the number written ``~N``;
* ``midpoint of range (A-B)``: (A + B) / 2;
* ``sum of the lines``: the sum over the lines listed (``3;4;5``);
* ``in words: '<quote>'``: a figure stated in words (the quote appears in the line); not a
  number to check.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

from caresim.measures.catalogue import get_measure
from caresim.measures.errors import MeasureError
from caresim.measures.readings import Reading
from caresim.period import FinancialYear, PeriodError, YearSpan, parse_period

FILE = "validation_figures.csv"
ROLES = ("fitted", "checked", "input")
COLUMNS = ("measure", "period", "value", "unit", "role", "weight", "series", "status",
           "source_file", "source_line", "source_column", "derivation", "definition",
           "alignment")
"""Columns of the figures file, in order."""

_PERIOD_COLUMNS = ("period", "financial_year")


@dataclass(frozen=True)
class Figure:
    """One published figure (see the module docstring for the columns)."""

    measure: str
    period: str
    value: float
    unit: str
    role: str
    weight: float
    series: str
    status: str
    source_file: str
    source_line: str
    source_column: str
    derivation: str
    definition: str
    alignment: str

    @property
    def reading(self) -> Reading:
        """The measure at the figure's period, under the figure's series name."""
        return Reading(self.series, self.measure, parse_period(self.period))

    @property
    def lines(self) -> tuple[int, ...]:
        """The line numbers of the source file it comes from (line 1 is the header)."""
        return tuple(int(x) for x in self.source_line.split(";"))


def _published(name: str):
    return resources.files("caresim") / "data" / "published" / name


def _bad(line: int, column: str, expected: str, found: str) -> MeasureError:
    return MeasureError(f"data/published/{FILE}: line {line}, column '{column}': expected "
                        f"{expected}; found {found}.")


def _check(fig: Figure, line: int) -> None:
    try:
        m = get_measure(fig.measure)
    except MeasureError as exc:
        raise _bad(line, "measure", "the name of a measure", str(exc)) from None
    try:
        period = parse_period(fig.period)
    except PeriodError as exc:
        raise _bad(line, "period", "a period", str(exc)) from None
    if period.KIND not in m.periods:
        raise _bad(line, "period", f"a period of {fig.measure} ({', '.join(m.periods)})",
                   f"'{fig.period}', a {period.KIND}")
    if fig.unit != m.unit:
        raise _bad(line, "unit", f"{fig.measure}'s unit, '{m.unit}'", f"'{fig.unit}'")
    if fig.role not in ROLES:
        raise _bad(line, "role", f"one of {', '.join(ROLES)}", f"'{fig.role}'")
    if (fig.role == "fitted") != (fig.weight > 0):
        raise _bad(line, "weight", "a weight above 0 exactly for fitted figures",
                   f"weight {fig.weight:g} with role '{fig.role}'")
    if not _published(fig.source_file).is_file():
        raise _bad(line, "source_file", "a file of data/published/", f"'{fig.source_file}'")


@functools.cache
def load_figures() -> tuple[Figure, ...]:
    """Every published figure, in file order, each checked against the registry.

    Raises
    ------
    MeasureError
        Naming the line and column of a row whose measure, period, unit, role or source file
        is not valid.
    """
    with _published(FILE).open("r", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise _bad(1, "header", ", ".join(COLUMNS), ", ".join(reader.fieldnames or ()))
        out = []
        for row in reader:
            line = reader.line_num
            try:
                fig = Figure(**{**row, "value": float(row["value"]),
                                "weight": float(row["weight"])})
            except ValueError as exc:
                raise _bad(line, "value", "numbers in value and weight", str(exc)) from None
            _check(fig, line)
            out.append(fig)
    return tuple(out)


def source_rows(fig: Figure) -> list[dict[str, str]]:
    """The lines of the source file the figure comes from, as ``column -> text``."""
    wanted = set(fig.lines)
    rows = {}
    with _published(fig.source_file).open("r", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if reader.line_num in wanted:
                rows[reader.line_num] = row
    missing = wanted - set(rows)
    if missing:
        raise MeasureError(f"{fig.source_file}: expected lines {sorted(wanted)}; found no line "
                           f"{sorted(missing)}.")
    return [rows[n] for n in fig.lines]


def _factor(column: str, row: dict[str, str]) -> float:
    if column.endswith("_gbp_bn"):
        return 1e9
    if column.endswith("_gbp_m"):
        return 1e6
    if column.endswith("_pct") or row.get("unit") == "percent":
        return 0.01
    return 1.0


def source_value(fig: Figure) -> float | None:
    """The figure's value as its source lines give it, in the figure's unit (``None`` for a
    figure stated in words).

    Raises
    ------
    MeasureError
        When the source text does not have the form the derivation names.
    """
    rows = source_rows(fig)
    d = fig.derivation
    if d.startswith("in words:"):
        return None
    texts = [r[fig.source_column].strip() for r in rows]
    factors = [_factor(fig.source_column, r) for r in rows]
    try:
        if d == "as published":
            (text,) = texts
            return float(text) * factors[0]
        if d.startswith("approximate"):
            (text,) = texts
            if not text.startswith("~"):
                raise ValueError(text)
            return float(text[1:]) * factors[0]
        if d.startswith("midpoint of range"):
            (text,) = texts
            lo, hi = re.fullmatch(r"([\d.]+)-([\d.]+)", text).groups()  # type: ignore[union-attr]
            return (float(lo) + float(hi)) / 2 * factors[0]
        if d == "sum of the lines":
            return sum(float(t) * f for t, f in zip(texts, factors, strict=True))
    except (ValueError, AttributeError):
        raise MeasureError(f"{fig.source_file} line {fig.source_line}, column "
                           f"'{fig.source_column}': expected a number for '{d}'; found "
                           f"'{'; '.join(texts)}'.") from None
    raise MeasureError(f"data/published/{FILE}: derivation '{d}' of {fig.measure} "
                       f"{fig.period}: expected one of the forms in caresim.measures.figures; "
                       "found none.")


def source_periods(fig: Figure) -> list[str]:
    """The period (or financial year) each source line states."""
    out = []
    for row in source_rows(fig):
        col = next(c for c in _PERIOD_COLUMNS if c in row)
        out.append(row[col].strip())
    return out


def periods_agree(fig: Figure) -> bool:
    """Whether the source lines are of the figure's period (each line's year inside a span;
    every line of the period when lines of one period are summed)."""
    period = parse_period(fig.period)
    stated = source_periods(fig)
    if isinstance(period, YearSpan) and period.first is not None:
        years = range(period.first.start_year, period.last.start_year + 1)
        return sorted(stated) == [str(FinancialYear(y)) for y in years]
    return bool(stated) and all(p == fig.period for p in stated)
