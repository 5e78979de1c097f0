"""A council's own plan as input: what the override types accept and refuse, and how the plan
reaches the model's arrays (:mod:`caresim.model.own_plan`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from caresim.errors import ScenarioError
from caresim.model.own_plan import (
    NetBudgetPath,
    PlannedSavings,
    budget_paths,
    own_budget,
    planned_savings,
)
from caresim.params.vocabulary import LEVERS
from caresim.scenario import load_scenario


def _label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


money = st.floats(0, 1e12, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(first=st.integers(2008, 2018), budgets=st.lists(money, min_size=1, max_size=8))
def test_a_path_of_consecutive_years_is_accepted_as_given(first: int, budgets: list) -> None:
    years = {_label(first + i): b for i, b in enumerate(budgets)}
    path = NetBudgetPath(source="s", years=years)
    assert dict(path.years) == years


@settings(max_examples=100, deadline=None)
@given(first=st.integers(2008, 2018), n=st.integers(3, 8), data=st.data())
def test_a_path_with_a_gap_is_refused(first: int, n: int, data: st.DataObject) -> None:
    gap = data.draw(st.integers(1, n - 2))
    years = {_label(first + i): 1e8 for i in range(n) if i != gap}
    with pytest.raises(ValidationError, match=f"without {_label(first + gap)}"):
        NetBudgetPath(source="s", years=years)


@settings(max_examples=100, deadline=None)
@given(name=st.text(min_size=1, max_size=20).filter(lambda x: x not in LEVERS))
def test_only_levers_can_be_planned(name: str) -> None:
    with pytest.raises(ValidationError, match="expected a lever"):
        PlannedSavings(source="s", years={"2011-12": {name: 1.0}})


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), 1e13, "lots", True])
def test_money_must_be_a_sum_of_money(bad: object) -> None:
    with pytest.raises(ValidationError, match="for procurement in 2011-12"):
        PlannedSavings(source="s", years={"2011-12": {"procurement": bad}})
    with pytest.raises(ValidationError, match="for the budget of 2011-12"):
        NetBudgetPath(source="s", years={"2011-12": bad})


@pytest.mark.parametrize("label", ["2011", "2011-13", "11-12", "April 2011"])
def test_years_are_financial_year_labels(label: str) -> None:
    with pytest.raises(ValidationError, match="expected financial years like 2011-12"):
        NetBudgetPath(source="s", years={label: 1e8})


def test_units_are_checked() -> None:
    with pytest.raises(ValidationError, match="expected unit 'GBP/year'"):
        NetBudgetPath(source="s", unit="GBP", years={"2011-12": 1e8})


def test_the_plan_reaches_only_its_council_and_years() -> None:
    base = load_scenario("baseline")
    scenario = base.replace({"council_overrides.E06000017": {
        "net_budget_gbp": {"source": "s", "unit": "GBP/year", "years": {"2011-12": 5e7}},
        "planned_savings_gbp": {"source": "s", "unit": "GBP",
                                "years": {"2012-13": {"staff_cuts": 1e6}}}}}, source="test")
    codes = ["E06000001", "E06000017"]
    paths = budget_paths(scenario.params, codes)
    assert list(paths) == ["2011-12"]
    assert np.isnan(paths["2011-12"][0]) and paths["2011-12"][1] == 5e7
    modelled = np.array([1e8, 2e8])
    np.testing.assert_array_equal(own_budget(paths, "2011-12", modelled), [1e8, 5e7])
    np.testing.assert_array_equal(own_budget(paths, "2012-13", modelled), modelled)
    plan = planned_savings(scenario.params, codes)["2012-13"]
    assert all(np.isnan(plan[lv][0]) for lv in LEVERS)
    assert plan["staff_cuts"][1] == 1e6
    assert all(plan[lv][1] == 0.0 for lv in LEVERS if lv != "staff_cuts")


def test_a_plan_year_outside_the_run_is_refused() -> None:
    base = load_scenario("baseline").replace({"run.end_date": "2011-03-31"}, source="test")
    with pytest.raises(ScenarioError, match="found '2011-12', starting 2011-04-01"):
        base.replace({"council_overrides.Kent": {
            "planned_savings_gbp": {"source": "s", "unit": "GBP",
                                    "years": {"2011-12": {"procurement": 1.0}}}}},
                     source="test")
