"""Every measure caresim reports, by name: the registry the rest of caresim reads.

* every reported metric of :mod:`caresim.recording` and every ledger line, under its own name
  (so today's metric names stay valid), at month ends and financial years, or financial years
  only;
* derived measures that today's readers compute by hand: cumulative savings (and their share
  of the 2007-08 net budget), cumulative prevention savings and grant spent, and counts or
  shares of councils within a band;
* the official definitions of :mod:`caresim.measures.official`.

:func:`get_measure` and :func:`check_measure_names` give the usual clear error, with the
nearest name, for a name that is not here.
"""

from __future__ import annotations

import difflib
import re

from caresim.errors import ScenarioError
from caresim.measures.errors import MeasureError
from caresim.measures.expressions import CouncilsInBand, Cumulative, Metric, Ratio
from caresim.measures.measure import Measure
from caresim.measures.official import OFFICIAL
from caresim.measures.tables import COLUMNS

_MONTHLY = ("month end", "financial year")
_YEARLY = ("financial year",)
_SPAN = ("span of financial years",)


SHORT: dict[str, str] = {
    "pb_share_ascof": "PB share (ASCOF 1C definition)",
    "offer_share": "share of new and reviewed users offered a PB",
    "net_spend_gbp": "net spend",
    "unmet_need": "people with unmet need",
    "users_community": "people with community support",
    "readiness": "readiness",
}
"""Short words for the metrics the scorecard, headlines and figures show."""


def _column_measures() -> list[Measure]:
    out = []
    for c in COLUMNS.values():
        periods = _YEARLY if (c.in_year or c.table == "ledger") else _MONTHLY
        out.append(Measure(c.name, c.label, c.unit, periods, Metric(c.name),
                           group="ledger" if c.table == "ledger" else "metric",
                           short=SHORT.get(c.name, "")))
    return out


PB_SHARE_MILESTONE = 0.10
"""PB share by March 2010 that the Putting People First milestones (ADASS/LGA/DH, 9 Sep 2009)
called the minimum for 30% by April 2011; the band of :data:`DERIVED`'s council count (the
figure published is of councils 'not expecting to reach 10%')."""

DERIVED: tuple[Measure, ...] = (
    Measure("cumulative_savings_gbp", "cashable savings, all levers, summed over the years of "
            "the span (from the first year run for 'to <year>')", "GBP", _SPAN,
            Cumulative(Metric("savings_total_gbp")), group="derived",
            short="cumulative savings"),
    Measure("cumulative_savings_share", "cumulative cashable savings as a share of the 2007-08 "
            "net budget (the CSR07 savings targets)", "fraction", _SPAN,
            Ratio(Cumulative(Metric("savings_total_gbp")), Metric("baseline_budget_gbp")),
            group="derived", short="cumulative savings",
            share_of="of the 2007-08 net budget"),
    Measure("cumulative_prevention_savings_gbp", "cashable prevention (reablement) savings "
            "summed over the years of the span", "GBP", _SPAN,
            Cumulative(Metric("savings_prevention_gbp", ledger=True)), group="derived",
            short="cumulative prevention savings"),
    Measure("cumulative_grant_spent_gbp", "Social Care Reform Grant spent, summed over the "
            "years of the span", "GBP", _SPAN, Cumulative(Metric("grant_spent_gbp", ledger=True)),
            group="derived"),
    Measure("councils_pb_share_adass_below_10pct", "number of councils whose PB share "
            "(pb_share_adass) is below 10% on the date (Putting People First milestone)",
            "councils", ("month end",),
            CouncilsInBand(Metric("pb_share_adass"), high=PB_SHARE_MILESTONE),
            scope="england", group="derived"),
    Measure("share_councils_pb_share_adass_below_england", "share of councils whose PB share "
            "(pb_share_adass) is below the aggregate's on the date", "fraction", ("month end",),
            CouncilsInBand(Metric("pb_share_adass"), below_aggregate=True, share=True),
            scope="england", group="derived"),
)
"""Measures today's readers compute by hand from the tables."""


def _build() -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    for m in (*_column_measures(), *DERIVED):
        if m.name in out:
            raise ValueError(f"measure {m.name} registered twice")
        out[m.name] = m
    for m in OFFICIAL:
        old = out.get(m.name)
        if old is not None and (old.expression != m.expression or old.unit != m.unit):
            raise ValueError(f"official {m.name} would change the metric of the same name")
        out[m.name] = m
    return out


MEASURES: dict[str, Measure] = _build()
"""Every measure, by name, in listing order (metrics, ledger lines, derived; an official
definition that shares a metric's name replaces its entry in place)."""


def _nearest(name: str) -> str:
    close = difflib.get_close_matches(str(name), list(MEASURES), n=3, cutoff=0.6)
    return f"Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def get_measure(name: str | Measure) -> Measure:
    """The measure called ``name`` (a measure is returned as it is).

    Raises
    ------
    MeasureError
        When no measure has that name, with the nearest names.
    """
    if isinstance(name, Measure):
        return name
    try:
        return MEASURES[name]
    except (KeyError, TypeError):
        hint = _nearest(name)
        raise MeasureError(f"measure '{name}': expected the name of a measure (see `caresim "
                           f"measures`); found no such measure.{(' ' + hint) if hint else ''}"
                           ) from None


def check_measure_names(names: list[str], file: str, key: str) -> None:
    """Check that every name in ``names`` is a measure (for a scenario's ``targets``).

    Parameters
    ----------
    names : list of str
        The names given.
    file : str
        The file they come from, for the message.
    key : str
        The dotted key holding them, for the message.

    Raises
    ------
    caresim.errors.ScenarioError
        At the first unknown name: file, key, expected, found and the nearest names.
    """
    for name in names:
        if name not in MEASURES:
            raise ScenarioError(file, key, "the name of a measure (see `caresim measures`)",
                                f"'{name}'", _nearest(name))


def find_measures(pattern: str | None = None) -> list[Measure]:
    """Measures whose name, label or definition match ``pattern`` (a regular expression,
    case ignored); all of them when ``pattern`` is empty.

    Raises
    ------
    MeasureError
        When ``pattern`` is not a valid regular expression, or matches no measure.
    """
    if not pattern:
        return list(MEASURES.values())
    try:
        rx = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise MeasureError(f"--grep '{pattern}': expected a word or regular expression; found "
                           f"an invalid regular expression ({exc}).") from None
    found = [m for m in MEASURES.values()
             if rx.search(m.name) or rx.search(m.definition) or rx.search(m.unit)]
    if not found:
        hint = _nearest(pattern)
        raise MeasureError(f"--grep '{pattern}': expected a word or regular expression matching "
                           "at least one measure's name or definition; found none."
                           f"{(' ' + hint) if hint else ''} See `caresim measures` for them "
                           "all.")
    return found
