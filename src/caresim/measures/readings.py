"""Named readings: a measure at a period, as the headline indicators and the sensitivity outputs
use them (the scorecard's targets are readings too, built from the scenario's ``targets``
section by :mod:`caresim.measures.targets`).

Each reading keeps the name its reader shows today (``pb_share_adass 2011-04-01`` is the stock
at the end of 31 March 2011, i.e. on 1 April). The validation figures are readings too, one per
row of ``data/published/validation_figures.csv`` (:mod:`caresim.measures.figures`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from caresim.measures.catalogue import get_measure
from caresim.measures.tables import RunTables
from caresim.measures.values import AGGREGATE, measure_values
from caresim.period import Period, parse_period


@dataclass(frozen=True)
class Reading:
    """A measure at a period, under a name.

    Parameters
    ----------
    name : str
        What its reader calls it.
    measure : str
        The measure's name.
    period : Period
        Where it is read.
    """

    name: str
    measure: str
    period: Period

    def __post_init__(self) -> None:
        get_measure(self.measure)

    @property
    def unit(self) -> str:
        """The measure's unit."""
        return get_measure(self.measure).unit


def _r(name: str, measure: str, period: str) -> Reading:
    return Reading(name, measure, parse_period(period))


HEADLINES: tuple[Reading, ...] = (
    _r("pb_share_adass 2010-03-31", "pb_share_adass", "2010-03-31"),
    _r("pb_share_adass 2011-04-01", "pb_share_adass", "2011-03-31"),
    _r("pb_share_adass 2013-04-01", "pb_share_adass", "2013-03-31"),
    _r("pb_share_ascof 2010-11", "pb_share_ascof", "2010-11"),
    _r("pb_share_ascof 2011-12", "pb_share_ascof", "2011-12"),
    _r("readiness 2011-04-01", "readiness", "2011-03-31"),
    _r("cumulative cashable savings to 2010-11", "cumulative_savings_gbp", "to 2010-11"),
    _r("net_spend_gbp 2010-11", "net_spend_gbp", "2010-11"),
    _r("net_spend_gbp 2014-15", "net_spend_gbp", "2014-15"),
    _r("unmet_need 2015-04-01", "unmet_need", "2014-15"),
    _r("users_community 2015-04-01", "users_community", "2014-15"),
)
"""The headline indicators of ``analysis/headline.py``, as readings."""

COMPARE_EXTRAS: tuple[Reading, ...] = (
    _r("savings shortfall 2010-11", "savings_shortfall_gbp", "2010-11"),
    _r("closing position 2010-11", "closing_position_gbp", "2010-11"),
    _r("closing position 2014-15", "closing_position_gbp", "2014-15"),
    _r("people served 2010-11", "users_served_in_fy", "2010-11"),
    _r("people served 2011-12", "users_served_in_fy", "2011-12"),
    _r("people served 2014-15", "users_served_in_fy", "2014-15"),
    _r("net_spend_gbp 2011-12", "net_spend_gbp", "2011-12"),
    _r("reablement spend 2011-12", "spend_prevention_gbp", "2011-12"),
    _r("PB process costs 2011-12", "spend_pb_process_gbp", "2011-12"),
    _r("DP users in the year 2011-12", "dp_users_in_year_rap", "2011-12"),
    _r("unmet_need 2012-04-01", "unmet_need", "2011-12"),
    _r("recorded unmet need 2014-15", "unmet_need_recorded", "2014-15"),
    _r("latent unmet need 2014-15", "unmet_need_latent", "2014-15"),
    _r("rationing 2014-15", "rationing_gbp", "2014-15"),
    _r("reserves at year end 2014-15", "reserves_closing_gbp", "2014-15"),
)
"""What ``compare`` reports beside the headlines: the money a finance director answers for
(the savings shortfall against the requirement, the closing position, net spend, reablement
spend and the process costs of personal budgets), the people served, direct payment users and
unmet need after the grant's last year (what the grant bought, issue 16); and, when budgets
bind (issue 15), unmet need of both kinds, rationing and reserves in 2014-15."""

REPORT_FIRST_PAGE: tuple[Reading, ...] = (
    _r("PB share on 1 April 2011", "pb_share_adass", "2011-03-31"),
    _r("cumulative savings share to 2010-11", "cumulative_savings_share", "to 2010-11"),
    _r("gross spend 2011-12", "spend_gbp", "2011-12"),
    _r("people served 2011-12", "users_served_in_fy", "2011-12"),
    _r("unmet need 2011-12", "unmet_need", "2011-12"),
)
"""The five numbers on the first page of ``caresim report``: the PB share at the 30% milestone,
the savings against the CSR07 target at its last year, and gross spend, people served and
unmet need in 2011-12, the year the baseline is calibrated to."""

SENSITIVITY_OUTPUTS: tuple[Reading, ...] = (
    _r("pb_share_adass 2011-04-01", "pb_share_adass", "2011-03-31"),
    _r("cumulative savings share to 2010-11", "cumulative_savings_share", "to 2010-11"),
    _r("unmet_need 2015-04-01", "unmet_need", "2014-15"),
    _r("net_spend_gbp 2014-15", "net_spend_gbp", "2014-15"),
)
"""The sensitivity outputs read from one run. The fifth output, the grant's effect on
``pb_share_adass 2011-04-01``, is a paired difference of two runs, not a measure of one."""

def reading_label(reading: Reading) -> str:
    """A reading in plain words, from its measure's own words and its period's
    (``Cumulative savings to 2010-11, as a share of the 2007-08 net budget``)."""
    m = get_measure(reading.measure)
    title = m.title
    text = f"{title}{', ' if ',' in title else ' '}{reading.period.words}"
    if m.share_of:
        text += f", as a share {m.share_of}"
    return text[:1].upper() + text[1:]


def reading_values(reading: Reading, tables: RunTables, scope: str = AGGREGATE
                   ) -> pd.DataFrame:
    """``scenario, parameter_set, replication, council_code, period, value`` of a reading
    (see :func:`caresim.measures.values.measure_values`)."""
    return measure_values(reading.measure, tables, reading.period, scope)
