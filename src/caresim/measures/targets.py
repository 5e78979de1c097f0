"""The scenario's targets as readings: each target names a measure, a period and a threshold
(the scenario's ``targets`` section), and this module checks them and reads them.

A target is met by a value ``at least`` its threshold (within 1e-12, so a value computed as
exactly the threshold is not failed by rounding) or ``more than`` it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from caresim.errors import ScenarioError
from caresim.measures.catalogue import MEASURES, check_measure_names, get_measure
from caresim.measures.expressions import Metric, Ratio
from caresim.measures.formatting import (
    NOT_AVAILABLE,
    format_against,
    format_value,
)
from caresim.measures.readings import Reading
from caresim.measures.units import get_unit
from caresim.model.finance import TARGET_TOLERANCE
from caresim.period import FinancialYear, MonthEnd, MonthSpan, Period, YearSpan, parse_period

if TYPE_CHECKING:
    from caresim.params.schema import Targets
    from caresim.scenario import ResolvedScenario

TOLERANCE = TARGET_TOLERANCE
"""How far below an ``at least`` threshold a value may fall and still meet it (float rounding);
the ledger's CSR07 shortfall (:mod:`caresim.model.finance`) uses the same rule."""


@dataclass(frozen=True)
class TargetReading(Reading):
    """A reading with the threshold it is held to.

    Parameters
    ----------
    threshold : float
        In the measure's unit.
    comparison : str
        ``at least`` or ``more than``.
    """

    threshold: float = 0.0
    comparison: str = "at least"

    def meets(self, value: float) -> bool:
        """Whether ``value`` meets the target (NaN never does)."""
        if self.comparison == "more than":
            return bool(value > self.threshold)
        return bool(value >= self.threshold - TOLERANCE)

    @property
    def money_base(self) -> str | None:
        """For a share of a sum of money (savings over the 2007-08 budget), the measure of the
        money it is a share of, so that a gap can be given in GBP; else ``None``."""
        e = get_measure(self.measure).expression
        if isinstance(e, Ratio) and isinstance(e.denominator, Metric):
            base = e.denominator.name
            if base in MEASURES and MEASURES[base].unit in ("GBP", "GBP/year"):
                return base
        return None


def target_readings(targets: Targets) -> tuple[TargetReading, ...]:
    """Every target of the scenario as a reading, in the order of the ``targets`` section; a
    dated target gives one reading per date, named ``<key's stem>_<year>`` as today
    (``savings_2010-11``: the span to the end of the year starting on the date)."""
    out: list[TargetReading] = []
    for key in type(targets).model_fields:
        t = getattr(targets, key)
        if hasattr(t, "values"):
            for day, threshold in t.values.items():
                fy = FinancialYear.containing(day)
                out.append(TargetReading(f"savings_{fy}", t.measure, YearSpan(fy), threshold,
                                         t.comparison))
        else:
            out.append(TargetReading(key, t.measure, parse_period(t.period), t.value,
                                     t.comparison))
    return tuple(out)


SAVINGS_TARGET = "cumulative_savings_share"
"""The target (and its measure) that finance also reads as the CSR07 savings requirement
(:func:`caresim.model.finance.savings_target_share`): one definition for the ledger and the
scorecard."""


def _given_at(period: Period, kinds: tuple[str, ...]) -> bool:
    """Whether a measure given at ``kinds`` can be read at ``period``: a span of months is
    read from monthly values (flows summed, ratios recomputed from their summed parts)."""
    if isinstance(period, MonthSpan):
        return MonthEnd.KIND in kinds
    return period.KIND in kinds


def check_targets(scenario: ResolvedScenario) -> None:
    """Check that every target names a measure, in its unit, at a period it is given at.

    Raises
    ------
    caresim.errors.ScenarioError
        Naming the file and key, what was expected and what was found.
    """
    targets = scenario.params.targets
    for key in type(targets).model_fields:
        t = getattr(targets, key)
        path = f"targets.{key}"
        file = scenario.provenance.get(f"{path}.measure",
                                       scenario.provenance.get(path, scenario.files[-1]))
        check_measure_names([t.measure], file, f"{path}.measure")
        if key == SAVINGS_TARGET and t.measure != SAVINGS_TARGET:
            raise ScenarioError(file, f"{path}.measure", f"'{SAVINGS_TARGET}': finance reads "
                                "this target as the CSR07 savings requirement, a share of the "
                                "2007-08 net budget", f"'{t.measure}'")
        if key == SAVINGS_TARGET and t.comparison != "at least":
            raise ScenarioError(file, f"{path}.comparison", "'at least': finance's CSR07 "
                                "shortfall is 0 when savings reach the target, as the verdict "
                                "says met", f"'{t.comparison}'")
        m = get_measure(t.measure)
        if t.unit != m.unit:
            raise ScenarioError(file, f"{path}.unit", f"the unit of measure '{m.name}' "
                                f"('{m.unit}')", f"'{t.unit}'")
        periods = ([YearSpan(FinancialYear.containing(d)) for d in t.values]
                   if hasattr(t, "values") else [parse_period(t.period)])
        for p in periods:
            if not _given_at(p, m.periods):
                raise ScenarioError(file, f"{path}.period", f"a period at which '{m.name}' is "
                                    f"given ({', '.join(m.periods)})",
                                    f"'{p}', a {p.KIND}")
        if m.expression is None:
            raise ScenarioError(file, f"{path}.measure", "a measure the model computes",
                                f"'{m.name}', which needs {m.missing}")


NOT_SCORED = "not scored"
"""The verdict's word for a target the run cannot score (its period lies outside the run)."""


def met_word(met: object, n: int) -> str:
    """A scorecard row's outcome in one word: ``met``, ``NOT met``, or ``not scored`` for a
    row with no runs (a target outside the run; its verdict gives the reason)."""
    if int(n) == 0:
        return NOT_SCORED
    return "met" if bool(met) else "NOT met"


def unscored_reason(reading: TargetReading, start: dt.date, end: dt.date,
                    defined_from: dt.date) -> str | None:
    """Why a run from ``start`` to ``end`` cannot score a target, or None when it can.

    A target is scored only on a period wholly inside the run: a month end after ``end`` or
    before ``start``, a year or span only partly inside it (a run ending in June scores no
    savings for that year), and an open span (``to 2010-11``, counted from the run's first
    year) when the run does not start on ``defined_from``, the day the targets count from.

    Parameters
    ----------
    reading : TargetReading
        The target.
    start, end : datetime.date
        The run's first and last days.
    defined_from : datetime.date
        The first day of the model's history (the default ``run.start_date``), from which the
        targets of the time are counted.
    """
    period = reading.period
    last = period.last_day
    first = last if isinstance(period, MonthEnd) else period.first_day
    words = f"its period '{period}'"
    if first is None and start != defined_from:
        return (f"{words} counts from the run's start, {start}, but the target counts from "
                f"{defined_from}")
    if last < start:
        return f"{words} ends before the run's start, {start}"
    if first is not None and first > end:
        return f"{words} begins after the run's end, {end}"
    if last > end:
        return f"{words} runs past the run's end, {end}: a partial period is not scored"
    if first is not None and first < start:
        return f"{words} begins before the run's start, {start}: a partial period is not scored"
    return None


def target_warnings(targets: Targets, start: dt.date, end: dt.date,
                    defined_from: dt.date) -> list[str]:
    """One line for each target a run from ``start`` to ``end`` cannot score (see
    :func:`unscored_reason`), for the command line to print as warnings."""
    return [f"target '{r.name}' {NOT_SCORED}: {why}." for r in target_readings(targets)
            if (why := unscored_reason(r, start, end, defined_from)) is not None]


def _points(gap: float) -> str:
    """A positive gap between two fractions in percentage points, in the fraction unit's
    decimals or more while it would round to zero: a miss never reads as ``0.0 pp``."""
    d = get_unit("fraction").digits
    while d < 12 and round(100 * gap, d) == 0:  # a miss is above TOLERANCE: 1e-10 pp
        d += 1
    return f"{100 * gap:.{d}f}"


def verdict(reading: TargetReading, value: float, base: float | None = None) -> str:
    """A target's outcome in words, with enough precision to explain it.

    ``cumulative savings to 2010-11: 9.29% of the 2007-08 net budget (target 9.3%), short by
    £0.2m (0.01 pp)``: the value, the target, and for a miss the gap in GBP (for a share of
    money) and in percentage points (for a fraction), each with enough digits that a miss never
    rounds to the target.

    Parameters
    ----------
    reading : TargetReading
        The target.
    value : float
        The value read (in the measure's unit).
    base : float, optional
        For a share of money (:attr:`TargetReading.money_base`), the money it is a share of
        (GBP), so that the shortfall is given in GBP.
    """
    m = get_measure(reading.measure)
    shown, target = format_against(value, reading.threshold, m.unit)
    more = "more than " if reading.comparison == "more than" else ""
    of = f" {m.share_of}" if m.share_of else ""
    head = f"{m.title} {reading.period.words}: {shown}{of} (target {more}{target})"
    if shown == NOT_AVAILABLE:
        return f"{head}, not available"
    if reading.meets(value):
        return f"{head}, met"
    gap = reading.threshold - value
    if not gap > 0:  # only 'more than' a threshold the value equals
        return f"{head}, not met"
    if m.unit == "fraction":
        points = f"{_points(gap)} pp"
        if base is not None and base == base:
            return f"{head}, short by {format_value(gap * base, 'GBP')} ({points})"
        return f"{head}, short by {points}"
    if base is not None and base == base:
        return f"{head}, short by {format_value(gap * base, 'GBP')}"
    return f"{head}, short by {format_value(gap, m.unit)}"
