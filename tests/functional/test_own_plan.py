"""A finance director's own plan (issue 19, point 5): ``examples/kent_own_plan.yaml`` run on
Kent. The budget path replaces the modelled net budget in its years (and the next year grows
from it by the budget rule), and the ledger sets each lever's planned line beside what it
delivered, with the part of the plan beyond the levers' caps."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from caresim.app.common import resolve_councils
from caresim.calendar import fy_start
from caresim.model.finance import LEDGER_LINES
from caresim.params.vocabulary import LEVERS
from caresim.results import ledger_table
from caresim.scenario import ResolvedScenario, load_scenario
from tests.conftest import run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kent_own_plan.yaml"
END = dt.date(2015, 3, 31)  # a year past the budget path, to see the model take over
REPLICATIONS = (0, 1)


@functools.cache
def _scenario() -> tuple[ResolvedScenario, str]:
    scenario = load_scenario(EXAMPLE).replace({"run.end_date": END}, source="test")
    scenario, codes = resolve_councils(scenario, [])
    assert len(codes) == 1
    return scenario, codes[0]


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    scenario, code = _scenario()
    frames = [ledger_table(run(scenario.params, ("Kent",), r), "own", r) for r in REPLICATIONS]
    out = pd.concat(frames, ignore_index=True)
    return out[out["council_code"] == code].set_index(["replication", "fy"]).sort_index()


def _override():
    scenario, code = _scenario()
    return scenario.params, scenario.params.council_overrides[code]


def test_the_example_has_every_part_of_an_own_plan() -> None:
    _, own = _override()
    parts = (own.net_budget_gbp, own.planned_savings_gbp, own.opening_reserves_gbp,
             own.reserves_floor_gbp)
    assert all(part is not None and part.source for part in parts)


def test_the_councils_own_reserves_open_the_ledger(ledger: pd.DataFrame) -> None:
    """The first year opens with the council's own reserves, every year's floor is its own,
    and each year opens where the last closed."""
    _, own = _override()
    for rep in REPLICATIONS:
        rows = ledger.loc[rep]
        assert rows["reserves_opening_gbp"].iloc[0] == own.opening_reserves_gbp.value
        assert (rows["reserves_floor_gbp"] == own.reserves_floor_gbp.value).all()
        np.testing.assert_array_equal(rows["reserves_opening_gbp"].to_numpy()[1:],
                                      rows["reserves_closing_gbp"].to_numpy()[:-1])


def test_the_budget_path_is_the_budget_set(ledger: pd.DataFrame) -> None:
    params, own = _override()
    path = own.net_budget_gbp.years
    for rep in REPLICATIONS:
        for year, budget in path.items():
            assert ledger.loc[(rep, year), "opening_budget_gbp"] == budget
        # the year after the path grows from its last budget by the budget rule
        last = list(path)[-1]
        after = f"{int(last[:4]) + 1}-{(int(last[:4]) + 2) % 100:02d}"
        f = params.finance
        day = fy_start(after)
        lg = f.lg_funding_real_change_per_year.at(day)
        if f.austerity_from.value is not None and day >= f.austerity_from.value and lg < 0:
            lg *= f.austerity_multiplier.value
        grown = (path[last] * (1 + f.inflation_per_year.at(day))
                 * (1 + f.demography_allowance_per_year.at(day)) * (1 + f.pass_through.value * lg))
        assert ledger.loc[(rep, after), "opening_budget_gbp"] == pytest.approx(grown, rel=1e-12)
        # and the years before it are the model's, not the path's
        assert ledger.loc[(rep, "2010-11"), "opening_budget_gbp"] not in path.values()


def test_the_plan_stands_beside_what_each_lever_delivered(ledger: pd.DataFrame) -> None:
    _, own = _override()
    plan = own.planned_savings_gbp.years
    columns = list(LEDGER_LINES)
    for lever in LEVERS:  # the planned line sits right after the delivered line
        assert columns.index(f"planned_{lever}_gbp") == columns.index(f"savings_{lever}_gbp") + 1
    for rep in REPLICATIONS:
        for year, levers in plan.items():
            row = ledger.loc[(rep, year)]
            for lever in LEVERS:
                assert row[f"planned_{lever}_gbp"] == levers.get(lever, 0.0), (year, lever)
            # a lever the plan does not name is not pulled (prevention is measured, not pulled)
            for lever in ("procurement", "package_reductions", "eligibility", "staff_cuts"):
                if lever not in levers:
                    assert row[f"savings_{lever}_gbp"] == 0.0, (year, lever)
            # what the levers delivered is the model's, not the plan copied
            delivered = np.array([row[f"savings_{lv}_gbp"] for lv in levers])
            assert not np.array_equal(delivered, np.array(list(levers.values())))


def test_a_plan_beyond_a_lever_s_cap_is_shown(ledger: pd.DataFrame) -> None:
    """2012-13 plans GBP 20m of prevention savings; the lever can give only the cashable
    prevention savings of the year before."""
    _, own = _override()
    asked = own.planned_savings_gbp.years["2012-13"]["prevention"]
    for rep in REPLICATIONS:
        cap = max(ledger.loc[(rep, "2011-12"), "savings_prevention_gbp"], 0.0)
        beyond = ledger.loc[(rep, "2012-13"), "plan_beyond_caps_gbp"]
        assert asked > cap and beyond >= asked - cap - 1e-6
        # a year without an own plan has nothing beyond caps: the model plans within them
        for year in ledger.loc[rep].index:
            if year not in own.planned_savings_gbp.years:
                assert ledger.loc[(rep, year), "plan_beyond_caps_gbp"] == 0.0


def test_without_a_plan_the_planned_lines_are_the_model_s_own(ledger: pd.DataFrame) -> None:
    """In a year without an own plan the planned lines add up to what the model planned: the
    requirement, as far as the caps allow (never more)."""
    _, own = _override()
    for rep in REPLICATIONS:
        for year in ledger.loc[rep].index:
            if year in own.planned_savings_gbp.years:
                continue
            row = ledger.loc[(rep, year)]
            planned = sum(row[f"planned_{lever}_gbp"] for lever in LEVERS)
            assert planned <= row["savings_requirement_gbp"] * (1 + 1e-12) + 1e-6
