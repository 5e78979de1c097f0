"""Headline indicators: one value per replication, read from the tidy tables.

These are the indicators that ``compare`` reports and that ``--replications auto`` tracks.
Each is defined by a table, a metric, a period and the scope (England, or the one council run).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Indicator:
    """A headline indicator: ``metric`` in ``table`` at ``period``."""

    name: str
    table: str   # "monthly", "fy" or "ledger"
    metric: str
    period: str  # a month-end date, a financial year, or "to 2010-11" (ledger cumulative)
    unit: str


HEADLINES: tuple[Indicator, ...] = (
    Indicator("pb_share_adass 2010-03-31", "monthly", "pb_share_adass", "2010-03-31", "fraction"),
    Indicator("pb_share_adass 2011-04-01", "monthly", "pb_share_adass", "2011-03-31", "fraction"),
    Indicator("pb_share_adass 2013-04-01", "monthly", "pb_share_adass", "2013-03-31", "fraction"),
    Indicator("pb_share_ascof 2010-11", "fy", "pb_share_ascof", "2010-11", "fraction"),
    Indicator("pb_share_ascof 2011-12", "fy", "pb_share_ascof", "2011-12", "fraction"),
    Indicator("readiness 2011-04-01", "monthly", "readiness", "2011-03-31", "index"),
    Indicator("cumulative cashable savings to 2010-11", "ledger", "savings_total_gbp",
              "to 2010-11", "GBP"),
    Indicator("net_spend_gbp 2010-11", "fy", "net_spend_gbp", "2010-11", "GBP"),
    Indicator("net_spend_gbp 2011-12", "fy", "net_spend_gbp", "2011-12", "GBP"),
    Indicator("net_spend_gbp 2014-15", "fy", "net_spend_gbp", "2014-15", "GBP"),
    Indicator("spend_prevention_gbp 2011-12", "fy", "spend_prevention_gbp", "2011-12", "GBP"),
    Indicator("users_served_in_fy 2011-12", "fy", "users_served_in_fy", "2011-12", "people"),
    Indicator("dp_users_in_fy 2011-12", "fy", "dp_users_in_fy", "2011-12", "people"),
    Indicator("unmet_need 2012-04-01", "fy", "unmet_need", "2011-12", "people"),
    Indicator("unmet_need 2015-04-01", "fy", "unmet_need", "2014-15", "people"),
    Indicator("users_community 2015-04-01", "fy", "users_community", "2014-15", "people"),
)
"""Indicators reported by ``compare``."""

PRECISION_HEADLINES = ("pb_share_adass 2010-03-31", "pb_share_adass 2011-04-01",
                       "net_spend_gbp 2010-11")
"""Indicators whose interval ``--replications auto`` narrows."""


def headline_values(monthly: pd.DataFrame, fy: pd.DataFrame, ledger: pd.DataFrame, scope: str,
                    names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """``replication, indicator, unit, value`` for each headline indicator and replication."""
    rows = []
    for ind in HEADLINES:
        if names is not None and ind.name not in names:
            continue
        if ind.table == "monthly":
            t = monthly[(monthly["council_code"] == scope) & (monthly["metric"] == ind.metric)]
            t = t[pd.to_datetime(t["date"]) == pd.Timestamp(ind.period)]
            values = t.set_index("replication")["value"]
        elif ind.table == "fy":
            t = fy[(fy["council_code"] == scope) & (fy["metric"] == ind.metric)
                   & (fy["fy"] == ind.period)]
            values = t.set_index("replication")["value"]
        else:
            last = ind.period.removeprefix("to ")
            t = ledger[(ledger["council_code"] == scope) & (ledger["fy"] <= last)]
            values = t.groupby("replication")[ind.metric].sum()
        for rep, v in values.items():
            rows.append({"replication": int(rep), "indicator": ind.name, "unit": ind.unit,
                         "value": float(v)})
    return pd.DataFrame(rows, columns=["replication", "indicator", "unit", "value"])
