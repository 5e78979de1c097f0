"""The replications of a run in words (:func:`caresim.analysis.replications.describe`) and the
precision reached (:func:`caresim.analysis.replications.reached`)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from caresim.analysis.replications import describe, reached, relative_half_widths


def auto(n: int, asked: float, got: float | None, cap: int = 200) -> dict:
    met = got is not None and got <= asked
    return {"replications": n, "precision": {
        "asked": asked, "reached": got, "met": met, "cap": cap,
        "stopped_at_cap": n >= cap and not met}}


def test_a_fixed_run_is_its_count_and_one_run_says_it_has_no_interval() -> None:
    assert describe({"replications": 10, "precision": None}) == "10"
    assert describe({"replications": 1}) == "1 (one run: no intervals)"


def test_an_auto_run_says_what_it_asked_for_and_reached() -> None:
    text = describe(auto(12, 0.02, 0.0183))
    assert text == ("12 (auto: until the 95% interval of each headline measure is within 2.0% "
                    "of its mean; reached 1.8%)")


def test_the_cap_is_named_when_it_stops_the_run() -> None:
    text = describe(auto(200, 0.02, 0.052))
    assert "reached 5.2%, not 2.0%" in text and "the cap of 200 replications" in text


def test_the_setting_behind_the_cap_is_named_when_recorded() -> None:
    """A default run's cap comes from a setting by scope; the text names it, so a reader knows
    what to raise."""
    m = auto(2, 0.02, 0.052, cap=2)
    m["precision"]["cap_from"] = "run.replications"
    assert describe(m).endswith("the cap of 2 replications stopped it first "
                                "(run.replications))")


def test_a_resumed_run_short_of_its_precision_says_why() -> None:
    text = describe(auto(9, 0.02, 0.052))
    assert "reached 5.2%, not 2.0%" in text and "resumed" in text and "cap" not in text


@pytest.mark.parametrize("values, expected", [
    ([1.0, 1.0, 1.0], 0.0),
    ([1.0], math.inf),
])
def test_reached_is_the_worst_indicator(values: list[float], expected: float) -> None:
    rows = [{"replication": i, "indicator": "a", "value": v} for i, v in enumerate(values)]
    rows += [{"replication": i, "indicator": "b", "value": 5.0 + i} for i in range(3)]
    table = pd.DataFrame(rows)
    assert reached(table) == max(expected, relative_half_widths(table)["b"])
    assert reached(table) >= relative_half_widths(table)["b"] > 0


def test_a_fixed_run_of_several_says_the_precision_it_reached() -> None:
    m = {"replications": 20, "precision": {"asked": None, "reached": 0.0734}}
    assert describe(m) == ("20 (the 95% intervals of the headline measures are within 7.3% of "
                           "their means)")
    assert describe({"replications": 20, "precision": {"asked": None, "reached": None}}) == "20"
