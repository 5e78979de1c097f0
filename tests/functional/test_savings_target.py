"""One definition of the savings target (issue 19, point 2): the scorecard and the ledger read
the same CSR07 target (``targets.cumulative_savings_share``) on the same base (the 2007-08 net
budget) by the same cumulative rule, so in every council-year of a run a target is met if and
only if the ledger's CSR07 shortfall is 0, and a miss's verdict gives that shortfall in GBP.

Two small runs to March 2011 (the CSR07 years): the baseline, and the baseline with the levers
capped low, so that the runs hold both council-years that meet the target and ones that miss it.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd
import pytest

from caresim.councils import ENGLAND_CODE
from caresim.measures import RunTables, reading_values
from caresim.measures.formatting import format_value
from caresim.measures.targets import target_readings
from caresim.params.schema import Scenario
from caresim.results import fy_table, ledger_table, monthly_table
from caresim.scorecard import scorecard
from tests.conftest import params_with, run

COUNCILS = ("Rutland", "Hartlepool", "Darlington")
REPLICATIONS = (0, 1)
END = dt.date(2011, 3, 31)
VARIANTS = {
    "baseline": {"run.end_date": END},
    "levers-capped": {"run.end_date": END,
                      "finance.levers.procurement_max_share.value": 0.01,
                      "finance.levers.staff_cut_max_share.value": 0.01},
}


@functools.cache
def _tables(variant: str) -> tuple[Scenario, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    params = params_with("baseline", **VARIANTS[variant])
    results = [run(params, COUNCILS, r) for r in REPLICATIONS]
    pairs = list(zip(REPLICATIONS, results, strict=True))
    return (params,
            pd.concat([monthly_table(x, "s", r) for r, x in pairs], ignore_index=True),
            pd.concat([fy_table(x, "s", r) for r, x in pairs], ignore_index=True),
            pd.concat([ledger_table(x, "s", r) for r, x in pairs], ignore_index=True))


def _savings_readings(params: Scenario) -> list:
    return [r for r in target_readings(params.targets)
            if r.measure == "cumulative_savings_share"]


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    """Every council-year-replication of both runs: the scorecard's reading of the target
    (met or not) beside the ledger's CSR07 lines."""
    rows = []
    for variant in VARIANTS:
        params, monthly, fy, ledger = _tables(variant)
        tables = RunTables(monthly, fy, ledger)
        for reading in _savings_readings(params):
            year = str(reading.period).removeprefix("to ")
            got = reading_values(reading, tables, scope="all")
            got = got[got["council_code"] != ENGLAND_CODE]
            lines = ledger[ledger["fy"] == year].set_index(["replication", "council_code"])
            for _, g in got.iterrows():
                line = lines.loc[(g["replication"], g["council_code"])]
                rows.append({"variant": variant, "year": year, "threshold": reading.threshold,
                             "replication": g["replication"], "council": g["council_code"],
                             "value": g["value"], "met": reading.meets(g["value"]),
                             **{k: line[k] for k in (
                                 "csr07_shortfall_gbp", "csr07_target_to_date_gbp",
                                 "baseline_budget_gbp", "savings_to_date_gbp")}})
    return pd.DataFrame(rows)


def test_the_runs_hold_both_outcomes(outcomes: pd.DataFrame) -> None:
    """Without council-years that meet and that miss, the equivalence below shows nothing."""
    assert outcomes["met"].any() and not outcomes["met"].all()
    assert len(outcomes) == len(VARIANTS) * 3 * len(COUNCILS) * len(REPLICATIONS)


def test_met_if_and_only_if_the_ledger_shortfall_is_zero(outcomes: pd.DataFrame) -> None:
    zero = outcomes["csr07_shortfall_gbp"] == 0.0
    bad = outcomes[outcomes["met"] != zero]
    assert bad.empty, bad.to_string()


def test_the_ledger_target_is_the_scorecard_s_on_the_same_base(outcomes: pd.DataFrame) -> None:
    np.testing.assert_allclose(outcomes["csr07_target_to_date_gbp"],
                               outcomes["threshold"] * outcomes["baseline_budget_gbp"],
                               rtol=1e-12)
    np.testing.assert_allclose(outcomes["value"],
                               outcomes["savings_to_date_gbp"] / outcomes["baseline_budget_gbp"],
                               rtol=1e-9)
    short = outcomes[~outcomes["met"]]
    np.testing.assert_allclose(short["csr07_shortfall_gbp"],
                               short["csr07_target_to_date_gbp"] - short["savings_to_date_gbp"],
                               rtol=1e-9)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_requirement_is_the_larger_of_the_gap_and_the_csr07_requirement(
        variant: str) -> None:
    _, _, _, ledger = _tables(variant)
    ledger = ledger[ledger["council_code"] != ENGLAND_CODE].sort_values(
        ["replication", "council_code", "fy"])
    before = ledger.groupby(["replication", "council_code"])["savings_to_date_gbp"].shift(
        fill_value=0.0)
    np.testing.assert_allclose(
        ledger["csr07_requirement_gbp"],
        np.maximum(ledger["csr07_target_to_date_gbp"] - before, 0.0), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(
        ledger["savings_requirement_gbp"],
        np.maximum(np.maximum(ledger["budget_gap_gbp"], ledger["csr07_requirement_gbp"]), 0),
        rtol=1e-12)
    np.testing.assert_allclose(
        ledger["savings_to_date_gbp"],
        ledger.groupby(["replication", "council_code"])["savings_total_gbp"].cumsum(),
        rtol=1e-12)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_one_run_verdict_gives_the_ledger_shortfall(variant: str) -> None:
    """Each replication's scorecard: a council's verdict says met exactly where its ledger has
    no shortfall, and a miss is short by the ledger's shortfall in GBP, with its points."""
    params, monthly, fy, ledger = _tables(variant)
    for rep in REPLICATIONS:
        card = scorecard(monthly[monthly["replication"] == rep],
                         fy[fy["replication"] == rep], ledger[ledger["replication"] == rep],
                         params.targets)
        lines = ledger[ledger["replication"] == rep].set_index(["council_code", "fy"])
        for reading in _savings_readings(params):
            year = str(reading.period).removeprefix("to ")
            rows = card[(card["target"] == reading.name) & (card["scope"] != ENGLAND_CODE)]
            assert len(rows) == len(COUNCILS)
            for _, row in rows.iterrows():
                shortfall = lines.loc[(row["scope"], year), "csr07_shortfall_gbp"]
                assert bool(row["met"]) == (shortfall == 0.0), row["verdict"]
                if shortfall:
                    assert f"short by {format_value(shortfall, 'GBP')} (" in row["verdict"]
                    assert row["verdict"].endswith(" pp)")
                else:
                    assert row["verdict"].endswith(", met")


def test_a_later_start_is_asked_only_for_the_years_it_runs() -> None:
    """A run from April 2009 takes the 2008-09 target as met before it: by 2009-10 it is asked
    for 6.1% - 3.0% of its base, not 6.1%."""
    params = params_with("baseline", **{"run.start_date": dt.date(2009, 4, 1),
                                        "run.end_date": dt.date(2010, 3, 31)})
    ledger = ledger_table(run(params, ("Rutland",), 0), "s", 0)
    row = ledger[(ledger["fy"] == "2009-10") & (ledger["council_code"] != ENGLAND_CODE)].iloc[0]
    share = dict(zip(["2008-09", "2009-10"],
                     list(params.targets.cumulative_savings_share.values.values())[:2],
                     strict=True))
    assert row["csr07_target_to_date_gbp"] == pytest.approx(
        (share["2009-10"] - share["2008-09"]) * row["baseline_budget_gbp"], rel=1e-12)
