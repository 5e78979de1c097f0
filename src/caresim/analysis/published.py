"""The published series caresim is validated and calibrated against, each mapped to the model.

Every target row names a published figure (file and row of ``data/published/``), the model
quantity it is compared with, how the two are aligned (a stock on a date, a flow over a
financial year, a count of councils), the status of the figure and its weight in calibration.
Forecasts, figures of uncertain definition and figures whose definition the model does not
reproduce exactly get weight 0: shown, never fitted.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

import pandas as pd


@dataclass(frozen=True)
class Target:
    """One published figure and the model quantity it is compared with.

    ``model`` is a metric name, or an expression over metrics (``a-b``) for derived quantities;
    ``table`` is ``monthly`` (stock at ``period`` = a month-end date), ``fy`` (financial year),
    ``councils_below`` (number of councils with the metric below ``threshold`` on the date) or
    ``councils_below_mean`` (share of councils below the national value).
    """

    series: str
    period: str
    value: float
    unit: str
    model: str
    table: str
    definition: str
    source_file: str
    status: str
    weight: float
    alignment: str
    threshold: float = 0.0


def _number(text: str) -> int | float:
    """A number as the targets file writes it: a whole number, or a float."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


def load_targets() -> tuple[Target, ...]:
    """The published figures of ``data/published/validation_targets.csv``, in file order.

    Each row's ``source_file`` names the file of ``data/published/`` (with its sources) the
    figure comes from.
    """
    path = resources.files("caresim") / "data" / "published" / "validation_targets.csv"
    with path.open("r", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    numeric = {"value", "weight", "threshold"}
    return tuple(Target(**{k: _number(v) if k in numeric else v for k, v in row.items()})
                 for row in rows)


TARGETS: tuple[Target, ...] = load_targets()
"""Every published figure the model is compared with."""


@functools.cache
def council_dp_counts() -> pd.Series:
    """PSS EX1 A4.20: DPs and PBs per council at 31 March 2010 (people), by GSS code."""
    from caresim.councils import load_councils

    df = load_councils()
    return df.set_index("code")["clients_direct_payments_all_ages_31mar2010"].dropna()


def published_file(name: str) -> pd.DataFrame:
    """A file of the packaged published series."""
    path = resources.files("caresim") / "data" / "published" / name
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)
