"""Headline indicators: one value per replication, read through the measures layer.

These are the indicators that ``compare`` reports and that ``--replications auto`` tracks:
the readings :data:`caresim.measures.readings.HEADLINES` (a measure at a period each), for the
aggregate of the councils run or for one council.
"""

from __future__ import annotations

import pandas as pd

from caresim.councils import ENGLAND_CODE
from caresim.measures import Reading, RunTables, reading_values
from caresim.measures.readings import HEADLINES

PRECISION_HEADLINES = ("pb_share_adass 2010-03-31", "pb_share_adass 2011-04-01",
                       "net_spend_gbp 2010-11")
"""Indicators whose interval ``--replications auto`` narrows."""

COLUMNS = ["parameter_set", "replication", "indicator", "unit", "value"]
"""Columns of :func:`reading_table`."""


def measure_scope(scope: str) -> str:
    """The measures layer's scope for a scope code (England's code is the aggregate)."""
    return "england" if scope == ENGLAND_CODE else scope


def reading_table(readings: tuple[Reading, ...], tables: RunTables, scope: str,
                  prefix: str = "") -> pd.DataFrame:
    """``parameter_set, replication, indicator, unit, value`` of each reading and run (in that
    order: reading, then parameter set and replication), the indicator named
    ``prefix + reading.name``."""
    parts = []
    for r in readings:
        v = reading_values(r, tables, measure_scope(scope))
        parts.append(pd.DataFrame({"parameter_set": v["parameter_set"].astype(int),
                                   "replication": v["replication"].astype(int),
                                   "indicator": prefix + r.name, "unit": r.unit,
                                   "value": v["value"].astype(float)}))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def headline_values(monthly: pd.DataFrame, fy: pd.DataFrame, ledger: pd.DataFrame, scope: str,
                    names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """``parameter_set, replication, indicator, unit, value`` for each headline indicator and
    run.

    Parameters
    ----------
    monthly, fy, ledger : pandas.DataFrame
        The run's ``timeseries``, ``financial_years`` and ``ledger`` tables.
    scope : str
        A council's GSS code, or England's code for the aggregate of the councils run.
    names : tuple of str, optional
        Only these indicators.
    """
    chosen = tuple(r for r in HEADLINES if names is None or r.name in names)
    return reading_table(chosen, RunTables(monthly, fy, ledger), scope)
