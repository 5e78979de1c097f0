"""Regression cases: fixed-seed runs whose national financial-year values are stored as CSV."""

from __future__ import annotations

import pandas as pd

from caresim.results import fy_table
from caresim.scenario import load_scenario
from tests.conftest import SMALL_COUNCILS, run

CASES = {
    "baseline_small": ("baseline", SMALL_COUNCILS, 0),
    "no_grant_small": ("no_grant", SMALL_COUNCILS, 0),
}


def compute(name: str) -> pd.DataFrame:
    """National financial-year values of a regression case."""
    scenario, councils, replication = CASES[name]
    res = run(load_scenario(scenario).params, councils, replication)
    table = fy_table(res, scenario, replication)
    table = table[table["council_code"] == "E92000001"]
    return table[["fy", "metric", "value"]].reset_index(drop=True).astype(
        {"metric": str, "fy": str})
